/**
 * The live inspector: a small `node:http` server that serves one self-contained page showing the supervisor's
 * statecharts (laid out with ELK on this side, drawn as SVG on the page), the supervision tree, and a
 * timeline of transitions, actions and request outcomes (Server-Sent Events), plus optional action buttons
 * supplied by the embedding code, and a download of the session as one offline HTML file.
 *
 * Security: binds 127.0.0.1 by default and then only answers requests whose `Host` is a loopback name (so a
 * web page elsewhere cannot reach it through DNS rebinding); a non-loopback host requires a `token`. With a
 * token, every request needs it (`?token=` or `Authorization: Bearer`), compared in constant time, before it
 * can take a stream slot. Actions are POSTs with a JSON content type and, if the browser sends one, a
 * same-origin `Origin` (`null` refused). Streams are bounded (see sse.ts). Nothing served carries a secret:
 * snapshots are secret-free by construction and are scrubbed of the configured secrets again here, as are
 * the messages of failed actions.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type Duration, msToNumber } from '@temporalio/common/lib/time.js';
import { connectionMachine } from '../../machines/connection.machine.js';
import { creatorMachine } from '../../machines/creator.machine.js';
import { dispatcherMachine } from '../../machines/dispatcher.machine.js';
import { workerMachine } from '../../machines/worker.machine.js';
import { type MachineGraph, machineGraph } from '../machine-graph.js';
import { type Clock, systemClock } from '../runtime/clock.js';
import { runtimeOf } from '../supervisor/internals.js';
import type { Supervisor } from '../supervisor/supervisor.js';
import { cachedLayout, type MachineLayout } from './layout.js';
import {
  type DrawnMachine,
  type Hello,
  InspectorModel,
  type MachineName,
  type RequestEventSource,
  type TimelineEntry,
} from './model.js';
import { PAGE_CSP, renderPage, renderRecording } from './page.js';
import { DEFAULT_SSE_LIMITS, type SseLimits, SseStreams } from './sse.js';

export type { InspectedActor, RequestEvent, RequestEventSource, TimelineEntry } from './model.js';

/** A button on the inspector page; clicking it POSTs to the inspector, which calls `run`. */
export interface InspectorAction {
  /** The button's text. */
  readonly label: string;
  /** If set, the page asks the user to confirm with this question first. */
  readonly confirm?: string;
  /** Called on each click. A rejection (or throw) is shown on the page with its message, secrets scrubbed. */
  run(): unknown;
}

export interface InspectorOptions {
  /** TCP port; 0 picks a free one (read it from `url`). @default 0 */
  readonly port?: number;
  /**
   * Interface to bind. Anything but a loopback address (127.0.0.0/8, ::1, localhost) requires `token`.
   * @default '127.0.0.1'
   */
  readonly host?: string;
  /** If set, every request must carry it, as `?token=<token>` or `Authorization: Bearer <token>`. */
  readonly token?: string;
  /** Extra buttons on the page, by id (`[A-Za-z0-9_-]`, up to 64 characters). @default {} */
  readonly actions?: Readonly<Record<string, InspectorAction>>;
  /** At most this many timeline entries are kept (and replayed to a page opened later). @default 10000 */
  readonly timelineSize?: number;
  /** Entries older than this before the newest are dropped. @default '24h' */
  readonly historyWindow?: Duration;
  /** The page's title. @default 'temporal-supervisor inspector' */
  readonly title?: string;
  /** The clock the supervisor was given (its times are on it). @default the system clock */
  readonly clock?: Clock;
  /**
   * Where request outcomes come from, drawn as marks on the timeline. @default the supervisor's own
   * `onRequest`, if it has one
   */
  readonly requests?: RequestEventSource;
}

export interface Inspector {
  /** `http://<host>:<port>/`, without the token: append `?token=<token>` to open it when one is set. */
  readonly url: string;
  /** Ends every open page's event stream and stops the server. Idempotent. */
  close(): Promise<void>;
}

const ACTION_ID = /^[A-Za-z0-9_-]{1,64}$/;
const MIN_TOKEN_LENGTH = 16;
const HEARTBEAT_MS = 15_000;
const SNAPSHOT_REFRESH_MS = 1_000;
const MAX_WINDOW_MS = 7 * 24 * 3_600_000;
const LOOPBACK_NAMES = new Set(['localhost', '127.0.0.1', '::1', '[::1]']);

