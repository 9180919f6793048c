/**
 * A supervisor with one `greeter` worker (the fixtures' workflows and activities) and one `api` creator, started
 * and waited for until its worker runs: what the credential-rotation tests put behind their proxies.
 */
import { createSupervisor, type Supervisor, type SupervisorOptions } from '../../src/index.js';
import { activities, workflowsPath } from '../fixtures/index.js';
import { waitUntil } from '../harness/wait.js';

export async function startGreeterSupervisor(
  options: SupervisorOptions & { taskQueue: string },
  defer: (cleanup: () => Promise<unknown>) => void,
): Promise<Supervisor> {
  const { taskQueue, ...rest } = options;
  const supervisor = createSupervisor({
    envConfig: false,
    ...rest,
    workers: { greeter: { taskQueue, workflowsPath, activities } },
    creators: { api: {} },
  });
  defer(async () => supervisor.stop());
  supervisor.start();
  await waitUntil(() => supervisor.snapshot().children['worker:greeter'] === 'running', {
    timeoutMs: 60_000,
    what: 'the worker running',
  });
  return supervisor;
}
