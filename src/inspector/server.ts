/**
 * The live inspector: a small `node:http` server that serves one self-contained page showing the supervisor's
 * statecharts with their current states, the supervised children, and a live timeline of transitions
 * (Server-Sent Events), plus optional action buttons supplied by the embedding code.
 *
 * Security: binds 127.0.0.1 by default and then only answers requests whose `Host` is a loopback name (so a
 * web page elsewhere cannot reach it through DNS rebinding); a non-loopback host requires a `token`. With a
 * token, every request needs it (`?token=` or `Authorization: Bearer`), compared in constant time. Actions
 * are POSTs with a JSON content type and, if the browser sends one, a same-origin `Origin`. Nothing served
 * carries a secret: snapshots are secret-free by construction and are scrubbed of the configured secrets
 * again here, as are the messages of failed actions.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { connectionMachine } from '../../machines/connection.machine.js';
import { creatorMachine } from '../../machines/creator.machine.js';
import { workerMachine } from '../../machines/worker.machine.js';
import { type MachineGraph, machineGraph } from '../machine-graph.js';
import { type ActorTransition, type Disposable, statePath } from '../runtime/transition-hub.js';
import { runtimeOf } from '../supervisor/internals.js';
import type { Supervisor } from '../supervisor/supervisor.js';
import { PAGE_CSP, renderPage } from './page.js';

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
  /** How many timeline entries the inspector keeps and replays to a newly opened page. @default 500 */
  readonly timelineSize?: number;
  /** The page's title. @default 'temporal-supervisor inspector' */
  readonly title?: string;
}

export interface Inspector {
  /** `http://<host>:<port>/`, without the token: append `?token=<token>` to open it when one is set. */
  readonly url: string;
  /** Ends every open page's event stream and stops the server. Idempotent. */
  close(): Promise<void>;
}

/** One timeline entry: a transition of one of the supervisor's actors, or an action run from the page. */
export type TimelineEntry =
  | ({ readonly kind: 'transition' } & ActorTransition)
  | {
      readonly kind: 'action';
      readonly id: string;
      readonly label: string;
      readonly ok: boolean;
      readonly error?: string;
      readonly at: number;
    };

/** One actor shown on the page: which machine it runs and where it is. */
export interface InspectedActor {
  readonly id: string;
  readonly machine: 'connection' | 'worker' | 'creator';
  /** Coarse state (`connected`, `running`, `ready`). */
  state: string;
  /** Full path where known (`online.connected.probing`); a child not yet seen moving shows its coarse state. */
  path: string;
}

const ACTION_ID = /^[A-Za-z0-9_-]{1,64}$/;
const MIN_TOKEN_LENGTH = 16;
const MAX_STREAMS = 32;
const HEARTBEAT_MS = 15_000;
const SNAPSHOT_REFRESH_MS = 1_000;
const LOOPBACK_NAMES = new Set(['localhost', '127.0.0.1', '::1', '[::1]']);

