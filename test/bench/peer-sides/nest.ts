/**
 * The `peers` benchmark's nestjs-temporal-core side: a minimal Nest application context with
 * `TemporalModule.register` as the package's README shows it (connection, task queue, a worker with a
 * `workflowsPath` and an `@Activity()` class, `autoStart`), and a start through its `TemporalService`'s
 * `startWorkflow`.
 *
 * Everything Nest and Temporal is loaded from `nestDir` (installed by nest-install.ts from
 * test/bench/peer-nest/package-lock.json: Nest 11, which the package's peer range allows, and its own
 * @temporalio 1.24.0), never from the root's node_modules (Nest 12 there). Decorators are applied as plain calls, so that the
 * file needs no decorator transform. The workflow code is the fixtures' file, copied into `nestDir`, so
 * that the worker's bundler resolves `@temporalio/workflow` from the same copy as the worker.
 *
 * The package's `startWorkflow` takes no deadline; the SDK's documented per-call deadline,
 * `connection.withDeadline`, is applied around it on the client the package made (its `TEMPORAL_CLIENT`
 * provider), and covers the package's own retries.
 */
import { copyFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { PeerSide, SideConfig } from '../peers-protocol.js';

const FIXTURE_WORKFLOWS = fileURLToPath(new URL('../../fixtures/workflows.ts', import.meta.url));

type Decorator = (...args: unknown[]) => unknown;
type Class = new (...args: never[]) => object;

interface NestPackages {
  common: { Module(metadata: object): Decorator; Injectable(): Decorator };
  core: {
    NestFactory: {
      createApplicationContext(module: Class, options?: object): Promise<NestContext>;
    };
  };
  temporal: {
    TemporalModule: { register(options: object): object };
    TemporalService: Class;
    TEMPORAL_CLIENT: string;
    Activity(options?: object): Decorator;
    ActivityMethod(name: string): Decorator;
  };
}

interface NestContext {
  get<T>(token: unknown): T;
  close(): Promise<void>;
}

interface TemporalService {
  /** The package's health report (what its TemporalHealthModule serves). */
  getHealth(): { status: string; services: { client: { status: string } } };
  startWorkflow(type: string, args: unknown[], options: object): Promise<unknown>;
  getWorkerStatus(): { isRunning: boolean; isHealthy: boolean; lastError?: string } | null;
  getWorkerManager(): { getStats(): { restartCount: number }; getNativeState(): string | null } | undefined;
}

interface RawClient {
  connection: { withDeadline<T>(deadline: number, fn: () => Promise<T>): Promise<T> };
}

function loadPackages(nestDir: string): NestPackages {
  const require = createRequire(join(nestDir, 'package.json'));
  require('reflect-metadata');
  return {
    common: require('@nestjs/common'),
    core: require('@nestjs/core'),
    temporal: require('nestjs-temporal-core'),
  };
}

export async function nestSide({ address, taskQueue, deadlineMs, nestDir }: SideConfig): Promise<PeerSide> {
  if (nestDir === undefined) throw new Error('The nest side needs `nestDir` (peer-sides/nest-install.ts).');
  const { common, core, temporal } = loadPackages(nestDir);
  const workflowsPath = join(nestDir, 'workflows.ts');
  copyFileSync(FIXTURE_WORKFLOWS, workflowsPath);

  // @Injectable() @Activity() class GreetActivities { @ActivityMethod('greet') greet(…) }
  class GreetActivities {
    async greet(name: string, round: number): Promise<string> {
      return `Hello, ${name}! (greeting ${round})`;
    }
  }
  const greet = Object.getOwnPropertyDescriptor(GreetActivities.prototype, 'greet');
  temporal.ActivityMethod('greet')(GreetActivities.prototype, 'greet', greet);
  temporal.Activity()(GreetActivities);
  common.Injectable()(GreetActivities);

  class AppModule {}
  common.Module({
    imports: [
      temporal.TemporalModule.register({
        connection: { address, namespace: 'default' },
        taskQueue,
        worker: { workflowsPath, activityClasses: [GreetActivities], autoStart: true },
        logLevel: 'warn',
      }),
    ],
    providers: [GreetActivities],
  })(AppModule);

  const app = await core.NestFactory.createApplicationContext(AppModule, {
    logger: ['error', 'warn', 'log'],
  });
  const service = app.get<TemporalService>(temporal.TemporalService);
  const client = app.get<RawClient>(temporal.TEMPORAL_CLIENT);
  return {
    start: (workflowId) =>
      client.connection.withDeadline(Date.now() + deadlineMs, () =>
        service.startWorkflow('greetAfterSleep', ['peer', 0], { workflowId, taskQueue }),
      ),
    status() {
      const worker = service.getWorkerStatus();
      const manager = service.getWorkerManager();
      const health = service.getHealth();
      return {
        health: health.status,
        client: health.services.client.status,
        running: worker?.isRunning,
        healthy: worker?.isHealthy,
        native: manager?.getNativeState(),
        restarts: manager?.getStats().restartCount,
        ...(worker?.lastError ? { lastError: worker.lastError } : {}),
      };
    },
    stop: () => app.close(),
  };
}
