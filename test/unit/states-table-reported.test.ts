/**
 * The rest of docs/states.md's worker and creator tables: STOP from each state (idle, restarting and givenUp
 * → stopped; starting, running and refreshing → draining → stopped, also when the drain fails), refreshing
 * and RESTART while disconnected, a failed resume check; the state each child reports in
 * `snapshot().children` (its tag); and `toFailureInfo` (machines/failure.ts: anything not classified is
 * transient UNKNOWN, keeping the error's name and message).
 */
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { toFailureInfo } from '../../machines/failure.js';
import { ConnectionFailureError } from '../../src/errors.js';
import type { SupervisorOptions } from '../../src/index.js';
import { runtimeOf } from '../../src/supervisor/internals.js';
import { loadWorkerPackage } from '../../src/temporal/worker-package.js';
import { crash, failures, flush, outage, type Rig, rig } from '../model/oracle-rig.js';

// @temporalio/worker is loaded lazily, on the first worker; load it before the manual clock runs the tests.
beforeAll(() => loadWorkerPackage());

const rigs: Rig[] = [];
afterEach(async () => {
  for (const r of rigs.splice(0)) await r.stop();
});

function withWorker(restart: Record<string, unknown> = {}): Rig {
  const r = rig({
    healthCheck: { interval: '1h' },
    stablePeriod: '1h',
    creators: { orders: {} },
    workers: { w: { taskQueue: 'q', activities: {}, restart: { delay: '1s', ...restart } } },
  } as Partial<SupervisorOptions>);
  rigs.push(r);
  return r;
}

const reported = (r: Rig) => r.supervisor.snapshot().children;
const side = (r: Rig) => {
  const s = r.workers.get('w');
  if (!s) throw new Error('no worker side');
  return s;
};

/** stop(), settling every drain the test is asked for; resolves with the worker's state seen while stopping. */
async function stopAll(r: Rig, shutdownError?: unknown): Promise<string[]> {
  const seen: string[] = [];
  const stopping = r.supervisor.stop();
  for (let i = 0; i < 10 && r.supervisor.state !== 'disconnected'; i++) {
    await flush();
    seen.push(String(reported(r)['worker:w']));
    while (side(r).shutdowns.length)
      side(r).settle('shutdowns', seen.length === 1 ? shutdownError : undefined);
  }
  await stopping;
  seen.push(String(reported(r)['worker:w']));
  return [...new Set(seen)];
}

describe('worker: STOP from every state, as reported in snapshot().children', () => {
  it('idle → stopped (never connected)', async () => {
    const r = withWorker();
    expect(reported(r)).toEqual({ 'worker:w': 'idle', 'creator:orders': 'waiting' });
    expect(await stopAll(r)).toEqual(['stopped']);
    expect(reported(r)).toEqual({ 'worker:w': 'stopped', 'creator:orders': 'stopped' });
  });

  it('starting → draining → stopped', async () => {
    const r = withWorker();
    await r.connect();
    expect(reported(r)).toEqual({ 'worker:w': 'starting', 'creator:orders': 'ready' });
    expect(await stopAll(r)).toEqual(['draining', 'stopped']);
  });

  // From the state its create leads to (created, crashed within or beyond the intensity), STOP ends in `stopped`.
  for (const [state, restart, error, path] of [
    ['running', {}, undefined, ['draining', 'stopped']],
    ['restarting', {}, crash(), ['stopped']],
    ['givenUp', { maxRestarts: 0 }, crash(), ['stopped']],
  ] as const) {
    it(`${state} → ${path.join(' → ')}${state === 'running' ? ', also when the drain fails' : ''}`, async () => {
      const r = withWorker(restart);
      await r.connect();
      side(r).settle('creates', error);
      await flush();
      expect(reported(r)['worker:w']).toBe(state);
      expect(await stopAll(r, new Error('shutdown failed'))).toEqual(path);
    });
  }

  it('refreshing → draining → stopped', async () => {
    const r = withWorker();
    await r.connect();
    side(r).settle('creates');
    await flush();
    r.live().emit({ type: 'lost', failure: failures.unavailable });
    await flush();
    side(r).verdict = 'refresh';
    await r.connect();
    expect(reported(r)['worker:w']).toBe('refreshing');
    expect(await stopAll(r)).toEqual(['draining', 'stopped']);
  });
});