/** Loopback names and 127.0.0.0/8 addresses, whole: `127.0.0.1.evil.example` is not one. */
export function isLoopback(host: string): boolean {
  return LOOPBACK_NAMES.has(host) || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

interface Resolved {
  readonly port: number;
  readonly host: string;
  readonly token: string | undefined;
  readonly actions: ReadonlyMap<string, InspectorAction>;
  readonly timelineSize: number;
  readonly historyWindowMs: number;
  readonly title: string;
  readonly clock: Clock;
  readonly requests: RequestEventSource | undefined;
}

function windowOf(value: Duration | undefined): number {
  let ms: number;
  try {
    ms = value === undefined ? 24 * 3_600_000 : msToNumber(value);
  } catch {
    ms = Number.NaN;
  }
  if (!Number.isFinite(ms) || ms < 1_000 || ms > MAX_WINDOW_MS) {
    throw new RangeError(
      `Expected \`historyWindow\` to be a duration from 1s to 7d, got ${String(value)}. E.g. '6h'.`,
    );
  }
  return ms;
}

function requestSource(supervisor: Supervisor, given: unknown): RequestEventSource | undefined {
  const candidate = given ?? supervisor;
  const onRequest = (candidate as Partial<RequestEventSource> | undefined)?.onRequest;
  if (typeof onRequest === 'function') return candidate as RequestEventSource;
  if (given !== undefined) {
    throw new TypeError('Expected `requests` to be { onRequest(listener): { dispose() } }.');
  }
  return undefined;
}

function resolve(supervisor: Supervisor, options: InspectorOptions): Resolved {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError('Expected inspector options to be an object, e.g. { port: 0 }.');
  }
  const port = options.port ?? 0;
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new RangeError(
      `Expected \`port\` to be an integer from 0 to 65535, got ${String(port)}. Use 0 for any free port.`,
    );
  }
  const host = options.host ?? '127.0.0.1';
  if (typeof host !== 'string' || host.length === 0) {
    throw new TypeError(
      `Expected \`host\` to be a non-empty string, got ${String(host)}. The default is '127.0.0.1'.`,
    );
  }
  const token = options.token;
  if (token !== undefined && (typeof token !== 'string' || token.length < MIN_TOKEN_LENGTH)) {
    throw new TypeError(
      `Expected \`token\` to be a string of at least ${MIN_TOKEN_LENGTH} characters. Make one with crypto.randomBytes(24).toString('base64url').`,
    );
  }
  if (!isLoopback(host) && token === undefined) {
    throw new TypeError(
      `Binding the inspector to \`host\` '${host}' exposes it beyond this machine: pass a \`token\` too, or bind '127.0.0.1'.`,
    );
  }
  const timelineSize = options.timelineSize ?? 10_000;
  if (!Number.isInteger(timelineSize) || timelineSize < 1 || timelineSize > 100_000) {
    throw new RangeError(
      `Expected \`timelineSize\` to be an integer from 1 to 100000, got ${String(timelineSize)}.`,
    );
  }
  const title = options.title ?? 'temporal-supervisor inspector';
  if (typeof title !== 'string') throw new TypeError('Expected `title` to be a string.');
  const clock = options.clock ?? runtimeOf(supervisor).clock ?? systemClock;
  if (typeof clock?.now !== 'function') throw new TypeError('Expected `clock` to be a Clock ({ now() }).');
  const actions = new Map<string, InspectorAction>();
  for (const [id, action] of Object.entries(options.actions ?? {})) {
    if (!ACTION_ID.test(id)) {
      throw new TypeError(
        `Expected action ids to match ${ACTION_ID}, got '${id}'. Use e.g. 'kill' or 'restart-server'.`,
      );
    }
    if (typeof action?.label !== 'string' || action.label.length === 0 || typeof action.run !== 'function') {
      throw new TypeError(`Expected \`actions.${id}\` to be { label: string, run: () => unknown }.`);
    }
    actions.set(id, action);
  }
  const historyWindowMs = windowOf(options.historyWindow);
  const requests = requestSource(supervisor, options.requests);
  return { port, host, token, actions, timelineSize, historyWindowMs, title, clock, requests };
}

/** Every string in a JSON-like value passed through `redact`. */
function scrub<T>(value: T, redact: (text: string) => string): T {
  if (typeof value === 'string') return redact(value) as T;
  if (Array.isArray(value)) return value.map((item) => scrub(item, redact)) as T;
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, scrub(v, redact)])) as T;
  }
  return value;
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

/** The four machines with their layouts (cached per process). */
export async function drawMachines(): Promise<Record<MachineName, DrawnMachine>> {
  const graphs = {
    connection: machineGraph(connectionMachine),
    worker: machineGraph(workerMachine),
    creator: machineGraph(creatorMachine),
    dispatcher: machineGraph(dispatcherMachine),
  };
  // A layout that fails (no worker threads here, say) leaves that chart undrawn, with the reason: the rest
  // of the inspector works without it.
  const draw = (graph: MachineGraph) =>
    cachedLayout(graph).catch(
      (error: unknown): MachineLayout => ({
        width: 0,
        height: 0,
        states: [],
        edges: [],
        error: error instanceof Error ? error.message : String(error),
      }),
    );
  const [connection, worker, creator, dispatcher] = await Promise.all([
    draw(graphs.connection),
    draw(graphs.worker),
    draw(graphs.creator),
    draw(graphs.dispatcher),
  ]);
  return {
    connection: { graph: graphs.connection, layout: connection },
    worker: { graph: graphs.worker, layout: worker },
    creator: { graph: graphs.creator, layout: creator },
    dispatcher: { graph: graphs.dispatcher, layout: dispatcher },
  };
}

