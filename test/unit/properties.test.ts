/**
 * Property tests (fast-check) of two promises that no hand-written table can cover exhaustively:
 *
 * 1. Options (docs/api.md, issue 13): whatever object is passed, `createSupervisor` either throws a
 *    `SupervisorOptionsError` whose `field` is a path present in that object, or returns a supervisor that
 *    starts and stops cleanly against a closed port of 127.0.0.1 within 2 s (the real connector).
 * 2. The runtime (docs/guarantees.md, docs/states.md): over random sequences of connects, failures, probes,
 *    channel signals, requests, clock steps and a stop, on the FakeConnector and the ManualClock: the state is
 *    always one of the documented ones, at most one connection is open, every request settles by its
 *    deadline with `maybeApplied` true exactly when its callback ran, and after stop() no timer and no
 *    connection is left.
 *
 * Seeded, so a run is reproducible: PROPERTY_SEED=<n> replays a seed; on failure fast-check prints the seed
 * and the shrunk counterexample.
 */
import { createServer } from 'node:net';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  CONNECTION_STATES,
  createSupervisor,
  isSupervisorOptionsError,
  isTemporalUnavailableError,
  type SupervisorOptions,
} from '../../src/index.js';
import { failures, flush, type Rig, rig } from '../model/oracle-rig.js';

const SEED = Number(process.env.PROPERTY_SEED ?? 20261201);

/** Whether `field` (dotted; keys may contain dots) names a key present in `input`. */
function hasPath(input: unknown, field: string): boolean {
  if (typeof input !== 'object' || input === null) return false;
  for (const key of Object.keys(input)) {
    if (field === key) return true;
    if (
      field.startsWith(`${key}.`) &&
      hasPath((input as Record<string, unknown>)[key], field.slice(key.length + 1))
    )
      return true;
  }
  return false;
}

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (typeof address !== 'object' || address === null) throw new Error('no port');
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return address.port;
}

// Values a caller might pass: valid ones, and every kind of wrong one.
const junk = fc.constantFrom<unknown>(
  null,
  true,
  'abc',
  '',
  -1,
  0,
  Number.NaN,
  Number.POSITIVE_INFINITY,
  {},
  [],
  () => 1,
);
const unknownKey = fc.constantFrom('bogus', 'timeOut', 'retries');

/**
 * Option objects. With `wrong`, each value is sometimes wrong (1 in 7), a section sometimes carries an unknown
 * key or is not an object; without, every value is valid (so that the start/stop half is exercised as much).
 */
function optionsArb(wrong: boolean) {
  const v = (valid: fc.Arbitrary<unknown>, bad: fc.Arbitrary<unknown>) =>
    wrong ? fc.oneof({ weight: 6, arbitrary: valid }, { weight: 1, arbitrary: fc.oneof(bad, junk) }) : valid;
  const duration = v(
    fc.oneof(fc.integer({ min: 1, max: 60_000 }), fc.constantFrom('1ms', '250ms', '1s', '2 s', '1m')),
    fc.constantFrom('-1s', '1 fortnight', '0', 0.4),
  );
  /** Cross-field rules (slowThreshold ≤ timeout, initialDelay ≤ maxDelay) need coherent ranges. */
  const durationIn = (min: number, max: number) => v(fc.integer({ min, max }), fc.constantFrom('-1s', '0'));
  const count = v(fc.integer({ min: 1, max: 10 }), fc.constantFrom(-1, 1.5, '3'));
  const bool = v(fc.boolean(), fc.constantFrom<unknown>('no', 1, 0, null));
  const section = (shape: Record<string, fc.Arbitrary<unknown>>) => {
    const record = fc.record(shape, { requiredKeys: [] });
    if (!wrong) return record;
    return fc.oneof(
      { weight: 12, arbitrary: record },
      {
        weight: 1,
        arbitrary: fc
          .tuple(record, unknownKey, fc.anything())
          .map(([value, key, extra]) => ({ ...value, [key]: extra })),
      },
      { weight: 1, arbitrary: junk },
    );
  };
  return fc.record(
    {
      namespace: v(fc.constantFrom('default', 'orders-1'), fc.constantFrom(' ', '')),
      connectTimeout: duration,
      permanentRetryDelay: duration,
      stablePeriod: duration,
      closeTimeout: duration,
      reachabilityInterval: fc.oneof(duration, fc.constant(false)),
      seed: v(fc.integer(), fc.constant('7')),
      backoff: section({
        initialDelay: durationIn(1, 1_000),
        maxDelay: durationIn(1_000, 60_000),
        multiplier: v(fc.double({ min: 1, max: 3, noNaN: true }), fc.constantFrom(0.5, -1)),
        jitter: v(fc.double({ min: 0, max: 1, noNaN: true }), fc.constantFrom(-0.1, 1.1)),
      }),
      healthCheck: section({
        method: v(fc.constantFrom('health', 'system-info', 'namespace'), fc.constantFrom('getSystemInfo', 1)),
        interval: duration,
        degradedInterval: duration,
        timeout: durationIn(1_000, 5_000),
        slowThreshold: durationIn(1, 1_000),
        failuresToDisconnect: count,
        successesToRecover: count,
      }),
      requests: section({ deadline: duration, maxPending: count, failFast: bool }),
      creators: v(
        fc.dictionary(
          v(
            fc.constantFrom('orders', 'a.b', 'orders_2'),
            fc.constantFrom('bad name', '', 'x'.repeat(65)),
          ) as fc.Arbitrary<string>,
          section({ retryDelay: duration, maxPending: count, failFast: bool }),
          { maxKeys: 2 },
        ),
        junk,
      ),
    },
    { requiredKeys: [] },
  );
}

