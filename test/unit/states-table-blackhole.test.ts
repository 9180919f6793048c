/**
 * A black hole within a second, with the defaults (docs/connection.md, "Timing defaults" and "A black hole
 * within a second"; docs/states.md, `connected.probing`): a probe every 500 ms; one with no answer at all
 * 400 ms after it began degrades the connection then, with `lastFailure` PROBE_SLOW, and `degraded` probes
 * again at once; there a probe waits its whole 1 s timeout, and 3 failures give the connection up. The numbers
 * come from the docs, not from the machine; the whole runtime runs on fakes and the manual clock.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ConnectionFailureError } from '../../src/errors.js';
import { failures, type Rig, rig } from '../model/oracle-rig.js';

const rigs: Rig[] = [];
afterEach(async () => {
  for (const r of rigs.splice(0)) await r.stop();
});

function make(): Rig {
  const r = rig();
  rigs.push(r);
  return r;
}

describe('defaults: a silent server is noticed within 900 ms', () => {
  it('probe at 500 ms; still connected at 899 ms with it unanswered; degraded at 900 ms, PROBE_SLOW, probing again', async () => {
    const r = make();
    await r.connect();
    await r.advance(499);
    expect(r.live().probes).toHaveLength(0);
    await r.advance(1);
    expect(r.path()).toBe('online.connected.probing');
    await r.advance(399);
    expect(r.path()).toBe('online.connected.probing');
    await r.advance(1);
    expect(r.path()).toBe('online.degraded.probing');
    expect(r.live().probes).toHaveLength(2);
    const snapshot = r.supervisor.snapshot();
    expect(snapshot).toMatchObject({ probeFailures: 0, probeSuccesses: 0, lastProbeLatencyMs: 400 });
    expect(snapshot.lastFailure).toMatchObject({ kind: 'transient', code: 'PROBE_SLOW' });
    expect(snapshot.lastFailure?.message).toContain('no answer within 400 ms');
  });

  it('an answer at 400 ms is in time (not slow); at 401 ms the probe was already given up', async () => {
    const r = make();
    await r.connect();
    await r.advance(500);
    await r.probe(400);
    expect(r.path()).toBe('online.connected.idle');
    expect(r.supervisor.snapshot().lastFailure).toBeUndefined();
    await r.advance(500);
    await r.probe(401);
    expect(r.path()).toBe('online.degraded.probing');
    expect(r.supervisor.snapshot().lastFailure?.message).toContain('took 401 ms, over 400 ms');
  });

  it('in degraded a probe is not given up at 400 ms: it fails at its timeout, and the third failure drops the connection', async () => {
    const r = make();
    await r.connect();
    await r.advance(500 + 400); // → degraded, a probe in flight
    expect(r.path()).toBe('online.degraded.probing');
    await r.advance(999);
    expect(r.path()).toBe('online.degraded.probing');
    expect(r.live().probes).toHaveLength(2);
    for (let failed = 1; failed <= 3; failed++) {
      await r.probe('fail');
      if (failed < 3) {
        expect(r.path()).toBe('online.degraded.idle');
        expect(r.supervisor.snapshot().probeFailures).toBe(failed);
        await r.advance(500);
        expect(r.path()).toBe('online.degraded.probing');
      }
    }
    expect(r.supervisor.state).toBe('backoff');
  });

  it('two good probes in degraded bring it back to connected, which probes every 500 ms again', async () => {
    const r = make();
    await r.connect();
    await r.advance(900);
    await r.probe(5);
    expect(r.path()).toBe('online.degraded.idle');
    await r.advance(500);
    await r.probe(5);
    expect(r.path()).toBe('online.connected.idle');
    const before = r.live().probes.length;
    await r.advance(499);
    expect(r.live().probes).toHaveLength(before);
    await r.advance(1);
    expect(r.live().probes).toHaveLength(before + 1);
  });

  it('a probe that fails fast while connected is a failure (probeFailures 1), not slow', async () => {
    const r = make();
    await r.connect();
    await r.advance(500);
    r.live().pendingProbe?.reject(new ConnectionFailureError(failures.unavailable));
    await r.advance(0);
    expect(r.path()).toBe('online.degraded.probing');
    expect(r.supervisor.snapshot()).toMatchObject({ probeFailures: 1 });
    expect(r.supervisor.snapshot().lastFailure?.code).toBe('UNAVAILABLE');
  });
});
