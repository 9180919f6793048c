/**
 * The connection statechart pinned with concrete numbers, written from docs/states.md and docs/api.md (not from
 * the machine): every guard, threshold, delay and counter, on the whole runtime (`createSupervisor` with the
 * FakeConnector and the ManualClock). The generated model paths (test/model) take their expectations from the
 * machine itself, so a wrong threshold would move code and expectation together; here the numbers come from
 * the documentation, and a change of behaviour fails a row.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { isTemporalUnavailableError, type SupervisorOptions } from '../../src/index.js';
import { failures, flush, type Rig, rig } from '../model/oracle-rig.js';

const rigs: Rig[] = [];
afterEach(async () => {
  for (const r of rigs.splice(0)) await r.stop();
});

/** Health-check timings that never tie: probes every 1 s, every 200 ms while degraded, slow above 300 ms. */
const HEALTH = { interval: 1_000, degradedInterval: 200, timeout: 800, slowThreshold: 300 };
const FAST = 5;

function make(options: Partial<SupervisorOptions> = {}): Rig {
  const r = rig(options);
  rigs.push(r);
  return r;
}

function withHealth(counts: { failuresToDisconnect?: number; successesToRecover?: number }, extra = {}) {
  return make({ healthCheck: { ...HEALTH, ...counts }, ...extra });
}

/** What a request gets now: 'served' or its rejection reason (failFast, so it never waits). */
async function gate(r: Rig): Promise<string> {
  return r.supervisor
    .withClient(async () => 'served', { failFast: true })
    .catch((e: unknown) => (isTemporalUnavailableError(e) ? e.reason : `unexpected ${String(e)}`));
}

/** A request whose outcome the test reads later: 'pending', 'served' or the rejection. */
function track<T>(promise: Promise<T>) {
  const outcome: { value: string; error?: unknown } = { value: 'pending' };
  promise.then(
    () => {
      outcome.value = 'served';
    },
    (error: unknown) => {
      outcome.value = isTemporalUnavailableError(error) ? error.reason : `other: ${String(error)}`;
      outcome.error = error;
    },
  );
  return outcome;
}

/** In `degraded`: waits for the next probe (degradedInterval) if none runs, then answers it. */
async function degradedProbe(r: Rig, outcome: number | 'fail'): Promise<void> {
  if (r.path() === 'online.degraded.idle') await r.advance(HEALTH.degradedInterval);
  expect(r.path()).toBe('online.degraded.probing');
  await r.probe(outcome);
}

/** From `connected.idle`: the next scheduled probe fails, which leaves for `degraded` (probeFailures 1). */
async function firstFailedProbe(r: Rig): Promise<void> {
  await r.advance(HEALTH.interval);
  expect(r.path()).toBe('online.connected.probing');
  await r.probe('fail');
  expect(r.path()).toBe('online.degraded.probing');
  expect(r.supervisor.snapshot().probeFailures).toBe(1);
}