function isLoopback(host: string): boolean {
  return LOOPBACK_NAMES.has(host) || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

interface Resolved {
  readonly port: number;
  readonly host: string;
  readonly token: string | undefined;
  readonly actions: ReadonlyMap<string, InspectorAction>;
  readonly timelineSize: number;
  readonly title: string;
}

function resolve(options: InspectorOptions): Resolved {
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
  const timelineSize = options.timelineSize ?? 500;
  if (!Number.isInteger(timelineSize) || timelineSize < 1 || timelineSize > 100_000) {
    throw new RangeError(
      `Expected \`timelineSize\` to be an integer from 1 to 100000, got ${String(timelineSize)}.`,
    );
  }
  const title = options.title ?? 'temporal-supervisor inspector';
  if (typeof title !== 'string') throw new TypeError('Expected `title` to be a string.');
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
  return { port, host, token, actions, timelineSize, title };
}

/** Which machine an actor id runs: `connection`, `worker:<name>`, `creator:<name>`. */
function machineOf(id: string): InspectedActor['machine'] | undefined {
  if (id === 'connection') return 'connection';
  if (id.startsWith('worker:')) return 'worker';
  if (id.startsWith('creator:')) return 'creator';
  return undefined;
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

/**
 * Starts the live inspector for `supervisor`. Resolves once the server listens.
 *
 * @example
 * const inspector = await startInspector(supervisor, { port: 9233 });
 * console.log(`inspector on ${inspector.url}`);
 * // …
 * await inspector.close();
 * @throws TypeError or RangeError on bad options, naming the option and the fix; the server's listen error
 *   (e.g. EADDRINUSE) if it cannot bind.
 */
export async function startInspector(
  supervisor: Supervisor,
  options: InspectorOptions = {},
): Promise<Inspector> {
  const config = resolve(options);
  const { redact } = runtimeOf(supervisor);
  const tokenDigest = config.token === undefined ? undefined : digest(config.token);
  const machines: Record<InspectedActor['machine'], MachineGraph> = {
    connection: machineGraph(connectionMachine),
    worker: machineGraph(workerMachine),
    creator: machineGraph(creatorMachine),
  };
  const page = renderPage(config.title);

  const actors = new Map<string, InspectedActor>();
  const initial = supervisor.snapshot();
  actors.set('connection', {
    id: 'connection',
    machine: 'connection',
    state: initial.state,
    path: statePath(initial.value),
  });
  const noteChildren = (children: Readonly<Record<string, string>>) => {
    for (const [id, state] of Object.entries(children)) {
      const machine = machineOf(id);
      if (machine && !actors.has(id)) actors.set(id, { id, machine, state, path: state });
    }
  };
  noteChildren(initial.children);

  const timeline: TimelineEntry[] = [];
  const streams = new Set<ServerResponse>();
  const record = (entry: TimelineEntry) => {
    timeline.push(entry);
    if (timeline.length > config.timelineSize) timeline.shift();
  };
  const send = (event: string, data: unknown) => {
    const frame = `event: ${event}\ndata: ${JSON.stringify(scrub(data, redact))}\n\n`;
    for (const stream of streams) stream.write(frame);
  };
  const snapshotView = () => scrub(supervisor.snapshot(), redact);

  let snapshotQueued = false;
  const queueSnapshot = () => {
    if (snapshotQueued || streams.size === 0) return;
    snapshotQueued = true;
    setImmediate(() => {
      snapshotQueued = false;
      if (streams.size > 0) send('snapshot', snapshotView());
    });
  };

  const subscription: Disposable = supervisor.onTransition((transition) => {
    const machine = machineOf(transition.actor);
    if (!machine) return;
    const actor = actors.get(transition.actor);
    if (actor) {
      actor.state = transition.to;
      actor.path = transition.toPath;
    } else {
      actors.set(transition.actor, {
        id: transition.actor,
        machine,
        state: transition.to,
        path: transition.toPath,
      });
    }
    const entry: TimelineEntry = { kind: 'transition', ...transition };
    record(entry);
    send('transition', entry);
    queueSnapshot();
  });

  const hello = () => {
    const snapshot = snapshotView();
    noteChildren(snapshot.children);
    return {
      title: config.title,
      machines,
      actors: [...actors.values()],
      snapshot,
      timeline,
      timelineSize: config.timelineSize,
      actions: [...config.actions].map(([id, action]) => ({
        id,
        label: action.label,
        confirm: action.confirm,
      })),
    };
  };

  const refresh = setInterval(() => {
    if (streams.size > 0) send('snapshot', snapshotView());
  }, SNAPSHOT_REFRESH_MS);
  refresh.unref();
  const heartbeat = setInterval(() => {
    for (const stream of streams) stream.write(': heartbeat\n\n');
  }, HEARTBEAT_MS);
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
    if (!host) return false;
    const name = host.startsWith('[') ? host.slice(0, host.indexOf(']') + 1) : host.split(':')[0];
    return name !== undefined && isLoopback(name);
  };

  const reply = (res: ServerResponse, status: number, type: string, body: string, extra = {}) => {
    res.writeHead(status, {
      'Content-Type': type,
      'Cache-Control': 'no-store',
      'X-Content-Type-Options': 'nosniff',
      'Referrer-Policy': 'no-referrer',
      ...extra,
    });
    res.end(body);
  };

  const runAction = async (req: IncomingMessage, res: ServerResponse, id: string) => {
    req.resume();
    const action = config.actions.get(id);
    if (!action)
      return reply(res, 404, 'application/json', JSON.stringify({ ok: false, error: `no action '${id}'` }));
    if (!/^application\/json\b/i.test(req.headers['content-type'] ?? '')) {
      return reply(
        res,
        415,
        'application/json',
        JSON.stringify({ ok: false, error: 'actions take Content-Type: application/json' }),
      );
    }
    const origin = req.headers.origin;
    if (origin !== undefined && origin !== 'null') {
      let sameHost = false;
      try {
        sameHost = new URL(origin).host === req.headers.host;
      } catch {}
      if (!sameHost) {
        return reply(
          res,
          403,
          'application/json',
          JSON.stringify({ ok: false, error: 'cross-origin action refused' }),
        );
      }
    }
    let entry: TimelineEntry;
    try {
      await action.run();
      entry = { kind: 'action', id, label: action.label, ok: true, at: Date.now() };
    } catch (error) {
      const message = redact(String(error instanceof Error ? error.message : error)).slice(0, 500);
      entry = { kind: 'action', id, label: action.label, ok: false, error: message, at: Date.now() };
    }
    record(entry);
    send('action', entry);
    reply(
      res,
      entry.ok ? 200 : 500,
      'application/json',
      JSON.stringify(entry.ok ? { ok: true } : { ok: false, error: entry.error }),
    );
  };

  const openStream = (res: ServerResponse) => {
    if (streams.size >= MAX_STREAMS) {
      return reply(res, 503, 'text/plain; charset=utf-8', 'Too many open inspector pages.\n');
    }
    res.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-store',
      'X-Content-Type-Options': 'nosniff',
      Connection: 'keep-alive',
    });
    res.write(`retry: 1000\nevent: hello\ndata: ${JSON.stringify(scrub(hello(), redact))}\n\n`);
    streams.add(res);
    res.on('close', () => streams.delete(res));
  };

  const handle = (req: IncomingMessage, res: ServerResponse) => {
    if (!hostAllowed(req)) {
      return reply(
        res,
        403,
        'text/plain; charset=utf-8',
        'Host not allowed: open the inspector as 127.0.0.1 or localhost.\n',
      );
    }
    const url = new URL(req.url ?? '/', 'http://inspector.invalid');
    if (!authorized(req, url)) {
      return reply(
        res,
        401,
        'text/plain; charset=utf-8',
        'Missing or wrong inspector token: open the page with ?token=<token>, or send Authorization: Bearer <token>.\n',
        { 'WWW-Authenticate': 'Bearer realm="temporal-supervisor inspector"' },
      );
    }
    const method = req.method ?? 'GET';
    const path = url.pathname;
    if (path.startsWith('/actions/')) {
      if (method !== 'POST')
        return reply(res, 405, 'text/plain; charset=utf-8', 'Use POST.\n', { Allow: 'POST' });
      void runAction(req, res, decodeURIComponent(path.slice('/actions/'.length)));
      return;
    }
    if (method !== 'GET' && method !== 'HEAD') {
      return reply(res, 405, 'text/plain; charset=utf-8', 'Use GET.\n', { Allow: 'GET, HEAD' });
    }
    switch (path) {
      case '/':
      case '/index.html':
        return reply(res, 200, 'text/html; charset=utf-8', page, {
          'Content-Security-Policy': PAGE_CSP,
          'X-Frame-Options': 'DENY',
        });
      case '/events':
        return openStream(res);
      case '/state.json':
        return reply(res, 200, 'application/json', JSON.stringify(scrub(hello(), redact)));
      default:
        return reply(res, 404, 'text/plain; charset=utf-8', 'Not found.\n');
    }
  };

  const server: Server = createServer((req, res) => {
    try {
      handle(req, res);
    } catch {
      if (!res.headersSent) reply(res, 500, 'text/plain; charset=utf-8', 'Inspector error.\n');
      else res.end();
    }
  });
  const cleanup = () => {
    subscription.dispose();
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
        for (const stream of streams) stream.end();
        streams.clear();
        server.close(() => done());
        server.closeAllConnections();
      });
      return closing;
    },
  };
}
