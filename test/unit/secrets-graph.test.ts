import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { createSupervisor } from '../../src/index.js';
import { FakeConnector, flush, onFakes, startConnected, stopOnFakes } from '../support/fake-connector.js';
import { ManualClock } from '../support/manual-clock.js';
import { API_KEY, AUTHORIZATION, leakedSecrets, TLS_CERT, TLS_KEY } from '../support/secrets.js';

/** Everything a user can reach from the objects we hand out, stringified every way they would. */
function texts(value: unknown): string[] {
  return [
    JSON.stringify(value) ?? '',
    inspect(value, { depth: Number.POSITIVE_INFINITY, showHidden: true, getters: true }),
    String(value),
  ];
}

describe('secrets stay out of the object graph', () => {
  it('JSON.stringify and util.inspect of a supervisor, its creator and its worker hold no credential', async () => {
    const clock = new ManualClock();
    const connector = new FakeConnector();
    const supervisor = createSupervisor({
      envConfig: false,
      apiKey: API_KEY,
      tls: { clientCertPair: { crt: TLS_CERT, key: TLS_KEY } },
      metadata: { 'x-authorization': AUTHORIZATION },
      clock,
      connector,
      seed: 1,
      creators: { orders: {} },
      workers: { w: { taskQueue: 'q', activities: {} } },
    });
    try {
      const reachable = [supervisor, supervisor.creator('orders'), supervisor.snapshot()];
      for (const value of reachable) {
        for (const text of texts(value)) expect(leakedSecrets(text)).toStrictEqual([]);
      }
      // What users see is still useful: the state, the creator's name.
      expect(JSON.parse(JSON.stringify(supervisor))).toMatchObject({ state: 'disconnected' });
      expect(inspect(supervisor)).toContain("state: 'disconnected'");
      expect(JSON.parse(JSON.stringify(supervisor.creator('orders')))).toStrictEqual({
        name: 'orders',
        pending: 0,
        accepting: true,
      });
      // No own enumerable property of the supervisor at all: nothing to walk into.
      expect(Object.keys(supervisor)).toStrictEqual([]);
    } finally {
      await stopOnFakes(supervisor, connector, clock);
    }
  });

  it('the same with an apiKey function (after it answered) and TLS files being watched', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ts-secrets-'));
    writeFileSync(join(dir, 'tls.crt'), TLS_CERT);
    writeFileSync(join(dir, 'tls.key'), TLS_KEY);
    const clock = new ManualClock();
    const connector = new FakeConnector();
    const supervisor = createSupervisor({
      ...onFakes(connector, clock),
      apiKey: async () => API_KEY,
      tls: {
        clientCertPair: { crtFile: join(dir, 'tls.crt'), keyFile: join(dir, 'tls.key') },
        reload: { interval: '1s' },
      },
      creators: { orders: {} },
      workers: { w: { taskQueue: 'q', activities: {} } },
    });
    try {
      await startConnected(supervisor, connector);
      clock.advance(1_000);
      await flush();
      const reachable = [supervisor, supervisor.creator('orders'), supervisor.snapshot()];
      for (const value of reachable) {
        for (const text of texts(value)) expect(leakedSecrets(text)).toStrictEqual([]);
      }
    } finally {
      await stopOnFakes(supervisor, connector, clock);
      rmSync(dir, { recursive: true, force: true });
    }
    // Stopped: neither the apiKey function's timer nor the files' poll is left.
    expect(clock.pending).toBe(0);
  });
});