describe('degraded → backoff: failuresToDisconnect failed probes in a row (the one that left connected counts)', () => {
  for (const n of [2, 3, 5]) {
    it(`failuresToDisconnect: ${n}: ${n - 1} failed probes stay degraded, failed probe ${n} leaves to backoff`, async () => {
      const r = withHealth({ failuresToDisconnect: n, successesToRecover: 2 });
      await r.connect();
      await firstFailedProbe(r);
      for (let failed = 2; failed < n; failed++) {
        await degradedProbe(r, 'fail');
        expect(r.supervisor.state).toBe('degraded');
        expect(r.supervisor.snapshot().probeFailures).toBe(failed);
      }
      await degradedProbe(r, 'fail');
      expect(r.supervisor.state).toBe('backoff');
      expect(r.supervisor.snapshot().lastFailure?.code).toBe('DEADLINE_EXCEEDED');
      expect(r.connector.open).toHaveLength(0);
    });
  }

  it('failuresToDisconnect: 3: a good probe in between breaks the row (fail, fail, ok, fail, fail stays degraded)', async () => {
    const r = withHealth({ failuresToDisconnect: 3, successesToRecover: 3 });
    await r.connect();
    await firstFailedProbe(r);
    await degradedProbe(r, 'fail');
    await degradedProbe(r, FAST);
    expect(r.supervisor.snapshot()).toMatchObject({ probeFailures: 0, probeSuccesses: 1 });
    await degradedProbe(r, 'fail');
    expect(r.supervisor.snapshot()).toMatchObject({ probeFailures: 1, probeSuccesses: 0 });
    await degradedProbe(r, 'fail');
    expect(r.supervisor.state).toBe('degraded');
    await degradedProbe(r, 'fail');
    expect(r.supervisor.state).toBe('backoff');
  });

  it('failuresToDisconnect: 3: entered by UNAVAILABLE_SEEN (no failed probe yet), three failed probes are needed', async () => {
    const r = withHealth({ failuresToDisconnect: 3 });
    await r.connect();
    r.live().emit({ type: 'unavailable', failure: failures.unavailable });
    await flush();
    expect(r.path()).toBe('online.degraded.probing');
    expect(r.supervisor.snapshot()).toMatchObject({ probeFailures: 0, lastFailure: { code: 'UNAVAILABLE' } });
    await degradedProbe(r, 'fail');
    await degradedProbe(r, 'fail');
    expect(r.supervisor.state).toBe('degraded');
    await degradedProbe(r, 'fail');
    expect(r.supervisor.state).toBe('backoff');
  });

  it('a slow probe neither recovers nor fails: it resets both counts (failuresToDisconnect: 3)', async () => {
    const r = withHealth({ failuresToDisconnect: 3, successesToRecover: 2 });
    await r.connect();
    await firstFailedProbe(r);
    await degradedProbe(r, 'fail');
    expect(r.supervisor.snapshot().probeFailures).toBe(2);
    await degradedProbe(r, HEALTH.slowThreshold + 1);
    expect(r.path()).toBe('online.degraded.idle');
    expect(r.supervisor.snapshot()).toMatchObject({ probeFailures: 0, probeSuccesses: 0 });
    await degradedProbe(r, 'fail');
    await degradedProbe(r, 'fail');
    expect(r.supervisor.state).toBe('degraded');
    await degradedProbe(r, 'fail');
    expect(r.supervisor.state).toBe('backoff');
  });
});

describe('degraded → connected: successesToRecover good probes in a row', () => {
  for (const m of [1, 2, 3]) {
    it(`successesToRecover: ${m}: ${m - 1} good probes stay degraded, good probe ${m} returns to connected`, async () => {
      const r = withHealth({ failuresToDisconnect: 5, successesToRecover: m });
      await r.connect();
      await firstFailedProbe(r);
      for (let good = 1; good < m; good++) {
        await degradedProbe(r, FAST);
        expect(r.supervisor.state).toBe('degraded');
        expect(r.supervisor.snapshot()).toMatchObject({ probeSuccesses: good, probeFailures: 0 });
      }
      await degradedProbe(r, FAST);
      expect(r.path()).toBe('online.connected.idle');
      expect(r.supervisor.snapshot()).toMatchObject({ probeSuccesses: 0, probeFailures: 0 });
    });
  }

  it('successesToRecover: 2: ok, slow, ok stays degraded (the slow one breaks the row); one more ok recovers', async () => {
    const r = withHealth({ successesToRecover: 2 });
    await r.connect();
    await firstFailedProbe(r);
    await degradedProbe(r, FAST);
    await degradedProbe(r, HEALTH.slowThreshold + 1);
    await degradedProbe(r, FAST);
    expect(r.supervisor.state).toBe('degraded');
    await degradedProbe(r, HEALTH.slowThreshold);
    expect(r.supervisor.state).toBe('connected');
  });

  it('a good probe exactly at slowThreshold is not slow in degraded either (successesToRecover: 1)', async () => {
    const r = withHealth({ successesToRecover: 1 });
    await r.connect();
    await firstFailedProbe(r);
    await degradedProbe(r, HEALTH.slowThreshold);
    expect(r.supervisor.state).toBe('connected');
  });
});