describe('property: any option object is either a field-naming SupervisorOptionsError or a clean start/stop', () => {
  it('against a closed port of 127.0.0.1, stop() resolves within 2 s; every error names a field of the input', async () => {
    const port = await closedPort();
    const seen = { rejected: 0, started: 0 };
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(optionsArb(true), optionsArb(false)),
        fc.integer({ min: 0, max: 9 }),
        async (generated, dice) => {
          const unknownTop = dice === 0;
          const input: Record<string, unknown> = { ...generated, ...(unknownTop ? { bogusOption: 1 } : {}) };
          let supervisor: ReturnType<typeof createSupervisor>;
          try {
            supervisor = createSupervisor({
              ...input,
              address: `127.0.0.1:${port}`,
              envConfig: false,
            } as SupervisorOptions);
          } catch (error) {
            if (!isSupervisorOptionsError(error))
              throw new Error(`not a SupervisorOptionsError: ${String(error)}`);
            if (!hasPath(input, error.field)) throw new Error(`field ${error.field} is not in the input`);
            seen.rejected++;
            return;
          }
          seen.started++;
          const began = Date.now();
          supervisor.start();
          await new Promise((resolve) => setTimeout(resolve, 20));
          let timer: NodeJS.Timeout | undefined;
          const bounded = await Promise.race([
            supervisor.stop().then(() => 'stopped'),
            new Promise((resolve) => {
              timer = setTimeout(() => resolve('hung'), 2_000);
            }),
          ]);
          clearTimeout(timer);
          if (bounded !== 'stopped')
            throw new Error(`stop() did not resolve within 2 s (state ${supervisor.state})`);
          if (supervisor.state !== 'disconnected') throw new Error(`state ${supervisor.state} after stop()`);
          if (Date.now() - began > 2_000) throw new Error('start and stop took more than 2 s');
        },
      ),
      { seed: SEED, numRuns: 60, endOnFailure: true },
    );
    // Both outcomes were exercised, not just one.
    expect(seen.rejected).toBeGreaterThan(5);
    expect(seen.started).toBeGreaterThan(5);
  }, 30_000);
});

// --- 2: random event sequences on the whole runtime --------------------------------------------------------

