/**
 * Rows found missing by mutation testing (docs/testing.md, "Mutation testing"), each from the documentation:
 * touching secrets are one mark (redact.ts's contract); classification of errors whose cause chain holds a
 * string, whose code is a Node string code, or whose status is OK; the request gate's getClient, its backlog
 * rule ("new requests queue behind the backlog; a fail-fast one does not wait"), a deadline counted from when
 * the request came (not from time 0), what a DEADLINE_EXCEEDED call does not report; and the bare connection
 * machine's own guards against a second STOP and a START after stop.
 */
import { describe, expect, it } from 'vitest';
import { createActor, fromCallback, fromPromise } from 'xstate';
import { type ConnectionHandle, connectionMachine } from '../../machines/connection.machine.js';
import { createRedactor } from '../../src/logging/redact.js';
import { classifyFailure } from '../../src/runtime/classify.js';
import { MODEL_CONFIG } from '../model/connection.model.js';
import { failures, flush, rigsStoppedAfterEach } from '../model/oracle-rig.js';
import { ManualClock } from '../support/manual-clock.js';

const make = rigsStoppedAfterEach();

describe('redaction: touching secrets leave one mark', () => {
  it('two secrets side by side are one [REDACTED]', () => {
    expect(createRedactor(['abcd', 'efgh'])('x abcdefgh y')).toBe('x [REDACTED] y');
  });
});

describe('classifyFailure: odd error shapes', () => {
  it('a string in the cause chain is read as a message, not probed for a code', () => {
    const error = Object.assign(new Error('outer'), { cause: 'connect ECONNREFUSED 127.0.0.1:7233' });
    expect(classifyFailure(error)).toMatchObject({ kind: 'transient', code: 'UNAVAILABLE' });
  });

  it("a Node error's string code (ECONNREFUSED) is not a gRPC status", () => {
    const error = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:7233'), { code: 'ECONNREFUSED' });
    expect(classifyFailure(error)).toMatchObject({ kind: 'transient', code: 'UNAVAILABLE', grpcCode: 14 });
  });

  it('status OK carries no failure class: the message decides', () => {
    const error = Object.assign(new Error('Deadline exceeded after 1s'), { code: 0 });
    expect(classifyFailure(error)).toMatchObject({ code: 'DEADLINE_EXCEEDED' });
  });

  it('an object with a message in the chain is read', () => {
    const error = Object.assign(new Error('outer'), { cause: { message: 'wrong version number' } });
    expect(classifyFailure(error)).toMatchObject({ kind: 'permanent', code: 'TLS_ERROR' });
  });
});