describe('connected: slowThreshold, healthInterval, CHECK_NOW', () => {
  it('slowThreshold 300 ms: a 300 ms probe is fine, a 301 ms one moves to degraded with both counts at 0', async () => {
    const r = withHealth({});
    await r.connect();
    await r.advance(HEALTH.interval);
    await r.probe(300);
    expect(r.path()).toBe('online.connected.idle');
    expect(r.supervisor.snapshot().lastProbeLatencyMs).toBe(300);
    await r.advance(HEALTH.interval);
    await r.probe(301);
    expect(r.path()).toBe('online.degraded.probing');
    expect(r.supervisor.snapshot()).toMatchObject({
      lastProbeLatencyMs: 301,
      probeFailures: 0,
      probeSuccesses: 0,
    });
  });

  it('healthInterval 1 s: the first probe starts 1000 ms after connecting (not at 999), the next 1000 ms after the answer', async () => {
    const r = withHealth({});
    await r.connect();
    await r.advance(999);
    expect(r.live().probes).toHaveLength(0);
    await r.advance(1);
    expect(r.path()).toBe('online.connected.probing');
    expect(r.live().probes).toHaveLength(1);
    await r.advance(50);
    await r.probe(FAST);
    await r.advance(999);
    expect(r.live().probes).toHaveLength(1);
    await r.advance(1);
    expect(r.live().probes).toHaveLength(2);
  });

  it('degradedInterval 200 ms: degraded probes at once, then 200 ms after each answer', async () => {
    const r = withHealth({ successesToRecover: 3 });
    await r.connect();
    await firstFailedProbe(r);
    expect(r.live().probes).toHaveLength(2);
    await r.probe(FAST);
    await r.advance(199);
    expect(r.path()).toBe('online.degraded.idle');
    await r.advance(1);
    expect(r.path()).toBe('online.degraded.probing');
    expect(r.live().probes).toHaveLength(3);
  });

  it('CHECK_NOW probes at once from idle and is ignored while a probe runs', async () => {
    const r = withHealth({});
    await r.connect();
    r.live().emit({ type: 'check' });
    await flush();
    expect(r.path()).toBe('online.connected.probing');
    r.live().emit({ type: 'check' });
    await flush();
    expect(r.live().probes).toHaveLength(1);
    await r.probe(FAST);
    expect(r.path()).toBe('online.connected.idle');
  });

  it('UNAVAILABLE_SEEN in degraded.idle probes at once; while a probe runs it is ignored', async () => {
    const r = withHealth({ successesToRecover: 3 });
    await r.connect();
    await firstFailedProbe(r);
    r.live().emit({ type: 'unavailable', failure: failures.unavailable });
    await flush();
    expect(r.live().probes).toHaveLength(2);
    await r.probe(FAST);
    expect(r.path()).toBe('online.degraded.idle');
    r.live().emit({ type: 'unavailable', failure: failures.unavailable });
    await flush();
    expect(r.path()).toBe('online.degraded.probing');
    expect(r.live().probes).toHaveLength(3);
  });

  it('CONNECTION_LOST from connected and from degraded goes to backoff and closes the connection', async () => {
    const r = withHealth({});
    await r.connect();
    r.live().emit({ type: 'lost', failure: failures.unavailable });
    await flush();
    expect(r.supervisor.state).toBe('backoff');
    expect(r.connector.open).toHaveLength(0);
    await r.connect();
    await firstFailedProbe(r);
    r.live().emit({ type: 'lost', failure: failures.deadline });
    await flush();
    expect(r.supervisor.snapshot()).toMatchObject({
      state: 'backoff',
      lastFailure: { code: 'DEADLINE_EXCEEDED' },
    });
  });
});

