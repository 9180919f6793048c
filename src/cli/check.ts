/**
 * `check`: one connection attempt with the library's connector (TCP, TLS, GetSystemInfo, DescribeNamespace),
 * bounded by `--timeout`, and exactly one line saying why it passed or failed.
 */

import type { FailureInfo } from '../index.js';
import { createRedactor } from '../logging/redact.js';
import { tlsEnabled } from '../options/connection.js';
import { resolveOptions } from '../options/resolve.js';
import { classifyFailure } from '../runtime/classify.js';
import { fixedCredentials } from '../runtime/credential-source.js';
import { createTemporalConnector } from '../temporal/connector.js';
import type { Invocation } from './args.js';
import { EXIT } from './exit-codes.js';
import { describeFailure, errorLine, formatDuration, isMisconfiguration, type Output, target } from './io.js';
import { ConfigurationError, withSettings } from './settings.js';

type CheckInvocation = Extract<Invocation, { command: 'check' }>;

export type CheckStatus = 'ok' | 'unavailable' | 'misconfigured';

export interface CheckResult {
  readonly status: CheckStatus;
  readonly ok: boolean;
  readonly address: string | undefined;
  readonly namespace: string | undefined;
  readonly tls: boolean | undefined;
  /** Time the check took (connect, TLS, GetSystemInfo and DescribeNamespace). */
  readonly latencyMs: number;
  readonly failure?: FailureInfo;
}

/** How long closing the connection may hold the verdict up. */
const CLOSE_BOUND_MS = 250;

export async function runCheck(
  invocation: CheckInvocation,
  env: Readonly<Record<string, string | undefined>>,
  output: Output,
): Promise<number> {
  const result = await check(invocation, env, output);
  if (invocation.json) output.json(result);
  else output.out(verdictLine(result));
  return result.ok ? EXIT.ok : EXIT.failed;
}

function verdictLine(result: CheckResult): string {
  const where = result.address ? target(result.address, result.namespace ?? '?') : 'Temporal';
  const took = `(${formatDuration(result.latencyMs)})`;
  if (result.ok) return `ok: ${where} serving ${took}`;
  return `${result.status}: ${where} - ${result.failure ? describeFailure(result.failure) : 'unknown'} ${took}`;
}

async function check(
  invocation: CheckInvocation,
  env: Readonly<Record<string, string | undefined>>,
  output: Output,
): Promise<CheckResult> {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  let options: ReturnType<typeof resolveOptions>;
  try {
    options = withSettings(invocation.connection, env, (settings) =>
      resolveOptions({ ...settings, connectTimeout: invocation.timeoutMs }),
    );
  } catch (error) {
    if (!(error instanceof ConfigurationError)) throw error;
    return {
      status: 'misconfigured',
      ok: false,
      address: invocation.connection.address,
      namespace: invocation.connection.namespace,
      tls: undefined,
      latencyMs: elapsed(),
      failure: { kind: 'permanent', code: 'CONFIGURATION', name: error.name, message: error.message },
    };
  }
  output.addSecrets(options.secrets);
  const redact = createRedactor(options.secrets);
  const base = {
    address: options.address,
    namespace: options.namespace,
    tls: tlsEnabled(options),
  };
  const connector = createTemporalConnector(options, fixedCredentials(options, redact));
  const abort = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<'deadline'>((resolve) => {
    timer = setTimeout(() => resolve('deadline'), invocation.timeoutMs);
  });
  const attempt = connector.connect({
    id: 1,
    attempt: 1,
    timeoutMs: invocation.timeoutMs,
    signal: abort.signal,
  });
  try {
    const outcome = await Promise.race([attempt, deadline]);
    if (outcome === 'deadline') {
      abort.abort();
      attempt.then((live) => live.close()).catch(() => {});
      return {
        status: 'unavailable',
        ok: false,
        ...base,
        latencyMs: elapsed(),
        failure: {
          kind: 'transient',
          code: 'DEADLINE_EXCEEDED',
          grpcCode: 4,
          name: 'CheckTimeout',
          message: `No answer within --timeout ${formatDuration(invocation.timeoutMs)}`,
        },
      };
    }
    const latencyMs = elapsed();
    await Promise.race([
      outcome.close().catch(() => {}),
      new Promise((resolve) => setTimeout(resolve, CLOSE_BOUND_MS).unref()),
    ]);
    return { status: 'ok', ok: true, ...base, latencyMs };
  } catch (error) {
    const failure = classifyFailure(error, redact);
    return {
      status: isMisconfiguration(failure) ? 'misconfigured' : 'unavailable',
      ok: false,
      ...base,
      latencyMs: elapsed(),
      failure: { ...failure, message: errorLine(failure.message) },
    };
  } finally {
    clearTimeout(timer);
  }
}
