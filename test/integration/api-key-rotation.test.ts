/**
 * `supervisor.setApiKey(key)` against a real dev server, behind a small HTTP/2 proxy that records the
 * `authorization` header of every gRPC call on its way (the dev server ignores API keys, so what it receives is
 * read there): a worker runs workflows across the rotation; afterwards every call, the client's starts and the
 * worker's (Rust core's) polls and completions alike, carries the new key; the workflows in flight complete, and
 * nothing restarted. Neither key appears in the logs.
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createSupervisor } from '../../src/index.js';
import { expectedGreetings } from '../fixtures/index.js';
import { useCleanups } from '../harness/cleanups.js';
import { DevServer } from '../harness/dev-server.js';
import { waitUntil } from '../harness/wait.js';
import { startGreeterSupervisor } from '../support/greeter-supervisor.js';
import { pinoToMemory } from '../support/loggers.js';
import { type Call, recordingProxy } from '../support/recording-proxy.js';

const OLD_KEY = 'rotation-old-key-1f3a9c';
const NEW_KEY = 'rotation-new-key-77b2e0';
const defer = useCleanups();

describe('API key rotation', () => {
  it('applies a new key to the client and every worker connection, without dropping work', async () => {
    const server = await DevServer.start();
    defer(() => server.dispose());
    const proxy = await recordingProxy(server.address);
    defer(async () => proxy.close());
    const { logger, text } = pinoToMemory('debug');
    const taskQueue = `rotation-${randomUUID()}`;
    const supervisor = await startGreeterSupervisor(
      {
        address: proxy.address,
        apiKey: OLD_KEY,
        tls: false,
        logger,
        taskQueue,
      },
      defer,
    );

    // In flight across the rotation: workflows sleeping on a timer (their tasks come back after it).
    const before = await Promise.all(
      ['Ada', 'Grace'].map((name) =>
        supervisor.creator('api').start('greetAfterSleep', {
          taskQueue,
          workflowId: `rotation-${randomUUID()}`,
          args: [name, 1_500],
        }),
      ),
    );
    expect(proxy.calls.some((call) => call.authorization === `Bearer ${OLD_KEY}`)).toBe(true);

    await supervisor.setApiKey(NEW_KEY);
    const rotatedAt = Date.now();
    const after = await supervisor
      .creator('api')
      .start('greetAfterSleep', { taskQueue, workflowId: `rotation-${randomUUID()}`, args: ['Linus', 10] });

    const results = await Promise.all(
      [...before, after].map(({ handle }) =>
        supervisor.withClient((client) => client.workflow.getHandle(handle.workflowId).result(), {
          timeout: '60s',
        }),
      ),
    );
    expect(results).toEqual([
      expectedGreetings('Ada'),
      expectedGreetings('Grace'),
      expectedGreetings('Linus'),
    ]);

    // Calls begun once setApiKey resolved: the new key only, from the client and from the worker's core.
    const later = proxy.calls.filter((call) => call.at >= rotatedAt);
    const service = (call: Call) => call.path.split('/').at(-1) ?? '';
    expect(later.filter((call) => service(call) === 'StartWorkflowExecution').length).toBeGreaterThan(0);
    expect(later.filter((call) => /^(Poll|Respond)WorkflowTask/.test(service(call))).length).toBeGreaterThan(
      0,
    );
    const stale = later.filter((call) => call.authorization !== `Bearer ${NEW_KEY}`);
    expect(
      stale.map((call) => `${service(call)} ${call.authorization === undefined ? 'no key' : 'old key'}`),
    ).toEqual([]);
    // Nothing restarted, and no key in the logs.
    expect(supervisor.snapshot().children['worker:greeter']).toBe('running');
    expect(text()).not.toContain(OLD_KEY);
    expect(text()).not.toContain(NEW_KEY);
    expect(text()).toContain('API key rotated');
  });

  it('an apiKey function rotating mid-stream: the server receives the new key, and no start fails', async () => {
    const server = await DevServer.start();
    defer(() => server.dispose());
    const proxy = await recordingProxy(server.address);
    defer(async () => proxy.close());
    const { logger, lines, text } = pinoToMemory('debug');
    const taskQueue = `rotation-fn-${randomUUID()}`;
    let issued = OLD_KEY;
    let providerCalls = 0;
    const supervisor = await startGreeterSupervisor(
      {
        address: proxy.address,
        // Async, as a secrets manager's client would be.
        apiKey: async () => {
          providerCalls++;
          await new Promise((resolve) => setTimeout(resolve, 5));
          return issued;
        },
        apiKeyRefreshInterval: '200ms',
        tls: false,
        logger,
        taskQueue,
      },
      defer,
    );

    // A steady stream of starts, one every 50 ms, across the rotation.
    const started: Promise<{ handle: { workflowId: string } }>[] = [];
    let streaming = true;
    const stream = (async () => {
      while (streaming) {
        started.push(
          supervisor.creator('api').start('greetAfterSleep', {
            taskQueue,
            workflowId: `rotation-fn-${randomUUID()}`,
            args: [`n${started.length}`, 10],
          }),
        );
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    })();
    await waitUntil(() => started.length >= 10, { timeoutMs: 30_000, what: 'starts before the rotation' });
    issued = NEW_KEY;
    await waitUntil(() => lines().some((line) => line.msg === 'API key rotated'), {
      timeoutMs: 30_000,
      what: 'the function answering with the new key',
    });
    // Logged once every connection (the client's, the worker's native one) has the new key.
    const rotatedAt = Number(lines().find((line) => line.msg === 'API key rotated')?.time);
    const countAtRotation = started.length;
    await waitUntil(() => started.length >= countAtRotation + 30, {
      timeoutMs: 30_000,
      what: 'starts after',
    });
    streaming = false;
    await stream;

    const outcomes = await Promise.allSettled(started);
    const failed = outcomes.filter((outcome) => outcome.status === 'rejected');
    expect(failed.map((outcome) => String((outcome as PromiseRejectedResult).reason))).toEqual([]);
    // The worker completed them all (the last ones on its rotated connection).
    const handles = outcomes.map(
      (outcome) => (outcome as PromiseFulfilledResult<{ handle: { workflowId: string } }>).value,
    );
    const results = await Promise.all(
      handles.slice(-5).map(({ handle }) =>
        supervisor.withClient((client) => client.workflow.getHandle(handle.workflowId).result(), {
          timeout: '60s',
        }),
      ),
    );
    expect(results).toHaveLength(5);

    const service = (call: Call) => call.path.split('/').at(-1) ?? '';
    const before = proxy.calls.filter((call) => call.at < rotatedAt - 500);
    expect(before.some((call) => call.authorization === `Bearer ${OLD_KEY}`)).toBe(true);
    // A call the SDK's core had begun just as the key changed may still carry the old one (seen once in a loaded
    // CI run: a PollActivityTaskQueue arrived 0–500 ms after the log line with the old key), as docs/operations.md
    // says: keep both keys valid for a while. Every call begun after that carries the new key.
    const later = proxy.calls.filter((call) => call.at >= rotatedAt + 500);
    expect(later.filter((call) => service(call) === 'StartWorkflowExecution').length).toBeGreaterThanOrEqual(
      10,
    );
    expect(later.filter((call) => /^(Poll|Respond)WorkflowTask/.test(service(call))).length).toBeGreaterThan(
      0,
    );
    const stale = later.filter((call) => call.authorization !== `Bearer ${NEW_KEY}`);
    expect(
      stale.map((call) => `${service(call)} ${call.authorization === undefined ? 'no key' : 'old key'}`),
    ).toEqual([]);
    // Called on its interval (not per request: there were far more calls than provider calls).
    expect(providerCalls).toBeGreaterThan(2);
    expect(providerCalls).toBeLessThan(proxy.calls.length);
    expect(supervisor.snapshot().children['worker:greeter']).toBe('running');
    expect(text()).not.toContain(OLD_KEY);
    expect(text()).not.toContain(NEW_KEY);
  });

  it('refuses a bad key, or a rotation on a supervisor created without a key, with a typed error', async () => {
    const keyless = createSupervisor({ envConfig: false, address: '127.0.0.1:1' });
    await expect(keyless.setApiKey(NEW_KEY)).rejects.toMatchObject({
      name: 'SupervisorOptionsError',
      field: 'apiKey',
      message: expect.stringMatching(/created without an `apiKey`/),
    });
    const keyed = createSupervisor({ envConfig: false, address: '127.0.0.1:1', apiKey: OLD_KEY, tls: false });
    await expect(keyed.setApiKey('x')).rejects.toMatchObject({
      field: 'apiKey',
      message: expect.not.stringContaining('x"'),
    });
    await expect(keyed.setApiKey(42 as never)).rejects.toMatchObject({ field: 'apiKey' });
    await Promise.all([keyless.stop(), keyed.stop()]);
  });
});