describe('stablePeriod: after it in connected, the attempt count returns to 0', () => {
  /** Two failed attempts (each retried by its backoff delay, not by retryNow, which resets), then connected. */
  async function connectedAtAttempt2(r: Rig): Promise<void> {
    r.supervisor.start();
    await r.failConnect();
    expect(r.supervisor.snapshot().attempt).toBe(1);
    await r.advanceUntil(() => r.supervisor.state === 'connecting');
    await r.failConnect();
    expect(r.supervisor.snapshot().attempt).toBe(2);
    await r.advanceUntil(() => r.supervisor.state === 'connecting');
    r.connector.succeed();
    await flush();
    expect(r.supervisor.snapshot()).toMatchObject({ state: 'connected', attempt: 2 });
  }

  it('stablePeriod 5 s: attempt is still 2 at 4999 ms, 0 at 5000 ms; a loss then backs off as attempt 1', async () => {
    const r = make({ stablePeriod: 5_000, healthCheck: { interval: 60_000 } });
    await connectedAtAttempt2(r);
    await r.advance(4_999);
    expect(r.supervisor.snapshot().attempt).toBe(2);
    await r.advance(1);
    expect(r.supervisor.snapshot().attempt).toBe(0);
    r.live().emit({ type: 'lost', failure: failures.unavailable });
    await flush();
    expect(r.supervisor.snapshot()).toMatchObject({ state: 'backoff', attempt: 1 });
    // initialDelay 100 ms ± 20 %
    expect(r.supervisor.snapshot().retryDelayMs).toBeGreaterThanOrEqual(80);
    expect(r.supervisor.snapshot().retryDelayMs).toBeLessThanOrEqual(120);
  });

  it('a loss before stablePeriod keeps counting: attempt 3', async () => {
    const r = make({ stablePeriod: 5_000, healthCheck: { interval: 60_000 } });
    await connectedAtAttempt2(r);
    await r.advance(4_999);
    r.live().emit({ type: 'lost', failure: failures.unavailable });
    await flush();
    expect(r.supervisor.snapshot()).toMatchObject({ state: 'backoff', attempt: 3 });
  });

  it('probing inside connected does not restart the timer: with probes every 1 s, still reset at 5000 ms', async () => {
    const r = make({ stablePeriod: 5_000, healthCheck: { ...HEALTH } });
    await connectedAtAttempt2(r);
    for (let i = 0; i < 4; i++) {
      await r.advance(HEALTH.interval);
      await r.probe(FAST);
    }
    await r.advance(999);
    expect(r.supervisor.snapshot().attempt).toBe(2);
    await r.advance(1);
    expect(r.supervisor.snapshot().attempt).toBe(0);
  });

  it('re-entering connected from degraded restarts it: degraded at 3 s and back at once, reset at 8 s, not 5 s', async () => {
    const r = make({
      stablePeriod: 5_000,
      healthCheck: { ...HEALTH, interval: 60_000, successesToRecover: 1 },
    });
    await connectedAtAttempt2(r);
    await r.advance(3_000);
    r.live().emit({ type: 'unavailable', failure: failures.unavailable });
    await flush();
    await r.probe(FAST);
    expect(r.supervisor.state).toBe('connected');
    await r.advance(4_999);
    expect(r.supervisor.snapshot().attempt).toBe(2);
    await r.advance(1);
    expect(r.supervisor.snapshot().attempt).toBe(0);
  });
});

