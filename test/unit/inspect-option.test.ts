/**
 * The `inspect` option takes what XState's `createActor(…, { inspect })` takes: a function, or an xstate
 * `Observer`; in particular `@statelyai/inspect`'s `inspector.inspect`, plugged in here with an in-memory adapter
 * (the browser and websocket adapters differ only in where `send` goes). On the real runtime, fake Temporal.
 */
import { createInspector, type StatelyInspectionEvent } from '@statelyai/inspect';
import { afterEach, describe, expect, it } from 'vitest';
import type { InspectionEvent } from 'xstate';
import {
  createSupervisor,
  type InspectOption,
  isSupervisorOptionsError,
  type Supervisor,
} from '../../src/index.js';
import { FakeConnector, startConnected, stopOnFakes } from '../support/fake-connector.js';
import { messageMetaLogger } from '../support/loggers.js';
import { ManualClock } from '../support/manual-clock.js';

const API_KEY = 'inspect-secret-api-key-7731';
const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function connectWith(inspect: InspectOption, logger?: ReturnType<typeof messageMetaLogger>['logger']) {
  const clock = new ManualClock();
  const connector = new FakeConnector();
  const supervisor: Supervisor = createSupervisor({
    envConfig: false,
    connector,
    clock,
    reachabilityInterval: false,
    apiKey: API_KEY,
    inspect,
    logger,
    creators: { orders: {} },
  });
  cleanups.push(() => stopOnFakes(supervisor, connector, clock));
  await startConnected(supervisor, connector);
  return supervisor;
}

describe('the inspect option', () => {
  it("plugs in @statelyai/inspect's observer: actors, events and snapshots, without secrets", async () => {
    const sent: StatelyInspectionEvent[] = [];
    const inspector = createInspector({ send: (event) => sent.push(event) });
    await connectWith(inspector.inspect);

    const actors = sent.filter((event) => event.type === '@xstate.actor').map((event) => event.name);
    expect(actors).toEqual(expect.arrayContaining(['creator:orders']));
    expect(sent.some((event) => event.type === '@xstate.event' && event.event.type === 'START')).toBe(true);
    const snapshots = sent.filter((event) => event.type === '@xstate.snapshot');
    expect(snapshots.length).toBeGreaterThan(0);
    expect(JSON.stringify(sent)).not.toContain(API_KEY);
  });

  it('calls an observer object as its method (this is the observer) and a function as before', async () => {
    class Recorder {
      readonly types: string[] = [];
      next(event: InspectionEvent): void {
        this.types.push(event.type);
      }
    }
    const recorder = new Recorder();
    await connectWith(recorder);
    expect(recorder.types).toEqual(
      expect.arrayContaining(['@xstate.actor', '@xstate.event', '@xstate.snapshot']),
    );

    const seen: string[] = [];
    await connectWith((event) => seen.push(event.type));
    expect(seen).toEqual(expect.arrayContaining(['@xstate.event', '@xstate.snapshot']));
  });

  it('an observer that throws is reported (rate-limited: once here) and the supervisor goes on', async () => {
    const { logger, calls: logged } = messageMetaLogger(false);
    let calls = 0;
    const supervisor = await connectWith(
      {
        next: () => {
          calls++;
          throw new Error(`inspector broke with ${API_KEY}`);
        },
      },
      logger,
    );
    expect(calls).toBeGreaterThan(1);
    expect(supervisor.state).toBe('connected');
    const errors = logged.filter(
      ([, message, meta]) =>
        message === 'User code threw; the supervisor carries on' && meta?.where === 'inspect',
    );
    expect(errors).toHaveLength(1);
    expect(errors[0]?.[0]).toBe('error');
    expect(JSON.stringify(logged)).not.toContain(API_KEY);
  });

  it.each([
    [42, 'inspect', /Invalid option `inspect`: expected a function or an Observer, received 42/],
    [{ next: 'log' }, 'inspect.next', /Invalid option `inspect.next`: expected a function, received "log"/],
    [{ complete: () => {} }, 'inspect.next', /An Observer without `next` receives nothing/],
    [{ next: () => {}, error: true }, 'inspect.error', /`inspect.error`: expected a function, received true/],
  ])('rejects %j naming %s', (inspect, field, message) => {
    const error = (() => {
      try {
        createSupervisor({ envConfig: false, connector: new FakeConnector(), inspect: inspect as never });
      } catch (thrown) {
        return thrown;
      }
    })();
    expect(isSupervisorOptionsError(error)).toBe(true);
    expect(error).toMatchObject({ field });
    expect((error as Error).message).toMatch(message);
  });
});