const JSON_TYPE = 'application/json';
const TEXT_TYPE = 'text/plain; charset=utf-8';

function reply(res: ServerResponse, status: number, type: string, body: string, extra = {}): void {
  res.writeHead(status, {
    'Content-Type': type,
    'Cache-Control': 'no-store',
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    ...extra,
  });
  res.end(body);
}

/** Why an action request is refused, or undefined if it may run. */
function refusal(req: IncomingMessage): [number, string] | undefined {
  if (!/^application\/json\b/i.test(req.headers['content-type'] ?? '')) {
    return [415, 'actions take Content-Type: application/json'];
  }
  const origin = req.headers.origin;
  if (origin === undefined) return undefined;
  let sameHost = false;
  try {
    // `null` (a sandboxed frame, a file: page, a redirect) is no origin at all: refused like any other.
    sameHost = origin !== 'null' && new URL(origin).host === req.headers.host;
  } catch {}
  return sameHost ? undefined : [403, 'cross-origin action refused'];
}

/** The name part of a `Host` header: `[::1]:80` → `[::1]`, `localhost:80` → `localhost`. */
function hostName(host: string): string {
  return host.startsWith('[') ? host.slice(0, host.indexOf(']') + 1) : (host.split(':')[0] ?? '');
}

/**
 * Starts the live inspector for `supervisor`. Resolves once the server listens (the first start in a
 * process also lays the three machines out, about a second).
 *
 * @example
 * const inspector = await startInspector(supervisor, { port: 9233 });
 * console.log(`inspector on ${inspector.url}`);
 * // …
 * await inspector.close();
 * @param limits @internal The event streams' bounds (tests make them small).
 * @throws TypeError or RangeError on bad options, naming the option and the fix; the server's listen error
 *   (e.g. EADDRINUSE) if it cannot bind.
 */
