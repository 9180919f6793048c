/**
 * `reconnectSpread` (docs/api.md, docs/connection.md): once the reachability dial finds the server back, the
 * retry waits a delay drawn uniformly from [0, reconnectSpread); 0 (the default) retries at once. The backoff's
 * delays are not changed by it (the spread draws from a stream of its own).
 *
 * Each case holds the backoff at 10 s so that only the dial can start an attempt before it.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createSupervisor, type Supervisor, type SupervisorOptions } from '../../src/index.js';
import { FakeConnector, failures, flush, stopOnFakes } from '../support/fake-connector.js';
import { ManualClock } from '../support/manual-clock.js';

const running: { supervisor: Supervisor; connector: FakeConnector; clock: ManualClock }[] = [];
afterEach(async () => {
  for (const { supervisor, connector, clock } of running.splice(0))
    await stopOnFakes(supervisor, connector, clock);
});

const DIAL_MS = 250;
const SLOW_BACKOFF = { initialDelay: '10s', maxDelay: '10s' } as const;

function setup(options: SupervisorOptions) {
  const clock = new ManualClock();
  const connector = new FakeConnector();
  const debug: { message: string; fields: Record<string, unknown> }[] = [];
  const supervisor = createSupervisor({
    envConfig: false,
    connector,
    clock,
    reachabilityInterval: DIAL_MS,
    backoff: SLOW_BACKOFF,
    logger: {
      debug: (message: string, fields?: Record<string, unknown>) =>
        debug.push({ message, fields: fields ?? {} }),
      info: () => {},
      warn: () => {},
      error: () => {},
    },
    ...options,
  });
  running.push({ supervisor, connector, clock });
  return { clock, connector, supervisor, debug };
}

/** Runs the clock until the connector sees attempt number `n` (1-based); its time, or undefined by `limit`. */
async function attemptAt(clock: ManualClock, connector: FakeConnector, n: number, limit: number) {
  for (;;) {
    await flush();
    if (connector.attempts.length >= n) return clock.now();
    const due = clock.nextDue;
    if (due === undefined || due > limit) return undefined;
    await clock.run(due - clock.now());
  }
}

/**
 * The server refuses the first attempt (at 0) and its port stays closed for the watcher's first dial (at 0);
 * it opens just before the second dial (at 250 ms). Returns when the second attempt came, after that dial.
 */
async function retryAfterPortOpens(options: SupervisorOptions) {
  const { clock, connector, supervisor, debug } = setup(options);
  supervisor.start();
  await flush();
  connector.fail(failures.unavailable);
  await flush();
  expect(supervisor.state).toBe('backoff');
  connector.reachable = true;
  const at = await attemptAt(clock, connector, 2, 9_999);
  return { at: at === undefined ? undefined : at - DIAL_MS, debug };
}