describe('backoff: initialDelay × multiplier^(attempt−1), capped at maxDelay, ±jitter, capped again', () => {
  /** Fails every attempt and records, for each backoff, the attempt, the delay and when the next attempt began. */
  async function delays(r: Rig, count: number) {
    const seen: { attempt: number; delay: number; retriedAfter: number }[] = [];
    r.supervisor.start();
    for (let i = 0; i < count; i++) {
      await r.failConnect();
      const { attempt, retryDelayMs } = r.supervisor.snapshot();
      const enteredAt = r.clock.now();
      const before = r.connector.attempts.length;
      await r.advanceUntil(() => r.connector.attempts.length > before);
      seen.push({ attempt, delay: retryDelayMs, retriedAfter: r.clock.now() - enteredAt });
    }
    return seen;
  }

  it('defaults with jitter 0: 100, 170, 289, 491, 835, 1420, 2414, 4103, 5000, 5000 ms, each waited exactly', async () => {
    const r = make({ backoff: { jitter: 0 } });
    const seen = await delays(r, 10);
    // 100 × 1.7^(n−1), rounded, capped at 5 s (computed by hand: 491.3, 835.21, 1419.86, 2413.76, 4103.39, 6975.76).
    expect(seen.map((s) => s.delay)).toEqual([100, 170, 289, 491, 835, 1420, 2414, 4103, 5000, 5000]);
    expect(seen.map((s) => s.attempt)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(seen.map((s) => s.retriedAfter)).toEqual(seen.map((s) => s.delay));
  });

  it('explicit policy is honoured: initialDelay 50, multiplier 2, maxDelay 300 → 50, 100, 200, 300, 300', async () => {
    const r = make({ backoff: { initialDelay: 50, multiplier: 2, maxDelay: 300, jitter: 0 } });
    expect((await delays(r, 5)).map((s) => s.delay)).toEqual([50, 100, 200, 300, 300]);
  });

  it('default jitter ±20 %: every delay within [0.8, 1.2] × nominal and never above 5 s, for several seeds', async () => {
    const nominal = [100, 170, 289, 491.3, 835.21, 1419.857, 2413.757, 4103.387, 5000, 5000];
    let offNominal = 0;
    for (const seed of [1, 2, 3, 42, 2026]) {
      const r = make({ seed });
      const seen = await delays(r, nominal.length);
      for (const [i, { delay, retriedAfter }] of seen.entries()) {
        const n = nominal[i] as number;
        expect(delay).toBeGreaterThanOrEqual(Math.floor(n * 0.8));
        expect(delay).toBeLessThanOrEqual(Math.min(5_000, Math.ceil(n * 1.2)));
        expect(retriedAfter).toBe(delay);
        if (Math.abs(delay - Math.round(n)) > 1) offNominal++;
      }
      await r.stop();
    }
    // 50 draws from ±20 %: nearly all of them off the nominal value.
    expect(offNominal).toBeGreaterThan(25);
  });

  it('the same seed gives the same delays; another seed gives others', async () => {
    const a = (await delays(make({ seed: 5 }), 6)).map((s) => s.delay);
    const b = (await delays(make({ seed: 5 }), 6)).map((s) => s.delay);
    const c = (await delays(make({ seed: 6 }), 6)).map((s) => s.delay);
    expect(a).toEqual(b);
    expect(c).not.toEqual(a);
  });
});

describe('backoff after a permanent failure: permanentRetryDelay (30 s), requests refused', () => {
  it('namespace not found: retries after exactly 30 000 ms, and requests reject with permanent_failure', async () => {
    const r = make({ requests: { deadline: 60_000 } });
    r.supervisor.start();
    await flush();
    const waiting = track(r.supervisor.withClient(async () => 'x'));
    await r.failConnect(failures.namespaceNotFound);
    expect(r.supervisor.snapshot()).toMatchObject({
      state: 'backoff',
      attempt: 1,
      retryDelayMs: 30_000,
      lastFailure: { kind: 'permanent', code: 'NAMESPACE_NOT_FOUND' },
    });
    expect(waiting.value).toBe('permanent_failure');
    expect(await gate(r)).toBe('permanent_failure');
    expect(await r.supervisor.withClient(async () => 'x').catch((e: { reason?: string }) => e.reason)).toBe(
      'permanent_failure',
    );
    await r.advance(29_999);
    expect(r.supervisor.state).toBe('backoff');
    expect(r.connector.attempts).toHaveLength(1);
    await r.advance(1);
    expect(r.supervisor.state).toBe('connecting');
    expect(r.connector.attempts).toHaveLength(2);
    // A second permanent failure: the same 30 s, not a growing delay.
    await r.failConnect(failures.unauthenticated);
    expect(r.supervisor.snapshot()).toMatchObject({ attempt: 2, retryDelayMs: 30_000 });
  });

  it('permanentRetryDelay: 2 s is honoured', async () => {
    const r = make({ permanentRetryDelay: '2s' });
    r.supervisor.start();
    await r.failConnect(failures.unauthenticated);
    expect(r.supervisor.snapshot().retryDelayMs).toBe(2_000);
  });

  it('retryNow() (operator) retries at once even after a permanent failure, with the attempt count reset', async () => {
    const r = make({});
    r.supervisor.start();
    await r.failConnect(failures.namespaceNotFound);
    r.supervisor.retryNow();
    await flush();
    expect(r.supervisor.snapshot()).toMatchObject({ state: 'connecting', attempt: 0 });
    await r.failConnect();
    expect(r.supervisor.snapshot().attempt).toBe(1);
  });
});

describe('backoff: the reachability watcher retries early only after a transient failure', () => {
  it('transient: port seen closed, then open → connecting with attempt 0, well before the delay', async () => {
    const r = make({ reachabilityInterval: 10, backoff: { initialDelay: 5_000, jitter: 0 } });
    r.supervisor.start();
    await r.failConnect();
    await r.advance(30);
    expect(r.supervisor.state).toBe('backoff');
    r.connector.reachable = true;
    await r.advanceUntil(() => r.supervisor.state === 'connecting', 1_000);
    expect(r.supervisor.snapshot().attempt).toBe(0);
  });

  it('permanent: the port opening changes nothing; the 30 s delay holds', async () => {
    const r = make({ reachabilityInterval: 10 });
    r.supervisor.start();
    await r.failConnect(failures.unauthenticated);
    await r.advance(30);
    r.connector.reachable = true;
    await r.advance(1_000);
    expect(r.supervisor.state).toBe('backoff');
  });
});

describe('connecting: connectDeadline = connectTimeout + 1 s', () => {
  it('connectTimeout 2 s: an attempt that never answers is still connecting at 2999 ms, CONNECT_TIMEOUT at 3000', async () => {
    const r = make({ connectTimeout: '2s' });
    r.supervisor.start();
    await r.advance(2_999);
    expect(r.supervisor.state).toBe('connecting');
    await r.advance(1);
    expect(r.supervisor.snapshot()).toMatchObject({
      state: 'backoff',
      attempt: 1,
      lastFailure: { kind: 'transient', code: 'CONNECT_TIMEOUT' },
    });
    // The abandoned attempt was aborted.
    expect(r.connector.attempts[0]?.signal.aborted).toBe(true);
  });
});

describe('disconnected and stopping', () => {
  it('before start(): requests reject with not_started; after stop(): stopped, and start() throws', async () => {
    const r = make({});
    expect(r.supervisor.state).toBe('disconnected');
    expect(await gate(r)).toBe('not_started');
    await r.supervisor.stop();
    expect(r.supervisor.state).toBe('disconnected');
    expect(await gate(r)).toBe('stopped');
    expect(() => r.supervisor.start()).toThrow();
    expect(r.supervisor.state).toBe('disconnected');
  });

  it('stop() while connected closes the connection and ends in disconnected with no timer left', async () => {
    const r = withHealth({});
    await r.connect();
    await r.supervisor.stop();
    expect(r.supervisor.state).toBe('disconnected');
    expect(r.connector.open).toHaveLength(0);
    expect(r.clock.pending).toBe(0);
  });

  it('stop() while connecting aborts the attempt', async () => {
    const r = make({});
    r.supervisor.start();
    await flush();
    const stopping = r.supervisor.stop();
    await flush();
    expect(r.connector.attempts[0]?.signal.aborted).toBe(true);
    r.connector.attempts[0]?.reject(new Error('aborted'));
    await r.advance(10_000);
    await stopping;
    expect(r.supervisor.state).toBe('disconnected');
  });
});

describe('the request gate, by state (docs/states.md table), with numbers', () => {
  it('connecting, requests.deadline 500 ms: a request waits, still pending at 499 ms, rejected deadline at 500', async () => {
    const r = make({ requests: { deadline: 500 } });
    r.supervisor.start();
    await flush();
    const waiting = track(r.supervisor.withClient(async () => 'x'));
    await r.advance(499);
    expect(waiting.value).toBe('pending');
    expect(r.supervisor.snapshot().pendingRequests).toBe(1);
    await r.advance(1);
    expect(waiting.value).toBe('deadline');
    expect(waiting.error).toMatchObject({ maybeApplied: false });
    expect(r.supervisor.snapshot().pendingRequests).toBe(0);
  });

  it('a per-call timeout wins over requests.deadline; an absolute deadline wins over timeout', async () => {
    const r = make({ requests: { deadline: 10_000 } });
    r.supervisor.start();
    await flush();
    const byTimeout = track(r.supervisor.withClient(async () => 'x', { timeout: 300 }));
    const byDeadline = track(r.supervisor.withClient(async () => 'x', { timeout: 300, deadline: 200 }));
    await r.advance(199);
    expect([byTimeout.value, byDeadline.value]).toEqual(['pending', 'pending']);
    await r.advance(1);
    expect([byTimeout.value, byDeadline.value]).toEqual(['pending', 'deadline']);
    await r.advance(100);
    expect(byTimeout.value).toBe('deadline');
  });

  it('requests.maxPending 2: two wait, the third is refused at once with queue_full', async () => {
    const r = make({ requests: { maxPending: 2 } });
    r.supervisor.start();
    await flush();
    const a = track(r.supervisor.withClient(async () => 'a'));
    const b = track(r.supervisor.withClient(async () => 'b'));
    const c = track(r.supervisor.withClient(async () => 'c'));
    await flush();
    expect([a.value, b.value, c.value]).toEqual(['pending', 'pending', 'queue_full']);
    await r.connect();
    expect([a.value, b.value]).toEqual(['served', 'served']);
  });

  it('failFast (per call or requests.failFast) rejects at once with fail_fast while connecting and in backoff', async () => {
    const r = make({ requests: { failFast: true } });
    r.supervisor.start();
    await flush();
    const call = track(r.supervisor.withClient(async () => 'x'));
    await flush();
    expect(call.value).toBe('fail_fast');
    await r.failConnect();
    const again = track(r.supervisor.withClient(async () => 'x'));
    const waits = track(r.supervisor.withClient(async () => 'x', { failFast: false }));
    await flush();
    expect([again.value, waits.value]).toEqual(['fail_fast', 'pending']);
  });

  it('degraded serves requests', async () => {
    const r = withHealth({});
    await r.connect();
    await firstFailedProbe(r);
    expect(await gate(r)).toBe('served');
  });

  it('waiting requests run in arrival order when the connection comes up', async () => {
    const r = make({});
    r.supervisor.start();
    await flush();
    const order: number[] = [];
    const calls = [1, 2, 3, 4].map((n) =>
      r.supervisor.withClient(async () => {
        order.push(n);
      }),
    );
    await r.connect();
    await Promise.all(calls);
    expect(order).toEqual([1, 2, 3, 4]);
  });

  it('at most 64 released requests run at once; each one settling lets the next one go', async () => {
    const r = make({});
    r.supervisor.start();
    await flush();
    let running = 0;
    const releases: (() => void)[] = [];
    const calls = Array.from({ length: 70 }, () =>
      r.supervisor.withClient(
        () =>
          new Promise<void>((resolve) => {
            running++;
            releases.push(() => {
              running--;
              resolve();
            });
          }),
      ),
    );
    await r.connect();
    expect(running).toBe(64);
    releases.shift()?.();
    await flush();
    expect(running).toBe(64);
    expect(releases).toHaveLength(64);
    for (const release of releases.splice(0)) release();
    await flush();
    for (const release of releases.splice(0)) release();
    await Promise.all(calls);
  });

  it('an already-aborted signal rejects at once with its reason, serving or not, and the callback never runs', async () => {
    const r = make({});
    let ran = 0;
    const reason = new Error('caller gave up');
    const aborted = AbortSignal.abort(reason);
    r.supervisor.start();
    await flush();
    await expect(r.supervisor.withClient(async () => ran++, { signal: aborted })).rejects.toBe(reason);
    await r.connect();
    await expect(r.supervisor.withClient(async () => ran++, { signal: aborted })).rejects.toBe(reason);
    expect(ran).toBe(0);
  });

  it('a signal aborted while waiting rejects with its reason and leaves the queue', async () => {
    const r = make({});
    r.supervisor.start();
    await flush();
    const controller = new AbortController();
    const waiting = r.supervisor.withClient(async () => 'x', { signal: controller.signal });
    await flush();
    expect(r.supervisor.snapshot().pendingRequests).toBe(1);
    const reason = new Error('gone');
    controller.abort(reason);
    await expect(waiting).rejects.toBe(reason);
    expect(r.supervisor.snapshot().pendingRequests).toBe(0);
  });

  it('a running call failing with UNAVAILABLE: connection_lost, maybeApplied, and the connection goes degraded', async () => {
    const r = withHealth({});
    await r.connect();
    const unavailable = Object.assign(new Error('14 UNAVAILABLE: Connection dropped'), { code: 14 });
    const error = await r.supervisor.withClient(() => Promise.reject(unavailable)).catch((e: unknown) => e);
    expect(error).toMatchObject({ reason: 'connection_lost', maybeApplied: true });
    await flush();
    expect(r.supervisor.state).toBe('degraded');
  });

  it('a running call past its deadline (timeout 300 ms): rejected deadline at 300, maybeApplied, signal aborted', async () => {
    const r = withHealth({});
    await r.connect();
    let signal: AbortSignal | undefined;
    const call = track(
      r.supervisor.withClient(
        (_client, context) => {
          signal = context.signal;
          return new Promise(() => {});
        },
        { timeout: 300 },
      ),
    );
    await r.advance(299);
    expect(call.value).toBe('pending');
    expect(signal?.aborted).toBe(false);
    await r.advance(1);
    expect(call.value).toBe('deadline');
    expect(call.error).toMatchObject({ maybeApplied: true });
    expect(signal?.aborted).toBe(true);
  });

  it('stop() rejects waiting requests at once with stopped', async () => {
    const r = make({});
    r.supervisor.start();
    await flush();
    const waiting = track(r.supervisor.withClient(async () => 'x'));
    const stopping = r.supervisor.stop();
    await flush();
    expect(waiting.value).toBe('stopped');
    r.connector.attempts[0]?.reject(new Error('aborted'));
    await r.advance(10_000);
    await stopping;
  });
});