type Command =
  | { readonly k: 'start' }
  | { readonly k: 'stop' }
  | { readonly k: 'retryNow' }
  | { readonly k: 'connectOk' }
  | { readonly k: 'connectFail'; readonly permanent: boolean }
  | { readonly k: 'probe'; readonly outcome: 'fast' | 'slow' | 'fail' }
  | { readonly k: 'signal'; readonly type: 'lost' | 'unavailable' | 'check' }
  | { readonly k: 'advance'; readonly ms: number }
  | { readonly k: 'settleAborted' }
  | { readonly k: 'port'; readonly open: boolean }
  | {
      readonly k: 'creatorStart';
      readonly timeoutMs: number;
      readonly fault: 'none' | 'hang' | 'unavailable-after' | 'unavailable-before';
    }
  | {
      readonly k: 'request';
      readonly timeoutMs: number;
      readonly failFast: boolean;
      readonly behaviour: 'ok' | 'hang' | 'unavailable';
    };

const commandArb: fc.Arbitrary<Command> = fc.oneof(
  { weight: 2, arbitrary: fc.constant({ k: 'start' } as const) },
  { weight: 1, arbitrary: fc.constant({ k: 'retryNow' } as const) },
  { weight: 3, arbitrary: fc.constant({ k: 'connectOk' } as const) },
  { weight: 2, arbitrary: fc.boolean().map((permanent) => ({ k: 'connectFail', permanent }) as const) },
  {
    weight: 3,
    arbitrary: fc.constantFrom('fast', 'slow', 'fail').map((outcome) => ({ k: 'probe', outcome }) as const),
  },
  {
    weight: 2,
    arbitrary: fc
      .constantFrom('lost', 'unavailable', 'check')
      .map((type) => ({ k: 'signal', type }) as const),
  },
  { weight: 4, arbitrary: fc.integer({ min: 1, max: 6_000 }).map((ms) => ({ k: 'advance', ms }) as const) },
  {
    weight: 4,
    arbitrary: fc
      .record({
        timeoutMs: fc.integer({ min: 1, max: 8_000 }),
        failFast: fc.boolean(),
        behaviour: fc.constantFrom('ok', 'hang', 'unavailable'),
      })
      .map((r) => ({ k: 'request', ...r }) as const),
  },
  {
    weight: 3,
    arbitrary: fc
      .record({
        timeoutMs: fc.integer({ min: 1, max: 8_000 }),
        fault: fc.constantFrom('none', 'hang', 'unavailable-after', 'unavailable-before'),
      })
      .map((r) => ({ k: 'creatorStart', ...r }) as const),
  },
  { weight: 2, arbitrary: fc.constant({ k: 'settleAborted' } as const) },
  // The server's port as the reachability dial sees it: closed then open again, the server seen back.
  { weight: 2, arbitrary: fc.boolean().map((open) => ({ k: 'port', open }) as const) },
  { weight: 1, arbitrary: fc.constant({ k: 'stop' } as const) },
);

/** The leaf states docs/states.md lists, as dotted paths of `snapshot().value`. */
const DOCUMENTED_PATHS = new Set([
  'disconnected',
  'connecting',
  'online.connected.idle',
  'online.connected.probing',
  'online.degraded.idle',
  'online.degraded.probing',
  'backoff.waiting',
  'backoff.spreading',
  'stopping.draining',
  'stopping.closing',
]);

interface Tracked {
  /** `withClient` (one attempt: maybeApplied says whether the callback ran) or a creator's start. */
  readonly kind: 'client' | 'creator';
  readonly deadline: number;
  /** A creator's start that resolved: the run it got back. */
  run?: { workflowId: string; runId: string };
  ran: boolean;
  settled: boolean;
  error?: unknown;
}

class Run {
  readonly r: Rig = rig({
    creators: { orders: {} },
    requests: { maxPending: 5 },
    healthCheck: { interval: 1_000, degradedInterval: 200, slowThreshold: 300 },
    reachabilityInterval: 50,
    reconnectSpread: 2_000,
  });
  readonly requests: Tracked[] = [];
  private readonly answered = new Set<unknown>();
  private stopping: Promise<void> | undefined;

  /** An attempt in flight that nobody answered yet. */
  private openAttempt() {
    const attempt = this.r.connector.pendingAttempt;
    return attempt && !this.answered.has(attempt) ? attempt : undefined;
  }

