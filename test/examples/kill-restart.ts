/**
 * Example: a workflow survives a SIGKILL of the Temporal server.
 *
 *   npm run example        (node --import tsx test/examples/kill-restart.ts)
 *
 * Starts a dev server (SQLite file in a temp dir), a worker and a workflow that greets, sleeps on a durable
 * timer, and greets again. While it sleeps the server is SIGKILLed, then restarted on the same port and file.
 * The workflow completes, and a new one runs on the same worker and client. Exits 0 on success, 1 on failure,
 * leaving no process behind. Set TEMPORAL_CLI to use a given `temporal` binary (else PATH, else built once).
 */
import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { expectedGreetings } from '../fixtures/index.js';
import type { greetAfterSleep } from '../fixtures/workflows.js';
import { DevServer } from '../harness/dev-server.js';
import { resolveTemporalCli } from '../harness/temporal-cli.js';
import { type RunningWorker, startWorker, waitForHistoryEvent } from '../harness/worker.js';

const SLEEP_MS = 4000;
const started = performance.now();

function say(line: string): void {
  const at = ((performance.now() - started) / 1000).toFixed(1).padStart(5);
  process.stdout.write(`[${at}s] ${line}\n`);
}

async function main(): Promise<void> {
  const cliPath = await resolveTemporalCli({ log: (line) => say(line) });

  let server: DevServer | undefined;
  let worker: RunningWorker | undefined;
  let connection: Connection | undefined;
  try {
    server = await DevServer.start({ cliPath });
    say(
      `server started on ${server.address} (pid ${server.pid}, db ${server.dbFile}), ready in ${server.timings.startToReadyMs} ms`,
    );

    const taskQueue = `example-${randomUUID()}`;
    worker = await startWorker({ address: server.address, taskQueue, sdkLogs: { level: 'ERROR', log: say } });
    say(`worker running on task queue ${taskQueue}`);
    connection = await Connection.connect({ address: server.address });
    const client = new Client({ connection });

    const handle = await client.workflow.start<typeof greetAfterSleep>('greetAfterSleep', {
      taskQueue,
      workflowId: `example-ada-${randomUUID()}`,
      args: ['Ada', SLEEP_MS],
    });
    say(`workflow started: ${handle.workflowId}`);
    const before = await waitForHistoryEvent(
      handle,
      (event) => event.timerStartedEventAttributes != null,
      'TimerStarted',
    );
    say(`first greeting done, workflow sleeping ${SLEEP_MS} ms on a timer (${before.length} history events)`);

    const oldPid = server.pid;
    await server.kill();
    say(`server SIGKILLed (pid ${oldPid}, gone in ${server.timings.killMs} ms)`);
    await server.startAgain();
    say(
      `server restarted on ${server.address} (pid ${server.pid}), ready in ${server.timings.startToReadyMs} ms`,
    );

    const after = (await handle.fetchHistory()).events ?? [];
    if (after.length < before.length) {
      throw new Error(
        `History lost across the restart: ${before.length} events before, ${after.length} after.`,
      );
    }
    say(`history intact after the restart: ${after.length} events`);

    const result = await handle.result();
    assertEqual(result, expectedGreetings('Ada'), 'workflow result');
    say(`workflow completed with ${JSON.stringify(result)}`);

    const fresh = await client.workflow.execute<typeof greetAfterSleep>('greetAfterSleep', {
      taskQueue,
      workflowId: `example-grace-${randomUUID()}`,
      args: ['Grace', 10],
      workflowExecutionTimeout: '60 seconds',
    });
    assertEqual(fresh, expectedGreetings('Grace'), 'new workflow result');
    say(`new workflow after the restart completed with ${JSON.stringify(fresh)}`);
  } finally {
    await worker?.shutdown().catch((error: unknown) => say(`worker shutdown: ${String(error)}`));
    await connection?.close().catch(() => {});
    await server?.dispose();
    say('cleaned up: worker stopped, server process and temp dir removed');
  }
}

function assertEqual(actual: unknown, expected: unknown, what: string): void {
  if (JSON.stringify(actual) !== JSON.stringify(expected)) {
    throw new Error(
      `Unexpected ${what}: got ${JSON.stringify(actual)}, expected ${JSON.stringify(expected)}.`,
    );
  }
}

main().then(
  () => {
    say('OK');
    process.exitCode = 0;
  },
  (error: unknown) => {
    say(`FAILED: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    process.exitCode = 1;
  },
);
