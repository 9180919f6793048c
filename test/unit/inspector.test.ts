/**
 * The inspector's server over real HTTP, on a supervisor with a fake Temporal: what it serves, the live
 * event stream, the token, the Host check, actions, and that no configured secret reaches a served byte.
 * The page itself is driven in a real browser by test/browser/inspector.test.ts.
 */
import { request } from 'node:http';
import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { type Inspector, type InspectorOptions, startInspector } from '../../src/index.js';
import { PAGE_SCRIPT } from '../../src/inspector/page.js';
import { isLoopback } from '../../src/inspector/server.js';
import { DEFAULT_SSE_LIMITS, type SseLimits, sseReader } from '../../src/inspector/sse.js';
import { failures, flush } from '../support/fake-connector.js';
import { inspectedSupervisor } from '../support/inspected.js';
import { RequestEvents } from '../support/request-events.js';

const API_KEY = 'sk-live-0123456789-very-secret-api-key';
const TOKEN = 'inspector-token-abcdefghijklmnop';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => {});
});

function setup(options: InspectorOptions = {}, limits: SseLimits = DEFAULT_SSE_LIMITS) {
  return inspectedSupervisor(cleanups, { apiKey: API_KEY, ...options }, limits);
}

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** Every byte any request of a test received, to look for secrets in. */
let served = '';

function call(
  inspector: Inspector,
  path: string,
  {
    method = 'GET',
    headers = {},
    body,
  }: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(new URL(path, inspector.url), { method, headers, agent: false }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        text += chunk;
      });
      res.on('end', () => {
        served += text;
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

interface ServerEvent {
  event: string;
  data: unknown;
}

/** Opens /events and collects parsed events; `until` waits for one matching. */
function openEvents(inspector: Inspector, path = '/events') {
  const events: ServerEvent[] = [];
  const waiters: { match: (e: ServerEvent) => boolean; resolve: (e: ServerEvent) => void }[] = [];
  let status = 0;
  const ended = new Promise<void>((resolveEnded, reject) => {
    const req = request(new URL(path, inspector.url), (res) => {
      status = res.statusCode ?? 0;
      res.setEncoding('utf8');
      const read = sseReader((event, data) => {
        const parsed = { event, data: JSON.parse(data) as unknown };
        events.push(parsed);
        for (const waiter of waiters.splice(0)) {
          if (waiter.match(parsed)) waiter.resolve(parsed);
          else waiters.push(waiter);
        }
      });
      res.on('data', (chunk: string) => {
        served += chunk;
        read(chunk);
      });
      res.on('end', () => resolveEnded());
      // Destroyed by the cleanup after the test: not a failure.
      res.on('error', () => resolveEnded());
    });
    req.on('error', reject);
    req.end();
    cleanups.push(async () => req.destroy());
  });
  return {
    events,
    ended,
    status: () => status,
    until(match: (e: ServerEvent) => boolean, what: string): Promise<ServerEvent> {
      const found = events.find(match);
      if (found) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`no event ${what}; got ${JSON.stringify(events)}`)),
          5_000,
        );
        waiters.push({
          match,
          resolve: (e) => {
            clearTimeout(timer);
            resolve(e);
          },
        });
      });
    },
  };
}

interface Hello {
  machines: Record<
    string,
    { graph: { id: string; transitions: unknown[] }; layout: { edges: { transition: number }[] } }
  >;
  actors: { id: string; machine: string; state: string; path: string; since?: number }[];
  snapshot: { state: string; children: Record<string, string> };
  timeline: { kind: string; actor?: string; toPath?: string }[];
  actions: { id: string; label: string }[];
}