  async perform(command: Command): Promise<void> {
    const { r } = this;
    switch (command.k) {
      case 'start':
        if (!this.stopping && r.supervisor.state === 'disconnected') r.supervisor.start();
        break;
      case 'stop':
        this.stopping ??= r.supervisor.stop();
        break;
      case 'retryNow':
        r.supervisor.retryNow();
        break;
      case 'port':
        r.connector.reachable = command.open;
        break;
      case 'connectOk': {
        const attempt = this.openAttempt();
        if (attempt && !attempt.signal.aborted) {
          this.answered.add(attempt);
          r.connector.succeed();
        }
        break;
      }
      case 'connectFail': {
        const attempt = this.openAttempt();
        if (attempt) {
          this.answered.add(attempt);
          r.connector.fail(command.permanent ? failures.unauthenticated : failures.unavailable);
        }
        break;
      }
      case 'probe': {
        const connection = r.connector.connections.at(-1);
        const probe = connection && !connection.closed ? connection.pendingProbe : undefined;
        if (probe && command.outcome === 'fail') probe.reject(new Error('probe failed'));
        else probe?.resolve({ latencyMs: command.outcome === 'fast' ? 5 : 301 });
        break;
      }
      case 'signal': {
        const connection = r.connector.connections.at(-1);
        if (connection && !connection.closed) {
          connection.emit(
            command.type === 'check'
              ? { type: 'check' }
              : { type: command.type, failure: failures.unavailable },
          );
        }
        break;
      }
      case 'advance':
        await r.advance(command.ms);
        break;
      case 'settleAborted':
        this.settleAborted();
        break;
      case 'request':
        this.request(command);
        break;
      case 'creatorStart':
        this.creatorStart(command);
        break;
    }
    await flush();
  }

  /** The connector honours its signal (at the time the sequence says): attempts the supervisor aborted settle. */
  settleAborted(): void {
    for (const attempt of this.r.connector.attempts) {
      if (attempt.signal.aborted && !this.answered.has(attempt)) {
        this.answered.add(attempt);
        attempt.reject(new Error('aborted'));
      }
    }
  }

  private request(command: Extract<Command, { k: 'request' }>): void {
    const tracked: Tracked = {
      kind: 'client',
      deadline: this.r.clock.now() + command.timeoutMs,
      ran: false,
      settled: false,
    };
    this.requests.push(tracked);
    const unavailable = Object.assign(new Error('14 UNAVAILABLE: Connection dropped'), { code: 14 });
    this.r.supervisor
      .withClient(
        async () => {
          tracked.ran = true;
          if (command.behaviour === 'hang') return new Promise<never>(() => {});
          if (command.behaviour === 'unavailable') throw unavailable;
          return 'ok';
        },
        { timeout: command.timeoutMs, failFast: command.failFast },
      )
      .then(
        () => {
          tracked.settled = true;
        },
        (error: unknown) => {
          tracked.settled = true;
          tracked.error = error;
        },
      );
  }

  private creatorStart(command: Extract<Command, { k: 'creatorStart' }>): void {
    const tracked: Tracked = {
      kind: 'creator',
      deadline: this.r.clock.now() + command.timeoutMs,
      ran: false,
      settled: false,
    };
    this.requests.push(tracked);
    if (command.fault !== 'none') this.r.connector.server.inject(command.fault);
    const workflowId = `order-${this.requests.length}`;
    this.r.supervisor
      .creator('orders')
      .start('wf', { workflowId, taskQueue: 'q' }, { timeout: command.timeoutMs })
      .then(
        (outcome) => {
          tracked.settled = true;
          tracked.run = { workflowId: outcome.workflowId, runId: outcome.runId };
        },
        (error: unknown) => {
          tracked.settled = true;
          tracked.error = error;
        },
      );
  }

