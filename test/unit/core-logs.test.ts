/**
 * The `coreLogs` option: validation, the process-global Runtime checks, and the logger the Runtime is
 * installed with (level filtering, redaction). Forwarding from the real core is proven in
 * test/integration/observability.test.ts; nothing here installs a Runtime.
 */
import { Runtime } from '@temporalio/worker';
import { afterEach, describe, expect, it } from 'vitest';
import { createSupervisor, isSupervisorOptionsError, type SupervisorOptions } from '../../src/index.js';
import { toSupervisorLogger } from '../../src/logging/logger.js';
import { createRedactor } from '../../src/logging/redact.js';
import { ForwardingLogger } from '../../src/temporal/core-logs.js';
import { FakeConnector } from '../support/fake-connector.js';
import { pinoToMemory } from '../support/loggers.js';
import { ManualClock } from '../support/manual-clock.js';
import { API_KEY, AUTHORIZATION, BEARER_TOKEN, leakedSecrets, TLS_KEY } from '../support/secrets.js';

const stops: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const stop of stops.splice(0)) await stop();
});

const worker = { w: { taskQueue: 'q', activities: {} } };

function supervisorWith(options: SupervisorOptions) {
  const supervisor = createSupervisor({
    envConfig: false,
    connector: new FakeConnector(),
    clock: new ManualClock(),
    reachabilityInterval: false,
    workers: worker,
    ...options,
  });
  stops.push(() => supervisor.stop());
  return supervisor;
}

function optionsError(options: SupervisorOptions): { field: string; message: string } {
  try {
    supervisorWith(options);
  } catch (error) {
    if (isSupervisorOptionsError(error)) return { field: error.field, message: error.message };
    throw error;
  }
  throw new Error('no error');
}

describe('coreLogs option', () => {
  it('takes the SDK telemetryOptions but logging, naming the field', () => {
    expect(optionsError({ coreLogs: { telemetryOptions: 'prometheus' as never } })).toMatchObject({
      field: 'coreLogs.telemetryOptions',
      message: expect.stringMatching(/expected an object, received "prometheus"/),
    });
    expect(optionsError({ coreLogs: { telemetryOptions: { logging: {} } as never } })).toMatchObject({
      field: 'coreLogs.telemetryOptions.logging',
      message: expect.stringMatching(/core log forwarding is the Runtime's logging.*coreLogs.level/),
    });
    expect(optionsError({ coreLogs: { telemetryOptions: { metric: {} } as never } })).toMatchObject({
      field: 'coreLogs.telemetryOptions.metric',
      message: expect.stringMatching(/Known options of `coreLogs.telemetryOptions`: metrics, tracingFilter/),
    });
  });

  it('refuses bad values, naming the field and the fix', () => {
    expect(optionsError({ coreLogs: 'WARN' as never })).toMatchObject({
      field: 'coreLogs',
      message: expect.stringMatching(
        /expected an object, received "WARN". Pass e.g. `coreLogs: \{ level: 'WARN' \}`/,
      ),
    });
    expect(optionsError({ coreLogs: { level: 'warn' as never } })).toMatchObject({
      field: 'coreLogs.level',
      message: expect.stringMatching(/one of 'TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR'.*received "warn"/),
    });
    expect(optionsError({ coreLogs: { sdkLevel: 3 as never } })).toMatchObject({
      field: 'coreLogs.sdkLevel',
    });
    expect(optionsError({ coreLogs: { levle: 'WARN' } as never })).toMatchObject({
      field: 'coreLogs.levle',
      message: expect.stringContaining('Known options of `coreLogs`: level, sdkLevel'),
    });
    expect(optionsError({ coreLogs: {}, workers: {} })).toMatchObject({
      field: 'coreLogs',
      message: expect.stringContaining('no `workers` are configured'),
    });
  });

  it('refuses when a Runtime already exists in the process (it is process-global)', () => {
    const saved = { instance: Runtime._instance, instantiator: Runtime.instantiator };
    Runtime._instance = {} as Runtime;
    Runtime.instantiator = 'instance';
    try {
      expect(optionsError({ coreLogs: { level: 'WARN' } })).toMatchObject({
        field: 'coreLogs',
        message: expect.stringMatching(
          /Runtime already exists in this process \(created implicitly by a NativeConnection or Worker made earlier\).*Create the supervisor before any NativeConnection or Worker/,
        ),
      });
    } finally {
      Runtime._instance = saved.instance;
      Runtime.instantiator = saved.instantiator;
    }
  });

  it('lets one supervisor of the process forward core logs at a time', async () => {
    const first = supervisorWith({ coreLogs: { level: 'WARN' } });
    expect(optionsError({ coreLogs: {} })).toMatchObject({
      field: 'coreLogs',
      message: expect.stringContaining('another supervisor of this process already forwards'),
    });
    await first.stop();
    expect(() => supervisorWith({ coreLogs: {} })).not.toThrow();
    expect(Runtime._instance).toBeUndefined(); // nothing installed before a worker is created
  });
});

describe('the Runtime logger (ForwardingLogger)', () => {
  const redact = createRedactor([API_KEY, AUTHORIZATION, BEARER_TOKEN]);

  it('forwards core lines as they come (filtered natively) and SDK lines from sdkLevel up, redacted', () => {
    const { logger, lines, text } = pinoToMemory('trace');
    const forward = new ForwardingLogger(toSupervisorLogger(logger), redact, 'INFO');
    forward.log('DEBUG', `core poll failed: authorization ${AUTHORIZATION}`, {
      sdkComponent: 'core',
      target: 'temporalio_sdk_core::pollers',
      attempt: 3n as unknown as number,
      error: new Error(`status Unavailable, key ${API_KEY}`),
    });
    forward.debug('Worker state changed', { sdkComponent: 'worker', state: 'RUNNING' });
    forward.info('Worker state changed', { sdkComponent: 'worker', state: 'RUNNING' });
    forward.warn(`activity said ${BEARER_TOKEN}`);
    expect(lines()).toEqual([
      expect.objectContaining({
        level: 20,
        component: 'temporal-sdk',
        msg: 'core poll failed: authorization [REDACTED]',
        sdkComponent: 'core',
        target: 'temporalio_sdk_core::pollers',
        attempt: '3',
        error: { name: 'Error', message: 'status Unavailable, key [REDACTED]' },
      }),
      expect.objectContaining({ level: 30, msg: 'Worker state changed', sdkComponent: 'worker' }),
      expect.objectContaining({ level: 40, msg: 'activity said [REDACTED]' }),
    ]);
    expect(leakedSecrets(text())).toEqual([]);
  });

  it('redacts secrets that JSON would escape: quotes, backslashes, newlines, a PEM key', () => {
    const awkward = 'sk-"quoted"\\back\nslash-0123';
    const pem = TLS_KEY.toString('utf8');
    const { logger, text } = pinoToMemory('trace');
    const forward = new ForwardingLogger(toSupervisorLogger(logger), createRedactor([awkward, pem]), 'INFO');
    forward.log('WARN', 'core said', { sdkComponent: 'core', detail: `key=${awkward}`, nested: { pem } });
    const out = text();
    expect(out).toContain('[REDACTED]');
    expect(out).not.toContain('quoted');
    expect(leakedSecrets(out)).toEqual([]);
  });
});
