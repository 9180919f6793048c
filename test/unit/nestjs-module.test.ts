/**
 * `TemporalSupervisorModule` in a Nest application context (Nest's own injector and lifecycle, no HTTP), on the
 * real runtime with a fake Temporal: the providers behind each token, `registerAsync`'s factory and injection,
 * the start at module init and the stop at close, and bad options refused with a typed error naming the field.
 * The real Nest application over HTTP, against a real server, is test/integration/nestjs.test.ts.
 */
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { describe, expect, it } from 'vitest';
import { isSupervisorOptionsError, Supervisor, WorkflowCreator } from '../../src/index.js';
import {
  creatorToken,
  TEMPORAL_SUPERVISOR,
  TEMPORAL_SUPERVISOR_HEALTH,
  type TemporalSupervisorHealthIndicator,
  TemporalSupervisorModule,
} from '../../src/nestjs/index.js';
import { runtimeOf } from '../../src/supervisor/internals.js';
import { FakeConnector, flush } from '../support/fake-connector.js';

/** A class with `@Module(metadata)` applied, without decorator syntax (which this package does not compile). */
function moduleClass(metadata: Parameters<typeof Module>[0]): new () => object {
  const decorated = class {};
  Module(metadata)(decorated);
  return decorated;
}

async function contextOf(imports: unknown[]) {
  const Root = moduleClass({ imports: imports as never[] });
  return NestFactory.createApplicationContext(Root as never, { logger: false, abortOnError: false });
}

describe('TemporalSupervisorModule', () => {
  it('register: the supervisor, its creators and the indicator by token; start at init, stop at close', async () => {
    const connector = new FakeConnector();
    const app = await contextOf([
      TemporalSupervisorModule.register({
        supervisor: { envConfig: false, connector, reachabilityInterval: false, creators: { orders: {} } },
      }),
    ]);
    const supervisor = app.get<Supervisor>(TEMPORAL_SUPERVISOR);
    expect(supervisor).toBeInstanceOf(Supervisor);
    expect(app.get(Supervisor)).toBe(supervisor);
    const orders = app.get<WorkflowCreator>(creatorToken('orders'));
    expect(orders).toBeInstanceOf(WorkflowCreator);
    expect(orders).toBe(supervisor.creator('orders'));
    expect(supervisor.state).toBe('connecting'); // started by onModuleInit
    connector.succeed();
    await flush();
    const health = app.get<TemporalSupervisorHealthIndicator>(TEMPORAL_SUPERVISOR_HEALTH);
    await expect(health.isHealthy('temporal')).resolves.toMatchObject({
      temporal: { status: 'up', state: 'connected' },
    });
    await expect(health.isHealthy('temporal', { check: 'nope' as never })).rejects.toThrow(
      /'ready' or 'live'/,
    );
    await app.close();
    expect(supervisor.state).toBe('disconnected');
    await expect(health.isHealthy('t')).resolves.toMatchObject({ t: { status: 'down', shuttingDown: true } });
  });

  it('registerAsync: options from a factory with injected values', async () => {
    const connector = new FakeConnector();
    const Config = Symbol('config');
    const ConfigModule = moduleClass({
      providers: [{ provide: Config, useValue: { address: 'temporal.internal:7233' } }],
      exports: [Config],
    });
    const app = await contextOf([
      TemporalSupervisorModule.registerAsync({
        imports: [ConfigModule as never],
        inject: [Config],
        creators: ['orders'],
        useFactory: async (config: { address: string }) => ({
          supervisor: { address: config.address, envConfig: false, connector, creators: { orders: {} } },
        }),
      }),
    ]);
    expect(runtimeOf(app.get<Supervisor>(TEMPORAL_SUPERVISOR)).address).toBe('temporal.internal:7233');
    expect(app.get<WorkflowCreator>(creatorToken('orders')).name).toBe('orders');
    await app.close();
  });

  it('refuses bad options with a SupervisorOptionsError naming the field', async () => {
    const refused = (run: () => unknown) => {
      try {
        run();
      } catch (error) {
        return isSupervisorOptionsError(error) ? error.field : error;
      }
      return 'accepted';
    };
    expect(refused(() => TemporalSupervisorModule.register({} as never))).toBe('supervisor');
    expect(refused(() => TemporalSupervisorModule.register({ supervisor: {}, readinessDelay: 'soon' }))).toBe(
      'readinessDelay',
    );
    expect(refused(() => TemporalSupervisorModule.registerAsync({} as never))).toBe('useFactory');
    // A factory's bad options fail the application's start, with the typed error.
    const failed = await contextOf([
      TemporalSupervisorModule.registerAsync({
        useFactory: () => ({ supervisor: { adress: 'x' } as never }),
      }),
    ]).catch((error: unknown) => error);
    expect(failed).toMatchObject({ name: 'SupervisorOptionsError', field: 'adress' });
  });
});
