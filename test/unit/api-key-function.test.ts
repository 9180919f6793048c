/**
 * An `apiKey` function through the supervisor (fakes, manual clock): a function that starts throwing changes no
 * state and is reported once a minute at most, through the fault reporter; every key it ever returned is
 * redacted from what the supervisor shows (failures, logs, JSON, inspect).
 */
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { createSupervisor } from '../../src/index.js';
import { FakeConnector, flush, onFakes, startConnected, stopOnFakes } from '../support/fake-connector.js';
import { pinoToMemory } from '../support/loggers.js';
import { ManualClock } from '../support/manual-clock.js';

const KEY_1 = 'fn-key-one-3c9d1e7a';
const KEY_2 = 'fn-key-two-8b2f0a64';

describe('apiKey as a function, in the supervisor', () => {
  it('a hostile function changes no state, is reported rate-limited, and all its keys are redacted', async () => {
    const clock = new ManualClock();
    const connector = new FakeConnector();
    connector.answerProbes = 3; // a healthy server
    const { logger, lines, text } = pinoToMemory('debug');
    let answer: () => string = () => KEY_1;
    const supervisor = createSupervisor({
      ...onFakes(connector, clock),
      apiKey: () => answer(),
      apiKeyRefreshInterval: '1s',
      logger,
    });
    try {
      await startConnected(supervisor, connector);
      answer = () => {
        throw new Error(`vault said no to ${KEY_1}`);
      };
      for (let i = 0; i < 30; i++) {
        await clock.run(1_000);
      }
      expect(supervisor.state).toBe('connected');
      const faults = () => lines().filter((line) => line.where === 'apiKey function');
      expect(faults()).toHaveLength(1);
      expect(faults()[0]).toMatchObject({ msg: 'User code threw; the supervisor carries on' });
      for (let i = 0; i < 31; i++) {
        await clock.run(1_000);
      }
      expect(faults()).toHaveLength(2);
      expect(faults()[1]).toMatchObject({ suppressed: expect.any(Number) });

      // A new key: in use, logged as a rotation, redacted like the first.
      answer = () => KEY_2;
      await clock.run(1_000);
      expect(text()).toContain('API key rotated');
      connector.connections[0]?.emit({
        type: 'lost',
        failure: { kind: 'transient', code: 'UNAVAILABLE', name: 'Lost', message: `gone, key ${KEY_2}` },
      });
      await flush();
      connector.fail({
        kind: 'transient',
        code: 'UNAVAILABLE',
        name: 'ServiceError',
        message: `refused ${KEY_1} and ${KEY_2}`,
      });
      await flush();
      const shown = [JSON.stringify(supervisor.snapshot()), inspect(supervisor, { depth: 10 }), text()].join(
        '\n',
      );
      expect(supervisor.snapshot().lastFailure?.message).toContain('[REDACTED]');
      expect(shown).not.toContain(KEY_1);
      expect(shown).not.toContain(KEY_2);
    } finally {
      await stopOnFakes(supervisor, connector, clock);
    }
    // Stopped: no timer left (the function is not called again).
    expect(clock.pending).toBe(0);
  });
});
