/**
 * Issue 16 item 6: OTP's significant children. A worker marked `significant`, given up beyond its restart
 * intensity (here `maxRestarts: 1`: the second failure within the window gives it up), triggers the
 * supervisor's `escalation`: fail liveness only (the default), stop, or a clean stop then exit.
 */
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createSupervisor, healthOf, type SupervisorOptions } from '../../src/index.js';
import { runtimeOf } from '../../src/supervisor/internals.js';
import { loadWorkerPackage } from '../../src/temporal/worker-package.js';
import { FakeConnector, flush, stopOnFakes } from '../support/fake-connector.js';
import { ManualClock } from '../support/manual-clock.js';

beforeAll(() => loadWorkerPackage());
afterEach(() => vi.restoreAllMocks());

async function givenUp(escalation: SupervisorOptions['escalation'], significant = true) {
  const clock = new ManualClock();
  const connector = new FakeConnector();
  const supervisor = createSupervisor({
    envConfig: false,
    connector,
    clock,
    seed: 1,
    reachabilityInterval: false,
    ...(escalation !== undefined ? { escalation } : {}),
    workers: { w: { taskQueue: 'q', activities: {}, significant, restart: { maxRestarts: 1, delay: 10 } } },
  });
  const worker = runtimeOf(supervisor).workers.get('w')!;
  worker.create = () => Promise.reject(new Error('refused by the SDK'));
  const workerStates: string[] = [];
  supervisor.onTransition(({ actor, to }) => {
    if (actor === 'worker:w') workerStates.push(to);
  });
  supervisor.start();
  await flush();
  connector.succeed();
  await flush();
  clock.advance(10);
  await flush();
  expect(workerStates).toContain('givenUp');
  await new Promise((resolve) => setImmediate(resolve));
  await flush();
  return { supervisor, connector, clock };
}

describe('escalation when a significant worker is given up', () => {
  it("'fail-liveness' (the default): liveness fails, the supervisor keeps serving", async () => {
    const { supervisor, connector, clock } = await givenUp(undefined);
    expect(healthOf(supervisor).live).toBe(false);
    expect(supervisor.state).toBe('connected');
    await stopOnFakes(supervisor, connector, clock);
  });

  it("'stop': the supervisor stops by itself", async () => {
    const { supervisor } = await givenUp('stop');
    expect(supervisor.state).toBe('disconnected');
    expect(() => supervisor.start()).toThrow(/was stopped/);
  });

  it('{ exit: 70 }: a clean stop, then process.exit(70)', async () => {
    const exit = vi.spyOn(process, 'exit').mockImplementation((() => undefined) as never);
    const { supervisor } = await givenUp({ exit: 70 });
    await flush();
    expect(supervisor.state).toBe('disconnected');
    expect(exit).toHaveBeenCalledWith(70);
  });

  it('a worker that is not significant never stops the supervisor, whatever the policy', async () => {
    const exit = vi.spyOn(process, 'exit').mockImplementation((() => undefined) as never);
    const { supervisor, connector, clock } = await givenUp({ exit: 1 }, false);
    expect(supervisor.state).toBe('connected');
    expect(exit).not.toHaveBeenCalled();
    await stopOnFakes(supervisor, connector, clock);
  });

  it('a bad policy is refused at construction', () => {
    for (const escalation of ['exit', { exit: 256 }, { exit: 1, code: 2 }, 3]) {
      expect(() => createSupervisor({ envConfig: false, escalation: escalation as never })).toThrow(
        /Invalid option `escalation`/,
      );
    }
  });
});
