/**
 * The transition stream (`onTransition`) on the real runtime (fake Temporal, manual clock): every actor's
 * state changes, substates included, in order, each once.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { type ActorTransition, createSupervisor } from '../../src/index.js';
import { statePath } from '../../src/internal.js';
import { FakeConnector, flush, stopOnFakes } from '../support/fake-connector.js';
import { ManualClock } from '../support/manual-clock.js';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function setup() {
  const clock = new ManualClock();
  const connector = new FakeConnector();
  const supervisor = createSupervisor({
    envConfig: false,
    connector,
    clock,
    reachabilityInterval: false,
    creators: { orders: {} },
  });
  const seen: ActorTransition[] = [];
  const subscription = supervisor.onTransition((t) => seen.push(t));
  cleanups.push(async () => {
    subscription.dispose();
    await stopOnFakes(supervisor, connector, clock);
  });
  return { clock, connector, supervisor, seen };
}

describe('onTransition', () => {
  it('reports the connection and each child, substates included, with the event that caused each', async () => {
    const { connector, supervisor, seen } = setup();
    supervisor.start();
    await flush();
    connector.succeed();
    await flush();
    const connection = seen.filter((t) => t.actor === 'connection');
    expect(connection.map((t) => `${t.fromPath}→${t.toPath}`)).toEqual([
      'disconnected→connecting',
      'connecting→online.connected.idle',
    ]);
    expect(connection[0]).toMatchObject({ from: 'disconnected', to: 'connecting', event: 'START' });
    expect(connection[1]).toMatchObject({ from: 'connecting', to: 'connected' });
    const creator = seen.filter((t) => t.actor === 'creator:orders');
    // Children are spawned when the supervisor is created (their first state, `waiting`, precedes any
    // listener); the connection coming up moves them on.
    expect(creator.map((t) => `${t.from}→${t.to}`)).toEqual(['waiting→ready']);
    // No repeats: each entry is a change.
    for (const t of seen) expect(t.fromPath).not.toBe(t.toPath);
  });

  it('stops calling a disposed listener, and keeps calling the others when one throws', async () => {
    const { connector, supervisor, seen } = setup();
    const other: ActorTransition[] = [];
    const thrower = supervisor.onTransition(() => {
      throw new Error('listener bug');
    });
    supervisor.onTransition((t) => other.push(t)).dispose();
    supervisor.start();
    await flush();
    connector.succeed();
    await flush();
    thrower.dispose();
    expect(other).toEqual([]);
    expect(seen.length).toBeGreaterThan(2);
  });
});

describe('statePath', () => {
  it('flattens nested state values', () => {
    expect(statePath('backoff')).toBe('backoff');
    expect(statePath({ online: { connected: 'probing' } })).toBe('online.connected.probing');
    expect(statePath({ stopping: 'draining' })).toBe('stopping.draining');
  });
});