describe('worker: refreshing, RESTART and the resume check while the connection comes and goes', () => {
  async function refreshing(r: Rig) {
    await r.connect();
    side(r).settle('creates');
    await flush();
    r.live().emit({ type: 'lost', failure: failures.unavailable });
    await flush();
    side(r).verdict = 'refresh';
    await r.connect();
    expect(reported(r)['worker:w']).toBe('refreshing');
  }

  it('the handover done after the connection dropped again → idle; CONNECTION_UP then starts', async () => {
    const r = withWorker();
    await refreshing(r);
    r.live().emit({ type: 'lost', failure: failures.unavailable });
    await flush();
    side(r).settle('shutdowns');
    await flush();
    expect(reported(r)['worker:w']).toBe('idle');
  });

  it('the handover failing: → starting when connected, → idle when not', async () => {
    const connected = withWorker();
    await refreshing(connected);
    side(connected).settle('shutdowns', new Error('handover failed'));
    await flush();
    expect(reported(connected)['worker:w']).toBe('starting');

    const dropped = withWorker();
    await refreshing(dropped);
    dropped.live().emit({ type: 'lost', failure: failures.unavailable });
    await flush();
    side(dropped).settle('shutdowns', new Error('handover failed'));
    await flush();
    expect(reported(dropped)['worker:w']).toBe('idle');
  });

  it('RESTART from givenUp while disconnected → idle with the history cleared', async () => {
    const r = withWorker({ maxRestarts: 0 });
    await r.connect();
    side(r).settle('creates', crash());
    await flush();
    r.live().emit({ type: 'lost', failure: failures.unavailable });
    await flush();
    r.supervisor.restartWorker('w');
    await flush();
    expect(r.child('worker:w')).toMatchObject({ value: 'idle', context: { restarts: [] } });
  });

  it('a resume check that fails keeps the worker (steady), generation unchanged', async () => {
    const r = withWorker();
    await r.connect();
    side(r).settle('creates');
    await flush();
    r.live().emit({ type: 'lost', failure: failures.unavailable });
    await flush();
    const worker = runtimeOf(r.supervisor).workers.get('w');
    if (!worker) throw new Error('no worker');
    worker.checkResume = () => Promise.reject(new Error('check failed'));
    await r.connect();
    expect(r.child('worker:w')).toMatchObject({ value: { running: 'steady' }, context: { generation: 1 } });
  });

  it('a running worker failing while the connection is down restarts into idle', async () => {
    const r = withWorker();
    await r.connect();
    side(r).settle('creates');
    await flush();
    r.live().emit({ type: 'lost', failure: failures.unavailable });
    await flush();
    side(r).settle('runs', outage());
    await r.advance(1_000);
    expect(reported(r)['worker:w']).toBe('idle');
  });
});

describe('creator: reported states', () => {
  it('waiting, ready, waiting again, stopped', async () => {
    const r = withWorker();
    expect(reported(r)['creator:orders']).toBe('waiting');
    await r.connect();
    expect(reported(r)['creator:orders']).toBe('ready');
    r.live().emit({ type: 'lost', failure: failures.unavailable });
    await flush();
    expect(reported(r)['creator:orders']).toBe('waiting');
  });
});