describe('request gate: getClient, the backlog, deadlines, reporting', () => {
  it('getClient waits for a serving connection and gives its client', async () => {
    const r = make({});
    r.supervisor.start();
    await flush();
    const client = r.supervisor.getClient();
    const live = await r.connect();
    expect(await client).toBe(live.client);
    expect(await r.supervisor.getClient()).toBe(live.client);
  });

  it('while a backlog drains, a new request queues behind it; a fail-fast one runs at once', async () => {
    const r = make({});
    r.supervisor.start();
    await flush();
    const order: string[] = [];
    const holds: (() => void)[] = [];
    const calls = Array.from({ length: 65 }, (_, i) =>
      r.supervisor.withClient(
        () =>
          new Promise<void>((resolve) => {
            order.push(`q${i}`);
            holds.push(resolve);
          }),
      ),
    );
    await r.connect();
    expect(order).toHaveLength(64);
    const late = r.supervisor.withClient(async () => {
      order.push('late');
    });
    const fast = r.supervisor.withClient(
      async () => {
        order.push('fast');
      },
      { failFast: true },
    );
    await fast;
    expect(order.slice(64)).toEqual(['fast']);
    holds.shift()?.();
    await flush();
    expect(order.slice(64)).toEqual(['fast', 'q64']);
    for (const hold of holds.splice(0)) hold();
    await flush();
    for (const hold of holds.splice(0)) hold();
    await Promise.all([...calls, late]);
    expect(order.at(-1)).toBe('late');
  });

  it('a waiter is not handed a connection that went away while the backlog drained', async () => {
    const r = make({});
    r.supervisor.start();
    await flush();
    const holds: (() => void)[] = [];
    const calls = Array.from({ length: 65 }, () =>
      r.supervisor
        .withClient(() => new Promise<void>((resolve) => holds.push(resolve)), { timeout: 5_000 })
        .catch((e: { reason?: string }) => e.reason),
    );
    await r.connect();
    r.live().emit({ type: 'lost', failure: failures.unavailable });
    await flush();
    holds.shift()?.();
    await flush();
    expect(holds).toHaveLength(63);
    await r.advance(5_000);
    expect((await Promise.all(calls)).at(-1)).toBe('deadline');
  });

  it('a 300 ms timeout counts from when the request came (t = 1000): still running at 1299, rejected at 1300', async () => {
    const r = make({ healthCheck: { interval: '1h' } });
    await r.connect();
    await r.advance(1_000);
    let outcome = 'pending';
    r.supervisor
      .withClient(() => new Promise(() => {}), { timeout: 300 })
      .catch(() => {
        outcome = 'rejected';
      });
    await r.advance(299);
    expect(outcome).toBe('pending');
    await r.advance(1);
    expect(outcome).toBe('rejected');
  });

  it('a call failing with DEADLINE_EXCEEDED is a deadline, and does not move the connection to degraded', async () => {
    const r = make({ healthCheck: { interval: '1h' } });
    await r.connect();
    const exceeded = Object.assign(new Error('4 DEADLINE_EXCEEDED: Deadline exceeded'), { code: 4 });
    const error = await r.supervisor.withClient(() => Promise.reject(exceeded)).catch((e: unknown) => e);
    expect(error).toMatchObject({ reason: 'deadline', maybeApplied: true });
    await flush();
    expect(r.supervisor.state).toBe('connected');
  });

  it('in backoff the snapshot holds no connection; a permanent failure starts no reachability dials', async () => {
    const r = make({ reachabilityInterval: 10 });
    await r.connect();
    r.live().emit({ type: 'lost', failure: failures.unavailable });
    await flush();
    expect(r.supervisor.snapshot()).toMatchObject({ state: 'backoff', connection: undefined });
    r.supervisor.retryNow();
    await r.failConnect(failures.unauthenticated);
    const dials = r.connector.reachabilityChecks;
    await r.advance(1_000);
    expect(r.connector.reachabilityChecks).toBe(dials);
  });

  it('each connect attempt is told its number (attempt + 1)', async () => {
    const r = make({ backoff: { jitter: 0 } });
    r.supervisor.start();
    await r.failConnect();
    await r.advanceUntil(() => r.connector.attempts.length === 2);
    expect(r.connector.attempts.map((a) => a.request.attempt)).toEqual([1, 2]);
  });
});

describe('the bare connection machine: stopped for good', () => {
  let drains = 0;
  function bare() {
    drains = 0;
    const machine = connectionMachine.provide({
      actors: {
        connect: fromPromise(() => new Promise<ConnectionHandle>(() => {})),
        watchReachability: fromCallback(() => () => {}),
        stopChildren: fromPromise(() => {
          drains++;
          return new Promise<void>(() => {});
        }),
        disconnect: fromPromise(async () => {}),
      },
    });
    return createActor(machine, { input: { config: MODEL_CONFIG, seed: 1 }, clock: new ManualClock() });
  }

  it('with no children configured it spawns none', () => {
    const actor = bare();
    actor.start();
    expect(Object.keys(actor.getSnapshot().children)).toEqual([]);
    actor.stop();
  });

  it('a second STOP while draining changes nothing; after stopping, START is refused', async () => {
    const actor = bare();
    actor.start();
    actor.send({ type: 'START' });
    actor.send({ type: 'STOP' });
    expect(actor.getSnapshot().value).toEqual({ stopping: 'draining' });
    expect(drains).toBe(1);
    actor.send({ type: 'STOP' });
    expect(actor.getSnapshot().value).toEqual({ stopping: 'draining' });
    // Not re-entered: the children are not asked to stop a second time.
    expect(drains).toBe(1);
    expect(actor.getSnapshot().context.stopped).toBe(true);
    actor.stop();

    const stopped = createActor(
      connectionMachine.provide({
        actors: { stopChildren: fromPromise(async () => {}), disconnect: fromPromise(async () => {}) },
      }),
      { input: { config: MODEL_CONFIG, seed: 1 } },
    );
    stopped.start();
    stopped.send({ type: 'STOP' });
    await flush();
    expect(stopped.getSnapshot().value).toBe('disconnected');
    stopped.send({ type: 'START' });
    stopped.send({ type: 'STOP' });
    expect(stopped.getSnapshot().value).toBe('disconnected');
    stopped.stop();
  });
});
