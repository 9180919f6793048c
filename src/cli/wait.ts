/**
 * `wait`: a supervisor with no children, started, watched until it is connected (the frontend answers and
 * DescribeNamespace succeeds), `--timeout` passes, or a failure shows that waiting cannot help. Backoff,
 * the quick retry when the port opens, and the failure classification are the library's own.
 */
import type { FailureInfo } from '../index.js';
import { runtimeOf } from '../supervisor/internals.js';
import { createSupervisor, type Supervisor } from '../supervisor/supervisor.js';
import type { Invocation } from './args.js';
import { EXIT } from './exit-codes.js';
import {
  type CliIo,
  describeFailure,
  formatDuration,
  isMisconfiguration,
  type Output,
  type StopSignal,
  target,
} from './io.js';
import { ConfigurationError, withSettings } from './settings.js';

type WaitInvocation = Extract<Invocation, { command: 'wait' }>;

export type WaitStatus = 'ready' | 'timeout' | 'misconfigured' | 'interrupted';

export interface WaitResult {
  readonly status: WaitStatus;
  readonly ok: boolean;
  readonly address: string | undefined;
  readonly namespace: string | undefined;
  readonly tls: boolean | undefined;
  readonly elapsedMs: number;
  /** Connection attempts made. */
  readonly attempts: number;
  /** The last failure seen (for a ready result: none). */
  readonly failure?: FailureInfo;
  readonly signal?: StopSignal;
}

/** Longest a single attempt may take (TCP, TLS, GetSystemInfo, DescribeNamespace). */
const ATTEMPT_BOUND_MS = 5_000;
/** How long closing the connection may hold up the exit, after the verdict. */
const STOP_BOUND_MS = 500;
/** Without a terminal: at most one "still waiting" line this often when nothing changes. */
const PLAIN_REPEAT_MS = 10_000;
/** On a terminal: how often the progress line is redrawn. */
const TTY_REDRAW_MS = 250;

export async function runWait(invocation: WaitInvocation, io: CliIo, output: Output): Promise<number> {
  const { result, supervisor } = await wait(invocation, io, output);
  if (invocation.json) output.json(result);
  else output.out(verdictLine(result, invocation));
  // The verdict first, then a polite close of the connection (bounded: the process exits anyway).
  if (supervisor) {
    await Promise.race([
      supervisor.stop().catch(() => {}),
      new Promise((resolve) => setTimeout(resolve, STOP_BOUND_MS).unref()),
    ]);
  }
  switch (result.status) {
    case 'ready':
      return EXIT.ok;
    case 'timeout':
      return EXIT.failed;
    case 'misconfigured':
      return EXIT.misconfigured;
    case 'interrupted':
      return result.signal === 'SIGTERM' ? EXIT.terminated : EXIT.interrupted;
  }
}

function verdictLine(result: WaitResult, invocation: WaitInvocation): string {
  const where = result.address ? target(result.address, result.namespace ?? '?') : 'Temporal';
  const attempts = `${result.attempts} attempt${result.attempts === 1 ? '' : 's'}`;
  const last = result.failure ? ` - last: ${describeFailure(result.failure)}` : '';
  switch (result.status) {
    case 'ready':
      return `ready: ${where} (${formatDuration(result.elapsedMs)}, ${attempts})`;
    case 'timeout':
      return `timeout: ${where} not ready after ${formatDuration(invocation.timeoutMs)} (${attempts})${last}`;
    case 'misconfigured': {
      const why = result.failure ? describeFailure(result.failure).replace(/\.$/, '') : 'configuration error';
      return `misconfigured: ${where} - ${why}. Waiting will not fix this.`;
    }
    case 'interrupted':
      return `interrupted: ${where} not ready after ${formatDuration(result.elapsedMs)} (${result.signal})${last}`;
  }
}

/** The progress display: one redrawn line on a terminal, plain lines otherwise, nothing with `--quiet`. */
class Progress {
  private line = '';
  private lastCode: string | undefined;
  private lastPrinted = 0;
  private timer: NodeJS.Timeout | undefined;
  private frame = 0;

  constructor(
    private readonly output: Output,
    private readonly mode: 'tty' | 'plain' | 'off',
    private readonly describe: () => string,
  ) {
    if (mode === 'tty') {
      this.timer = setInterval(() => this.draw(), TTY_REDRAW_MS);
      this.timer.unref();
    }
  }

  /** A new attempt: only the terminal's line shows it. */
  redraw(): void {
    if (this.mode === 'tty') this.draw();
  }