describe('toFailureInfo: what the machines keep of a failure', () => {
  it('a classified error gives its failure as it is', () => {
    expect(toFailureInfo(new ConnectionFailureError(failures.namespaceNotFound))).toBe(
      failures.namespaceNotFound,
    );
    const permanent = { failure: { kind: 'permanent', code: 'X', name: 'N', message: 'm' } };
    expect(toFailureInfo(permanent)).toBe(permanent.failure);
  });

  it('anything else is transient UNKNOWN with the error name and message, or Error and String(value)', () => {
    class Odd extends Error {
      override name = 'OddError';
    }
    expect(toFailureInfo(new Odd('went odd'))).toEqual({
      kind: 'transient',
      code: 'UNKNOWN',
      name: 'OddError',
      message: 'went odd',
    });
    expect(toFailureInfo('text')).toEqual({
      kind: 'transient',
      code: 'UNKNOWN',
      name: 'Error',
      message: 'text',
    });
    expect(toFailureInfo(null)).toEqual({
      kind: 'transient',
      code: 'UNKNOWN',
      name: 'Error',
      message: 'null',
    });
    expect(toFailureInfo(undefined).message).toBe('undefined');
    expect(toFailureInfo(7).message).toBe('7');
  });

  it('a failure field that is not a classified failure is not trusted', () => {
    for (const failure of [null, 'x', {}, { kind: 'other' }, { kind: undefined }]) {
      const info = toFailureInfo({ failure, message: 'm' });
      expect(info).toMatchObject({ kind: 'transient', code: 'UNKNOWN', name: 'Error' });
    }
    const error = Object.assign(new Error('bad'), { failure: { kind: 'maybe' } });
    expect(toFailureInfo(error)).toMatchObject({ kind: 'transient', code: 'UNKNOWN', message: 'bad' });
    expect(toFailureInfo({ failure: { kind: 'transient', code: 'C', name: 'n', message: 'x' } }).code).toBe(
      'C',
    );
  });
});

describe('connection: what a probe leaves in the snapshot (docs/states.md, online.connected / online.degraded)', () => {
  it('lastFailure is the failed probe’s failure, in connected, in degraded and when leaving for backoff', async () => {
    const r = rig({ healthCheck: { interval: 1_000, degradedInterval: 200, failuresToDisconnect: 3 } });
    rigs.push(r);
    const probeFailing = async (code: string) => {
      await flush();
      if (r.path() === 'online.degraded.idle' || r.path() === 'online.connected.idle') await r.advance(1_000);
      r.live().pendingProbe?.reject(
        new ConnectionFailureError({ ...failures.deadline, code, message: code }),
      );
      await flush();
      return r.supervisor.snapshot();
    };
    await r.connect();
    expect((await probeFailing('FIRST')).lastFailure?.code).toBe('FIRST');
    expect((await probeFailing('SECOND')).lastFailure?.code).toBe('SECOND');
    const left = await probeFailing('THIRD');
    expect(left.state).toBe('backoff');
    expect(left.lastFailure?.code).toBe('THIRD');
  });

  it('lastProbeLatencyMs is each good probe’s latency in degraded, slow or not, and on recovering', async () => {
    const r = rig({
      healthCheck: { interval: 1_000, degradedInterval: 200, slowThreshold: 300, successesToRecover: 2 },
    });
    rigs.push(r);
    await r.connect();
    r.live().emit({ type: 'unavailable', failure: failures.unavailable });
    await flush();
    await r.probe(350);
    expect(r.supervisor.snapshot().lastProbeLatencyMs).toBe(350);
    await r.advance(200);
    await r.probe(12);
    expect(r.supervisor.snapshot()).toMatchObject({ state: 'degraded', lastProbeLatencyMs: 12 });
    await r.advance(200);
    await r.probe(34);
    expect(r.supervisor.snapshot()).toMatchObject({ state: 'connected', lastProbeLatencyMs: 34 });
  });

  it('CONNECTION_LOST keeps the event’s failure as lastFailure; children learn the connection id', async () => {
    const r = rig({ creators: { orders: {} } });
    rigs.push(r);
    const live = await r.connect();
    expect(r.child('creator:orders').context.connectionId).toBe(live.id);
    live.emit({ type: 'lost', failure: { ...failures.unavailable, code: 'LOST_IT' } });
    await flush();
    expect(r.supervisor.snapshot().lastFailure?.code).toBe('LOST_IT');
  });
});