describe('reconnectSpread', () => {
  it('left out: the attempt starts at the dial that finds the port open', async () => {
    const { at, debug } = await retryAfterPortOpens({ seed: 3 });
    expect(at).toBe(0);
    expect(debug.filter((l) => l.message.includes('spread'))).toStrictEqual([]);
  });

  it('1 s: each replica waits a delay in [0, 1 s) after the dial, spread evenly over 200 seeds', async () => {
    const delays: number[] = [];
    for (let seed = 1; seed <= 200; seed++) {
      const { at, debug } = await retryAfterPortOpens({ seed, reconnectSpread: '1s' });
      expect(at).toBeDefined();
      delays.push(at as number);
      // The wait is logged at debug with its delay, once (a draw of 0 too: it enters `spreading` all the same).
      const lines = debug.filter(
        (l) => l.message === 'Temporal server reachable again; reconnecting after a spread',
      );
      expect(lines.map((l) => l.fields.delayMs)).toStrictEqual([at]);
      const done = running.pop();
      if (done) await stopOnFakes(done.supervisor, done.connector, done.clock);
    }
    for (const d of delays) {
      expect(d).toBeGreaterThanOrEqual(0);
      expect(d).toBeLessThan(1_000);
    }
    // Uniform: each quarter of the window holds 50 ± 20 of the 200 (a binomial's σ is ~6).
    const quarters = [0, 1, 2, 3].map((q) => delays.filter((d) => Math.floor(d / 250) === q).length);
    for (const count of quarters) {
      expect(count).toBeGreaterThanOrEqual(30);
      expect(count).toBeLessThanOrEqual(70);
    }
    // Distinct replicas draw distinct delays: not one shared delay for everyone.
    expect(new Set(delays).size).toBeGreaterThan(150);
  });

  it('the same seed gives the same delay; the spread leaves the backoff delays as they were', async () => {
    const a = await retryAfterPortOpens({ seed: 11, reconnectSpread: '2s' });
    const b = await retryAfterPortOpens({ seed: 11, reconnectSpread: '2s' });
    expect(a.at).toBe(b.at);
    const delaysWith = async (spread: SupervisorOptions['reconnectSpread']) => {
      const { clock, connector, supervisor } = setup({
        seed: 5,
        reconnectSpread: spread,
        backoff: { initialDelay: '10s', maxDelay: '20s' },
      });
      supervisor.start();
      const seen: number[] = [];
      for (let i = 0; i < 4; i++) {
        await flush();
        connector.reachable = false;
        connector.fail(failures.unavailable);
        await flush();
        seen.push(supervisor.snapshot().retryDelayMs);
        connector.reachable = true;
        await attemptAt(clock, connector, i + 2, clock.now() + 20_000);
      }
      return seen;
    };
    const without = await delaysWith(undefined);
    const withSpread = await delaysWith('3s');
    expect(withSpread).toStrictEqual(without);
    // Each retry came from the dial (within 3 s, before the 8–12 s backoff), which resets the attempt count:
    // every delay is a first attempt's, 10 s ± 20 %, each its own draw.
    for (const delay of without) {
      expect(delay).toBeGreaterThanOrEqual(8_000);
      expect(delay).toBeLessThanOrEqual(12_000);
    }
    expect(new Set(without).size).toBe(4);
  });

  it('the drawn delay replaces the rest of the backoff: a spread longer than the backoff is waited out', async () => {
    const { clock, connector, supervisor } = setup({
      seed: 2,
      reconnectSpread: '60s',
      backoff: { initialDelay: '2s', maxDelay: '2s' },
    });
    supervisor.start();
    await flush();
    connector.fail(failures.unavailable);
    await flush();
    const backoffMs = supervisor.snapshot().retryDelayMs;
    expect(backoffMs).toBeGreaterThanOrEqual(1_600);
    expect(backoffMs).toBeLessThanOrEqual(2_400);
    connector.reachable = true;
    await clock.run(DIAL_MS);
    // Seen back at the second dial: the retry is drawn, and the snapshot says when it comes.
    const drawn = supervisor.snapshot();
    expect(drawn.value).toStrictEqual({ backoff: 'spreading' });
    expect(drawn.retryAfterMs).toBeGreaterThan(backoffMs);
    expect(drawn.retryAfterMs).toBeLessThan(60_000);
    const at = await attemptAt(clock, connector, 2, 70_000);
    // Not at the backoff's end: at the dial plus the drawn delay, and with the attempt count reset.
    expect(at).toBe(DIAL_MS + (drawn.retryAfterMs as number));
    expect(supervisor.snapshot().attempt).toBe(0);
  });

  it('while spreading, an operator retryNow() attempts at once', async () => {
    const { clock, connector, supervisor } = setup({ seed: 2, reconnectSpread: '60s' });
    supervisor.start();
    await flush();
    connector.fail(failures.unavailable);
    await flush();
    connector.reachable = true;
    await clock.run(DIAL_MS);
    expect(supervisor.snapshot().value).toStrictEqual({ backoff: 'spreading' });
    supervisor.retryNow();
    await flush();
    expect(supervisor.state).toBe('connecting');
    expect(connector.attempts).toHaveLength(2);
    expect(clock.now()).toBe(DIAL_MS);
  });

  it('after a permanent failure the dial draws nothing: the 30 s wait stands', async () => {
    const { clock, connector, supervisor } = setup({ seed: 2, reconnectSpread: '1s' });
    supervisor.start();
    await flush();
    connector.reachable = true;
    connector.fail(failures.namespaceNotFound);
    await flush();
    await clock.run(5_000);
    expect(supervisor.snapshot().value).toStrictEqual({ backoff: 'waiting' });
    expect(connector.attempts).toHaveLength(1);
  });
});