  /** An attempt failed with `code`: plain mode prints a line when the code changes, or every 10 s. */
  update(code: string): void {
    if (this.mode === 'tty') this.draw();
    else if (this.mode === 'plain') {
      const now = performance.now();
      if (code !== this.lastCode || now - this.lastPrinted >= PLAIN_REPEAT_MS) {
        this.lastCode = code;
        this.lastPrinted = now;
        this.output.err(`waiting: ${this.describe()}`);
      }
    }
  }

  private draw(): void {
    const spinner = '|/-\\'[this.frame++ % 4];
    const text = `${spinner} waiting: ${this.describe()}`;
    const width = Math.max(20, this.output.columns - 1);
    this.line = text.length > width ? `${text.slice(0, width - 1)}…` : text;
    this.output.errRaw(`\r\x1b[2K${this.line}`);
  }

  end(): void {
    clearInterval(this.timer);
    if (this.mode === 'tty' && this.line) this.output.errRaw('\r\x1b[2K');
  }
}

async function wait(
  invocation: WaitInvocation,
  io: CliIo,
  output: Output,
): Promise<{ result: WaitResult; supervisor?: Supervisor }> {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  let supervisor: Supervisor;
  try {
    supervisor = withSettings(invocation.connection, io.env, (settings) =>
      createSupervisor({
        ...settings,
        connectTimeout:
          invocation.timeoutMs > 0 ? Math.min(ATTEMPT_BOUND_MS, invocation.timeoutMs) : ATTEMPT_BOUND_MS,
        backoff: { initialDelay: 100, maxDelay: invocation.intervalMs },
        // A missing namespace is retried at the pace of the other failures, not the library's 30 s.
        permanentRetryDelay: invocation.intervalMs,
      }),
    );
  } catch (error) {
    if (!(error instanceof ConfigurationError)) throw error;
    return {
      result: {
        status: 'misconfigured',
        ok: false,
        address: invocation.connection.address,
        namespace: invocation.connection.namespace,
        tls: undefined,
        elapsedMs: elapsed(),
        attempts: 0,
        failure: { kind: 'permanent', code: 'CONFIGURATION', name: error.name, message: error.message },
      },
    };
  }
  const runtime = runtimeOf(supervisor);
  output.addSecrets(runtime.secrets());
  const where = target(runtime.address, runtime.namespace);
  const limit = invocation.timeoutMs > 0 ? ` of ${formatDuration(invocation.timeoutMs)}` : '';
  let attempts = 0;
  let failure: FailureInfo | undefined;

  const describe = () => {
    const snapshot = supervisor.snapshot();
    const why = failure ? ` - ${describeFailure(failure)}` : '';
    const next =
      snapshot.state === 'backoff' && snapshot.retryAfterMs !== undefined
        ? ` (next in ${formatDuration(snapshot.retryAfterMs)})`
        : '';
    return `[${formatDuration(elapsed())}${limit}] ${where} - attempt ${Math.max(1, attempts)}${next}${why}`;
  };
  const mode = invocation.quiet ? 'off' : output.stderrIsTTY ? 'tty' : 'plain';
  const progress = new Progress(output, mode, describe);

  const base = {
    address: runtime.address,
    namespace: runtime.namespace,
    tls: runtime.tls,
  };
  const outcome = await new Promise<{ status: WaitStatus; signal?: StopSignal }>((resolve) => {
    let timer: NodeJS.Timeout | undefined;
    const finish = (status: WaitStatus, signal?: StopSignal) => {
      clearTimeout(timer);
      subscription.dispose();
      offSignal();
      resolve(signal ? { status, signal } : { status });
    };
    const subscription = supervisor.onStateChange(({ to, snapshot }) => {
      if (to === 'connecting') {
        attempts++;
        progress.redraw();
      } else if (to === 'connected' || to === 'degraded') {
        finish('ready');
      } else if (to === 'backoff') {
        failure = snapshot.lastFailure;
        if (isMisconfiguration(failure)) finish('misconfigured');
        else progress.update(failure?.code ?? 'backoff');
      }
    });
    const offSignal = io.onSignal((signal) => finish('interrupted', signal));
    if (invocation.timeoutMs > 0) timer = setTimeout(() => finish('timeout'), invocation.timeoutMs);
    if (mode === 'plain') {
      const timeout = invocation.timeoutMs > 0 ? formatDuration(invocation.timeoutMs) : 'none';
      output.err(`waiting: ${where} (timeout ${timeout})`);
    }
    supervisor.start();
  });
  progress.end();
  return {
    supervisor,
    result: {
      status: outcome.status,
      ok: outcome.status === 'ready',
      ...base,
      elapsedMs: elapsed(),
      attempts,
      ...(outcome.status !== 'ready' && failure ? { failure } : {}),
      ...(outcome.signal ? { signal: outcome.signal } : {}),
    },
  };
}
