/**
 * What `withClient` hands its callback (docs/api.md, `RequestContext`): the connection, the deadline, and a
 * signal "aborted when the deadline passes". The signal is made lazily (src/runtime/request-gate.ts): these
 * pin that it behaves as an eager one would, whenever the call reads it.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createSupervisor, type RequestContext, type Supervisor } from '../../src/index.js';
import { FakeConnector, flush, stopOnFakes } from '../support/fake-connector.js';
import { ManualClock } from '../support/manual-clock.js';

let running: { supervisor: Supervisor; connector: FakeConnector; clock: ManualClock } | undefined;
afterEach(async () => {
  if (running) await stopOnFakes(running.supervisor, running.connector, running.clock);
  running = undefined;
});

async function connected() {
  const clock = new ManualClock();
  const connector = new FakeConnector();
  const supervisor = createSupervisor({
    envConfig: false,
    connector,
    clock,
    seed: 1,
    reachabilityInterval: false,
  });
  running = { supervisor, connector, clock };
  supervisor.start();
  await flush();
  connector.succeed();
  await flush();
  expect(supervisor.state).toBe('connected');
  return running;
}

/** A call that never settles by itself, through `withClient` with `timeout`; its context once it runs. */
async function hanging(supervisor: Supervisor, timeout: number) {
  let seen: RequestContext | undefined;
  const call = supervisor.withClient(
    (_client, context) => {
      seen = context;
      return new Promise<never>(() => {});
    },
    { timeout },
  );
  call.catch(() => {});
  await flush();
  if (!seen) throw new Error('the call did not run');
  return { call, context: seen };
}

describe('RequestContext', () => {
  it('a signal read before the deadline aborts at the deadline, with the call rejected as deadline', async () => {
    const { supervisor, clock } = await connected();
    const { call, context } = await hanging(supervisor, 1_000);
    const signal = context.signal;
    let abortedAt: number | undefined;
    signal.addEventListener('abort', () => {
      abortedAt = clock.now();
    });
    clock.advance(999);
    await flush();
    expect(signal.aborted).toBe(false);
    clock.advance(1);
    await flush();
    expect(signal.aborted).toBe(true);
    expect(abortedAt).toBe(1_000);
    expect(String((signal.reason as Error).message)).toBe('deadline passed');
    await expect(call).rejects.toMatchObject({ reason: 'deadline', maybeApplied: true });
  });

  it('a signal read only after the deadline passed is aborted already', async () => {
    const { supervisor, clock } = await connected();
    const { call, context } = await hanging(supervisor, 500);
    clock.advance(500);
    await flush();
    await expect(call).rejects.toMatchObject({ reason: 'deadline' });
    expect(context.signal.aborted).toBe(true);
    expect(context.signal).toBe(context.signal);
  });

  it('carries the connection, the deadline and the signal as plain properties, and never aborts a call that ends in time', async () => {
    const { supervisor, clock } = await connected();
    const seen: RequestContext[] = [];
    const value = await supervisor.withClient(
      async (_client, context) => {
        seen.push({ ...context });
        return 'done';
      },
      { timeout: 2_000 },
    );
    expect(value).toBe('done');
    const copy = seen[0]!;
    expect(Object.keys(copy).sort()).toEqual(['connection', 'deadline', 'signal']);
    expect(copy.deadline).toBe(2_000);
    expect(copy.signal).toBeInstanceOf(AbortSignal);
    clock.advance(5_000);
    await flush();
    expect(copy.signal.aborted).toBe(false);
  });
});