export async function startInspector(
  supervisor: Supervisor,
  options: InspectorOptions = {},
  limits: SseLimits = DEFAULT_SSE_LIMITS,
): Promise<Inspector> {
  const config = resolve(supervisor, options);
  // The supervisor's own redactor: every secret of its options, scrubbed again (a custom connector may not have).
  const { redact } = runtimeOf(supervisor);
  const tokenDigest = config.token === undefined ? undefined : digest(config.token);
  const machines = await drawMachines();
  const page = renderPage(config.title);
  const streams = new SseStreams(limits);
  const frame = (event: string, data: unknown) =>
    `event: ${event}\ndata: ${JSON.stringify(scrub(data, redact))}\n\n`;
  const snapshotView = () => scrub(supervisor.snapshot(), redact);

  let snapshotQueued = false;
  const queueSnapshot = () => {
    if (snapshotQueued || streams.size === 0) return;
    snapshotQueued = true;
    setImmediate(() => {
      snapshotQueued = false;
      if (streams.size > 0) streams.send(frame('snapshot', snapshotView()));
    });
  };
  const model = new InspectorModel(
    supervisor,
    {
      timelineSize: config.timelineSize,
      historyWindowMs: config.historyWindowMs,
      now: () => config.clock.now(),
      publish: (event, entry) => {
        if (streams.size === 0) return;
        streams.send(frame(event, entry));
        if (event === 'transition') queueSnapshot();
      },
    },
    config.requests,
  );
  const actionList = [...config.actions].map(([id, action]) => ({
    id,
    label: action.label,
    ...(action.confirm === undefined ? {} : { confirm: action.confirm }),
  }));
  const hello = (): Hello =>
    scrub(model.hello({ title: config.title, machines, actions: actionList }, snapshotView()), redact);

  const refresh = setInterval(() => {
    if (streams.size > 0) streams.send(frame('snapshot', snapshotView()));
  }, SNAPSHOT_REFRESH_MS);
  refresh.unref();
  const heartbeat = setInterval(() => streams.send(': heartbeat\n\n'), HEARTBEAT_MS);
  heartbeat.unref();

  const authorized = (req: IncomingMessage, url: URL): boolean => {
    if (tokenDigest === undefined) return true;
    const header = req.headers.authorization;
    const bearer = header?.startsWith('Bearer ') ? header.slice('Bearer '.length) : undefined;
    const given = url.searchParams.get('token') ?? bearer;
    return given !== undefined && timingSafeEqual(digest(given), tokenDigest);
  };

  const hostAllowed = (req: IncomingMessage): boolean => {
    if (!isLoopback(config.host)) return true;
    const host = req.headers.host;
    return host !== undefined && isLoopback(hostName(host));
  };

  const runAction = async (req: IncomingMessage, res: ServerResponse, id: string) => {
    req.resume();
    const action = config.actions.get(id);
    if (!action) return reply(res, 404, JSON_TYPE, JSON.stringify({ ok: false, error: `no action '${id}'` }));
    const refused = refusal(req);
    if (refused) return reply(res, refused[0], JSON_TYPE, JSON.stringify({ ok: false, error: refused[1] }));
    let entry: TimelineEntry;
    try {
      await action.run();
      entry = { kind: 'action', id, label: action.label, ok: true, at: config.clock.now() };
    } catch (error) {
      const message = redact(String(error instanceof Error ? error.message : error)).slice(0, 500);
      entry = { kind: 'action', id, label: action.label, ok: false, error: message, at: config.clock.now() };
    }
    model.record('action', entry);
    const body = entry.ok ? { ok: true } : { ok: false, error: entry.error };
    reply(res, entry.ok ? 200 : 500, JSON_TYPE, JSON.stringify(body));
  };

  const openStream = (res: ServerResponse) => {
    res.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-store',
      'X-Content-Type-Options': 'nosniff',
      Connection: 'keep-alive',
    });
    const stream = streams.add(res);
    stream.send(`retry: 1000\n${frame('hello', hello())}`);
  };

  const routes: Record<string, (res: ServerResponse) => void> = {
    '/': (res) =>
      reply(res, 200, 'text/html; charset=utf-8', page, {
        'Content-Security-Policy': PAGE_CSP,
        'X-Frame-Options': 'DENY',
      }),
    '/events': openStream,
    '/state.json': (res) => reply(res, 200, JSON_TYPE, JSON.stringify(hello())),
    '/recording.html': (res) =>
      reply(res, 200, 'text/html; charset=utf-8', renderRecording(hello(), []), {
        'Content-Security-Policy': PAGE_CSP,
        'X-Frame-Options': 'DENY',
        'Content-Disposition': `attachment; filename="inspector-recording-${new Date().toISOString().replace(/[:.]/g, '-')}.html"`,
      }),
  };
  routes['/index.html'] = routes['/'] as (res: ServerResponse) => void;

  const handle = (req: IncomingMessage, res: ServerResponse) => {
    if (!hostAllowed(req)) {
      return reply(res, 403, TEXT_TYPE, 'Host not allowed: open the inspector as 127.0.0.1 or localhost.\n');
    }
    const url = new URL(req.url ?? '/', 'http://inspector.invalid');
    if (!authorized(req, url)) {
      return reply(
        res,
        401,
        TEXT_TYPE,
        'Missing or wrong inspector token: open the page with ?token=<token>, or send Authorization: Bearer <token>.\n',
        { 'WWW-Authenticate': 'Bearer realm="temporal-supervisor inspector"' },
      );
    }
    const method = req.method ?? 'GET';
    if (url.pathname.startsWith('/actions/')) {
      if (method !== 'POST') return reply(res, 405, TEXT_TYPE, 'Use POST.\n', { Allow: 'POST' });
      void runAction(req, res, decodeURIComponent(url.pathname.slice('/actions/'.length)));
      return;
    }
    if (method !== 'GET' && method !== 'HEAD') {
      return reply(res, 405, TEXT_TYPE, 'Use GET.\n', { Allow: 'GET, HEAD' });
    }
    const route = routes[url.pathname];
    if (route) route(res);
    else reply(res, 404, TEXT_TYPE, 'Not found.\n');
  };

  const server: Server = createServer((req, res) => {
    try {
      handle(req, res);
    } catch {
      if (!res.headersSent) reply(res, 500, TEXT_TYPE, 'Inspector error.\n');
      else res.end();
    }
  });
  // A client that sends its request slowly, or not at all, is cut off (a stream's own bounds are in sse.ts).
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;
  const cleanup = () => {
    model.dispose();
    clearInterval(refresh);
    clearInterval(heartbeat);
  };
  try {
    await new Promise<void>((resolveListen, reject) => {
      server.once('error', reject);
      server.listen(config.port, config.host, () => {
        server.off('error', reject);
        resolveListen();
      });
    });
  } catch (error) {
    cleanup();
    throw error;
  }
  const address = server.address() as AddressInfo;
  const hostPart = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${hostPart}:${address.port}/`,
    close() {
      closing ??= new Promise<void>((done) => {
        cleanup();
        streams.closeAll();
        server.close(() => done());
        server.closeAllConnections();
      });
      return closing;
    },
  };
}
