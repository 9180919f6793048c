/**
 * `supervisor.setApiKey(key)` against a real dev server, behind a small HTTP/2 proxy that records the
 * `authorization` header of every gRPC call on its way (the dev server ignores API keys, so what it receives is
 * read there): a worker runs workflows across the rotation; afterwards every call, the client's starts and the
 * worker's (Rust core's) polls and completions alike, carries the new key; the workflows in flight complete, and
 * nothing restarted. Neither key appears in the logs.
 */
import { randomUUID } from 'node:crypto';
import http2 from 'node:http2';
import { describe, expect, it } from 'vitest';
import { createSupervisor } from '../../src/index.js';
import { activities, expectedGreetings, workflowsPath } from '../fixtures/index.js';
import { useCleanups } from '../harness/cleanups.js';
import { DevServer } from '../harness/dev-server.js';
import { waitUntil } from '../harness/wait.js';
import { pinoToMemory } from '../support/loggers.js';

const OLD_KEY = 'rotation-old-key-1f3a9c';
const NEW_KEY = 'rotation-new-key-77b2e0';
const defer = useCleanups();

interface Call {
  readonly path: string;
  readonly authorization: string | undefined;
  readonly at: number;
}

/** An h2c proxy to `upstream` that records each call's path and authorization header. */
async function recordingProxy(upstream: string): Promise<{ address: string; calls: Call[]; close(): void }> {
  const calls: Call[] = [];
  const session = http2.connect(`http://${upstream}`);
  session.on('error', () => {});
  const server = http2.createServer();
  server.on('stream', (stream, headers) => {
    const authorization = headers.authorization;
    calls.push({
      path: String(headers[':path']),
      authorization: typeof authorization === 'string' ? authorization : undefined,
      at: Date.now(),
    });
    const forwarded = { ...headers };
    delete forwarded[':authority'];
    delete forwarded[':scheme'];
    const out = session.request(forwarded);
    let trailers: http2.OutgoingHttpHeaders = {};
    out.on('response', (response) => {
      // The caller may have gone (a long poll cancelled at the stop).
      if (!stream.destroyed) stream.respond({ ...response }, { waitForTrailers: true });
    });
    out.on('trailers', (received) => {
      trailers = { ...received };
    });
    stream.on('wantTrailers', () => {
      if (!stream.destroyed) stream.sendTrailers(trailers);
    });
    stream.pipe(out);
    out.pipe(stream);
    out.on('error', () => stream.close(http2.constants.NGHTTP2_CANCEL));
    stream.on('error', () => out.close(http2.constants.NGHTTP2_CANCEL));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    address: `127.0.0.1:${port}`,
    calls,
    close() {
      server.close();
      session.close();
    },
  };
}

describe('API key rotation', () => {
  it('applies a new key to the client and every worker connection, without dropping work', async () => {
    const server = await DevServer.start();
    defer(() => server.dispose());
    const proxy = await recordingProxy(server.address);
    defer(async () => proxy.close());
    const { logger, text } = pinoToMemory('debug');
    const taskQueue = `rotation-${randomUUID()}`;
    const supervisor = createSupervisor({
      address: proxy.address,
      envConfig: false,
      apiKey: OLD_KEY,
      tls: false,
      logger,
      workers: { greeter: { taskQueue, workflowsPath, activities } },
      creators: { api: {} },
    });
    defer(() => supervisor.stop());
    supervisor.start();
    await waitUntil(() => supervisor.snapshot().children['worker:greeter'] === 'running', {
      timeoutMs: 60_000,
      what: 'the worker running',
    });

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