describe('inspector server', () => {
  it('serves a self-contained page whose script parses, under a strict content security policy', async () => {
    const { inspector } = await setup();
    expect(inspector.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    const page = await call(inspector, '/');
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(page.body).toContain('<script>');
    // Nothing is loaded from elsewhere: no src/href to another origin.
    expect(page.body).not.toMatch(/(src|href)="(https?:)?\/\//);
    const csp = String(page.headers['content-security-policy']);
    expect(csp).toContain("default-src 'none'");
    expect(csp).toMatch(/script-src 'sha256-[A-Za-z0-9+/=]+'/);
    expect(csp).not.toMatch(/unsafe-|worker-src|\*/);
    expect(() => new Function(PAGE_SCRIPT)).not.toThrow();
    // Nothing received is parsed as HTML or code.
    expect(PAGE_SCRIPT).not.toMatch(
      /innerHTML|outerHTML|insertAdjacentHTML|document\.write|\beval\(|new Function|setAttribute\('style'/,
    );
    expect((await call(inspector, '/nope')).status).toBe(404);
    expect((await call(inspector, '/', { method: 'DELETE' })).status).toBe(405);
  });

  it('streams the graphs, actors and snapshot at once, then every transition as it happens', async () => {
    const { connector, supervisor, inspector } = await setup();
    const stream = openEvents(inspector);
    const hello = (await stream.until((e) => e.event === 'hello', 'hello')).data as Hello;
    expect(stream.status()).toBe(200);
    expect(Object.keys(hello.machines)).toEqual(['connection', 'worker', 'creator', 'dispatcher']);
    expect(hello.machines.connection?.graph.transitions.length).toBeGreaterThan(20);
    expect(hello.actors).toEqual([
      { id: 'connection', machine: 'connection', state: 'disconnected', path: 'disconnected', since: 0 },
      { id: 'creator:orders', machine: 'creator', state: 'waiting', path: 'waiting' },
    ]);
    expect(hello.snapshot).toMatchObject({
      state: 'disconnected',
      children: { 'creator:orders': 'waiting' },
    });

    supervisor.start();
    await flush();
    connector.succeed();
    await flush();
    const up = await stream.until(
      (e) => e.event === 'transition' && (e.data as { toPath: string }).toPath === 'online.connected.idle',
      'connection online.connected.idle',
    );
    expect(up.data).toMatchObject({
      kind: 'transition',
      actor: 'connection',
      from: 'connecting',
      to: 'connected',
    });
    await stream.until(
      (e) => e.event === 'transition' && (e.data as { actor: string; to: string }).to === 'ready',
      'creator ready',
    );
    await stream.until(
      (e) => e.event === 'snapshot' && (e.data as { state: string }).state === 'connected',
      'snapshot connected',
    );

    // A page opened now gets the current paths and the timeline so far.
    const later = openEvents(inspector);
    const again = (await later.until((e) => e.event === 'hello', 'hello')).data as Hello;
    expect(again.actors.find((a) => a.id === 'connection')?.path).toBe('online.connected.idle');
    expect(again.actors.find((a) => a.id === 'creator:orders')?.state).toBe('ready');
    // In the order reported (the child's entry of `ready` is reported before its parent's step is done).
    expect(again.timeline.map((t) => `${t.actor}:${t.toPath}`).sort()).toEqual([
      'connection:connecting',
      'connection:online.connected.idle',
      'creator:orders:ready',
    ]);

    await inspector.close();
    await stream.ended;
    await expect(call(inspector, '/')).rejects.toThrow(/ECONNREFUSED/);
  });

  it('with a token, refuses every request without it (401) and accepts it as ?token= or a bearer header', async () => {
    const { inspector } = await setup({ token: TOKEN });
    for (const path of ['/', '/events', '/state.json', '/nope']) {
      const refused = await call(inspector, path);
      expect(refused.status, path).toBe(401);
      expect(refused.headers['www-authenticate']).toContain('Bearer');
      expect((await call(inspector, `${path}?token=wrong-token-0000000000`)).status, path).toBe(401);
    }
    const post = await call(inspector, '/actions/x', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
    });
    expect(post.status).toBe(401);
    expect((await call(inspector, `/?token=${TOKEN}`)).status).toBe(200);
    expect(
      (await call(inspector, '/state.json', { headers: { authorization: `Bearer ${TOKEN}` } })).status,
    ).toBe(200);
    expect((await call(inspector, '/', { headers: { authorization: `Bearer ${TOKEN}x` } })).status).toBe(401);
    const stream = openEvents(inspector, `/events?token=${TOKEN}`);
    await stream.until((e) => e.event === 'hello', 'hello with token');
    // The token is never echoed back.
    expect(served).not.toContain(TOKEN);
  });

  it('answers only loopback Host names when bound to loopback (DNS rebinding)', async () => {
    const { inspector } = await setup();
    const port = new URL(inspector.url).port;
    expect((await call(inspector, '/', { headers: { host: `evil.example:${port}` } })).status).toBe(403);
    expect((await call(inspector, '/', { headers: { host: `localhost:${port}` } })).status).toBe(200);
  });

  it('runs actions on a JSON POST, reports them in the timeline, and refuses cross-origin or form posts', async () => {
    let kills = 0;
    const { inspector } = await setup({
      actions: {
        kill: { label: 'Kill the server', run: async () => void kills++ },
        broken: {
          label: 'Broken',
          run: () => {
            throw new Error(`refused with key ${API_KEY}`);
          },
        },
      },
    });
    const stream = openEvents(inspector);
    const hello = (await stream.until((e) => e.event === 'hello', 'hello')).data as Hello;
    expect(hello.actions.map((a) => a.id)).toEqual(['kill', 'broken']);
    const json = { 'content-type': 'application/json' };
    const ok = await call(inspector, '/actions/kill', { method: 'POST', headers: json, body: '{}' });
    expect([ok.status, JSON.parse(ok.body)]).toEqual([200, { ok: true }]);
    expect(kills).toBe(1);
    await stream.until(
      (e) => e.event === 'action' && (e.data as { id: string }).id === 'kill',
      'action kill',
    );

    const failed = await call(inspector, '/actions/broken', { method: 'POST', headers: json, body: '{}' });
    expect(failed.status).toBe(500);
    expect(JSON.parse(failed.body).error).toMatch(/^refused with key /);

    const form = { 'content-type': 'application/x-www-form-urlencoded' };
    expect((await call(inspector, '/actions/kill', { method: 'POST', headers: form })).status).toBe(415);
    const crossOrigin = { ...json, origin: 'http://evil.example' };
    expect((await call(inspector, '/actions/kill', { method: 'POST', headers: crossOrigin })).status).toBe(
      403,
    );
    expect((await call(inspector, '/actions/nope', { method: 'POST', headers: json })).status).toBe(404);
    expect((await call(inspector, '/actions/kill')).status).toBe(405);
    expect(kills).toBe(1);
  });

  it('never serves the API key: page, state, events, failures and action errors', async () => {
    served = '';
    const { connector, supervisor, inspector, clock } = await setup({
      actions: { leak: { label: 'Leak', run: () => Promise.reject(new Error(`key=${API_KEY}`)) } },
    });
    const stream = openEvents(inspector);
    await stream.until((e) => e.event === 'hello', 'hello');
    await call(inspector, '/');
    supervisor.start();
    await flush();
    // A failure whose message carries the key (as a careless connector might report it).
    connector.fail({ ...failures.unauthenticated, message: `bad key ${API_KEY}` });
    await flush();
    await stream.until(
      (e) => e.event === 'transition' && (e.data as { to: string }).to === 'backoff',
      'connection backoff',
    );
    await stream.until(
      (e) => e.event === 'snapshot' && (e.data as { state: string }).state === 'backoff',
      'snapshot backoff',
    );
    const state = await call(inspector, '/state.json');
    expect(JSON.parse(state.body).snapshot.lastFailure.code).toBe('UNAUTHENTICATED');
    await call(inspector, '/actions/leak', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    await stream.until((e) => e.event === 'action', 'action leak');
    clock.advance(1);
    expect(served.length).toBeGreaterThan(10_000);
    expect(served).toContain('UNAUTHENTICATED');
    expect(served).not.toContain(API_KEY);
  });

  it('rejects bad options, naming the option and the fix', async () => {
    const { supervisor } = await setup();
    await expect(startInspector(supervisor, { token: 'short' })).rejects.toThrow(/`token`.*16 characters/);
    await expect(startInspector(supervisor, { host: '0.0.0.0' })).rejects.toThrow(/pass a `token`/);
    await expect(startInspector(supervisor, { port: 70_000 })).rejects.toThrow(/`port`.*0 to 65535/);
    const run = () => {};
    await expect(startInspector(supervisor, { actions: { 'bad id': { label: 'x', run } } })).rejects.toThrow(
      /action ids/,
    );
    await expect(startInspector(supervisor, { actions: { ok: { label: '', run } } })).rejects.toThrow(
      /`actions.ok`/,
    );
  });
  it('lays each machine out with one arrow per transition, plus one per initial state', async () => {
    const { inspector } = await setup();
    const hello = JSON.parse((await call(inspector, '/state.json')).body) as Hello;
    for (const [name, drawn] of Object.entries(hello.machines)) {
      const arrows = drawn.layout.edges.filter((e) => e.transition >= 0).map((e) => e.transition);
      // Every transition drawn exactly once (none of these machines has a multi-target transition).
      expect(
        arrows.sort((a, b) => a - b),
        name,
      ).toEqual(drawn.graph.transitions.map((_, i) => i));
    }
  });

  it('refuses actions from Origin: null (a sandboxed frame or a file: page)', async () => {
    let runs = 0;
    const { inspector } = await setup({ actions: { kill: { label: 'Kill', run: () => void runs++ } } });
    const headers = { 'content-type': 'application/json', origin: 'null' };
    const refused = await call(inspector, '/actions/kill', { method: 'POST', headers, body: '{}' });
    expect([refused.status, JSON.parse(refused.body).error]).toEqual([403, 'cross-origin action refused']);
    const sameOrigin = { 'content-type': 'application/json', origin: inspector.url.replace(/\/$/, '') };
    expect((await call(inspector, '/actions/kill', { method: 'POST', headers: sameOrigin })).status).toBe(
      200,
    );
    expect(runs).toBe(1);
  });

  it('anchors the loopback Host check: 127.0.0.1.evil.example and localhost.evil.example are refused', async () => {
    const { inspector } = await setup();
    const port = new URL(inspector.url).port;
    for (const host of ['127.0.0.1.evil.example', 'localhost.evil.example', 'evil127.0.0.1', '127.0.0.1x']) {
      expect((await call(inspector, '/', { headers: { host: `${host}:${port}` } })).status, host).toBe(403);
      expect(isLoopback(host), host).toBe(false);
    }
    for (const host of ['127.0.0.1', '127.1.2.3', 'localhost', '[::1]']) {
      expect((await call(inspector, '/', { headers: { host: `${host}:${port}` } })).status, host).toBe(200);
    }
  });

  it('gives stream slots only with the token, and a new page closes the oldest beyond the cap (3)', async () => {
    const { inspector } = await setup({ token: TOKEN }, { ...DEFAULT_SSE_LIMITS, maxStreams: 3 });
    const pages = [0, 1, 2].map(() => openEvents(inspector, `/events?token=${TOKEN}`));
    for (const page of pages) await page.until((e) => e.event === 'hello', 'hello');
    // Any number of requests without the token: refused, and no page is closed for them.
    for (let i = 0; i < 10; i++) expect((await call(inspector, '/events')).status).toBe(401);
    const fourth = openEvents(inspector, `/events?token=${TOKEN}`);
    await fourth.until((e) => e.event === 'hello', 'hello on the fourth page');
    await pages[0]?.ended;
    const stillOpen = await Promise.race([
      pages[1]?.ended.then(() => 'ended'),
      new Promise((r) => setTimeout(() => r('open'), 200)),
    ]);
    expect(stillOpen).toBe('open');
  });

  it('closes a client that stops reading once its queue passes the bound, instead of buffering without end', async () => {
    const limits = { ...DEFAULT_SSE_LIMITS, maxQueuedBytes: 64 * 1024 };
    const { inspector, requests } = await setup({ timelineSize: 10 }, limits);
    const { port } = new URL(inspector.url);
    const socket = connect(Number(port), '127.0.0.1');
    cleanups.push(async () => socket.destroy());
    await new Promise<void>((r) => socket.once('connect', () => r()));
    socket.write(`GET /events HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`);
    socket.pause();
    await new Promise((r) => setTimeout(r, 100));
    // ~100 bytes a frame, 40 MB in all: far beyond what the kernel's socket buffers take.
    const emitted = 400_000;
    for (let i = 0; i < emitted; i++) {
      requests.emit({ source: 'creator:orders', outcome: 'rejected', reason: 'deadline', at: i });
      if (i % 20_000 === 0) await new Promise((r) => setImmediate(r));
    }
    let received = 0;
    const ended = new Promise<string>((r) => {
      socket.on('data', (chunk: Buffer) => {
        received += chunk.toString('utf8').split('event: request').length - 1;
      });
      socket.once('close', () => r('closed'));
      socket.once('end', () => r('closed'));
    });
    socket.resume();
    const outcome = await Promise.race([ended, new Promise((r) => setTimeout(() => r('still open'), 5_000))]);
    expect(outcome).toBe('closed');
    expect(received).toBeGreaterThan(0);
    expect(received).toBeLessThan(emitted);
  }, 30_000);

  it('keeps at most timelineSize entries and only the history window, and streams request outcomes', async () => {
    const { inspector, requests } = await setup({ timelineSize: 3, historyWindow: '10s' });
    const stream = openEvents(inspector);
    await stream.until((e) => e.event === 'hello', 'hello');
    for (const at of [0, 1_000, 2_000, 3_000, 4_000]) {
      requests.emit({ source: 'client', outcome: 'started', at });
    }
    await stream.until(
      (e) => e.event === 'request' && (e.data as { at: number }).at === 4_000,
      'request 4000',
    );
    let hello = JSON.parse((await call(inspector, '/state.json')).body) as { timeline: { at: number }[] };
    expect(hello.timeline.map((e) => e.at)).toEqual([2_000, 3_000, 4_000]);
    requests.emit({ source: 'creator:orders', outcome: 'rejected', reason: 'queue_full', at: 13_500 });
    hello = JSON.parse((await call(inspector, '/state.json')).body) as { timeline: { at: number }[] };
    expect(hello.timeline).toEqual([
      { kind: 'request', source: 'client', outcome: 'started', at: 4_000 },
      { kind: 'request', source: 'creator:orders', outcome: 'rejected', reason: 'queue_full', at: 13_500 },
    ]);
  });

  it('serves the session as one self-contained HTML recording that loads nothing', async () => {
    const { inspector, requests } = await setup();
    requests.emit({ source: 'client', outcome: 'rejected', reason: 'deadline</script><b>', at: 5 });
    const recording = await call(inspector, '/recording.html');
    expect(recording.status).toBe(200);
    expect(recording.headers['content-disposition']).toMatch(/^attachment; filename="inspector-recording-/);
    const body = recording.body;
    expect(body).toMatch(
      /<meta http-equiv="Content-Security-Policy" content="default-src 'none';[^"]*connect-src 'none'/,
    );
    expect(body).not.toMatch(/(src|href)="(https?:)?\/\//);
    // The embedded data cannot close its block: the only </script> are the two real ones.
    expect(body.split('</script>').length - 1).toBe(2);
    const json = /<script type="application\/json" id="recording">(.*?)<\/script>/s.exec(body)?.[1] ?? '';
    const data = JSON.parse(json) as { hello: { timeline: { reason?: string }[] } };
    expect(data.hello.timeline.at(-1)?.reason).toBe('deadline</script><b>');
  });

  it('rejects a bad history window and a bad request source', async () => {
    const { supervisor } = await setup();
    await expect(startInspector(supervisor, { historyWindow: '10d' })).rejects.toThrow(
      /`historyWindow`.*1s to 7d/,
    );
    await expect(startInspector(supervisor, { historyWindow: 'soon' as never })).rejects.toThrow(
      /`historyWindow`/,
    );
    await expect(startInspector(supervisor, { requests: {} as never })).rejects.toThrow(/`requests`/);
  });
  it("takes request outcomes from the supervisor's own onRequest when it has one", async () => {
    const { supervisor, clock } = await setup();
    const own = new RequestEvents();
    // As the supervisor will once it reports requests itself.
    Object.assign(supervisor, { onRequest: own.onRequest.bind(own) });
    const inspector = await startInspector(supervisor, { clock });
    cleanups.push(() => inspector.close());
    own.emit({ source: 'creator:orders', outcome: 'late', at: 7 });
    const hello = JSON.parse((await call(inspector, '/state.json')).body) as { timeline: unknown[] };
    expect(hello.timeline).toEqual([{ kind: 'request', source: 'creator:orders', outcome: 'late', at: 7 }]);
  });
  it('drops malformed request events without throwing back at their source', async () => {
    const { inspector, requests } = await setup();
    const hostile = {
      toString: () => {
        throw new Error('boom');
      },
    };
    for (const event of [
      null,
      42,
      { outcome: 'exploded', source: 'x', at: 1 },
      { outcome: 'started', source: hostile, at: 2 },
    ]) {
      expect(() => requests.emit(event as never)).not.toThrow();
    }
    requests.emit({ source: 'client', outcome: 'started', at: 3 });
    const hello = JSON.parse((await call(inspector, '/state.json')).body) as { timeline: { at: number }[] };
    expect(hello.timeline.map((e) => e.at)).toEqual([3]);
  });
});