  /** The invariants that hold after every step. */
  check(): void {
    const { r } = this;
    const state = r.supervisor.state;
    if (!CONNECTION_STATES.includes(state)) throw new Error(`undocumented state ${state}`);
    if (!DOCUMENTED_PATHS.has(r.path())) throw new Error(`undocumented state value ${r.path()}`);
    if (r.connector.open.length > 1) throw new Error(`${r.connector.open.length} connections open at once`);
    const now = r.clock.now();
    for (const [i, request] of this.requests.entries()) {
      if (!request.settled && now >= request.deadline)
        throw new Error(`request ${i} unsettled at ${now}, past its deadline ${request.deadline}`);
      if (request.error !== undefined) {
        if (!isTemporalUnavailableError(request.error))
          throw new Error(`request ${i} rejected with ${String(request.error)}`);
        if (request.kind === 'client' && request.error.maybeApplied !== request.ran)
          throw new Error(
            `request ${i}: maybeApplied ${request.error.maybeApplied} but its callback ${request.ran ? 'ran' : 'never ran'} (reason ${request.error.reason})`,
          );
      }
    }
  }

  /** stop(), then time past every deadline: nothing may be left. */
  async finish(): Promise<void> {
    const { r } = this;
    await this.perform({ k: 'stop' });
    this.settleAborted();
    const lastDeadline = Math.max(r.clock.now(), ...this.requests.map((q) => q.deadline));
    await r.advance(lastDeadline - r.clock.now() + 60_000);
    await this.stopping;
    this.check();
    if (r.supervisor.state !== 'disconnected') throw new Error(`state ${r.supervisor.state} after stop()`);
    if (r.clock.pending !== 0) throw new Error(`${r.clock.pending} timers left after stop()`);
    if (r.connector.open.length !== 0) throw new Error(`${r.connector.open.length} connections left open`);
    const unsettled = this.requests.filter((q) => !q.settled).length;
    if (unsettled !== 0) throw new Error(`${unsettled} requests never settled`);
    // Exactly once: each start call (its own workflow id) started at most one execution, and one that resolved
    // got back the run the server holds for its id.
    const { executions } = r.connector.server;
    const starts = this.requests.filter((q) => q.kind === 'creator').length;
    if (executions.size > starts) throw new Error(`${executions.size} executions from ${starts} start calls`);
    for (const q of this.requests) {
      if (q.run && executions.get(q.run.workflowId)?.runId !== q.run.runId)
        throw new Error(`start of ${q.run.workflowId} resolved with ${q.run.runId}, not the server's run`);
    }
  }
}

describe('property: random event sequences on the whole runtime keep the guarantees', () => {
  it('documented states only, one connection at most, every request settled by its deadline, nothing left after stop', async () => {
    const reasons = new Map<string, number>();
    const states = new Set<string>();
    await fc.assert(
      fc.asyncProperty(
        fc.array(commandArb, { minLength: 10, maxLength: 60, size: 'max' }),
        async (commands) => {
          const run = new Run();
          try {
            for (const command of commands) {
              await run.perform(command);
              run.check();
              states.add(run.r.path());
            }
            await run.finish();
            for (const request of run.requests) {
              const reason =
                request.error === undefined
                  ? 'served'
                  : String((request.error as { reason?: string }).reason);
              reasons.set(reason, (reasons.get(reason) ?? 0) + 1);
            }
          } finally {
            await run.r.stop();
          }
        },
      ),
      { seed: SEED, numRuns: 150, endOnFailure: true },
    );
    // The sequences reached every documented state and the main outcomes of a request.
    expect([...DOCUMENTED_PATHS].filter((p) => !states.has(p))).toEqual([]);
    for (const reason of [
      'served',
      'deadline',
      'fail_fast',
      'connection_lost',
      'stopped',
      'permanent_failure',
    ])
      expect(reasons.get(reason) ?? 0, reason).toBeGreaterThan(0);
  }, 60_000);
});

describe('hasPath (the property’s own helper)', () => {
  it('finds dotted paths, keys with dots included, and nothing else', () => {
    const input = { healthCheck: { interval: 1 }, creators: { 'a.b': { retryDelay: 1 } } };
    expect(hasPath(input, 'healthCheck.interval')).toBe(true);
    expect(hasPath(input, 'creators.a.b.retryDelay')).toBe(true);
    expect(hasPath(input, 'healthCheck.timeout')).toBe(false);
    expect(hasPath(input, 'requests')).toBe(false);
  });
});
