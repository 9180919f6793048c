/**
 * `coreLogs.telemetryOptions`: the SDK's own telemetry (here the core's Prometheus endpoint) installed together
 * with core log forwarding in the one process-global Runtime, against a real dev server: the core's metrics are
 * served on the bind address while its log lines reach the supervisor's logger, and after `stop()` the Runtime
 * is gone (nothing keeps the process alive).
 */
import { randomUUID } from 'node:crypto';
import { Runtime } from '@temporalio/worker';
import { describe, expect, it } from 'vitest';
import { createSupervisor } from '../../src/index.js';
import { findFreePort } from '../../src/testing/index.js';
import { activities, workflowsPath } from '../fixtures/index.js';
import { useCleanups } from '../harness/cleanups.js';
import { DevServer } from '../harness/dev-server.js';
import { waitUntil } from '../harness/wait.js';
import { pinoToMemory } from '../support/loggers.js';

const defer = useCleanups();

describe('coreLogs with the SDK telemetryOptions', () => {
  it("serves the core's Prometheus metrics and forwards its logs, from one Runtime", async () => {
    const server = await DevServer.start();
    defer(() => server.dispose());
    const port = await findFreePort();
    const { logger, lines } = pinoToMemory('debug');
    const taskQueue = `core-telemetry-${randomUUID()}`;
    const supervisor = createSupervisor({
      address: server.address,
      envConfig: false,
      logger,
      coreLogs: {
        level: 'INFO',
        telemetryOptions: { metrics: { prometheus: { bindAddress: `127.0.0.1:${port}` } } },
      },
      workers: { greeter: { taskQueue, workflowsPath, activities } },
    });
    defer(() => supervisor.stop());
    supervisor.start();
    await waitUntil(() => supervisor.snapshot().children['worker:greeter'] === 'running', {
      timeoutMs: 60_000,
      what: 'the worker running',
    });

    // The core's own metrics, on the address given (its pollers report once they poll).
    const text = await waitUntil(
      async () => {
        const body = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
        return /^temporal_\w+/m.test(body) && body;
      },
      { timeoutMs: 30_000, what: "the core's metrics" },
    );
    expect(text).toMatch(new RegExp(`task_queue="${taskQueue}"`));

    await supervisor.stop();
    expect(Runtime._instance).toBeUndefined();
    await new Promise((resolve) => setTimeout(resolve, 300)); // core lines are buffered ~100 ms
    const core = lines().filter((line) => line.component === 'temporal-sdk' && line.sdkComponent === 'core');
    expect(core.length).toBeGreaterThan(0);
    await expect(fetch(`http://127.0.0.1:${port}/metrics`)).rejects.toThrow();
  });
});
