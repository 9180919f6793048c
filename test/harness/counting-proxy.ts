/**
 * A TCP proxy that counts what a server receives, and is otherwise as transparent as it can be: it listens
 * only while its upstream accepts, so a client dialling it sees the port refused while the server is down,
 * as it would dialling the server itself.
 *
 * Not FaultProxy: that one injects faults into a link whose listening state the test sets (`refuse()`,
 * `pass()`), queues every chunk for its latency and black-hole modes, and keeps counters only. This one has
 * no faults to inject; its listening state follows the upstream's, its bytes go through plain pipes, and it
 * keeps a record of every connection (when accepted, whether and when the client sent a byte, when closed).
 *
 * Following the upstream: while listening, the proxy holds one idle connection of its own to the upstream
 * (the sentinel, never counted). A SIGKILLed server's kernel closes it at once, and the proxy then dials the
 * upstream: refused, it stops listening within a millisecond or two, and dials again every `pollMs` until the
 * upstream accepts, when it listens again (the upstream's readiness plus up to `pollMs`). A sentinel closed
 * for another reason (the server dropping a connection that never sent its preface) is simply replaced.
 *
 * What it cannot count: dials made while it is not listening are refused by the kernel, never seen here.
 */
import { once } from 'node:events';
import { createServer, type Server, Socket } from 'node:net';

export interface CountedConnection {
  /** Wall-clock ms (`performance.timeOrigin + performance.now()`) when the proxy accepted it. */
  readonly acceptedAt: number;
  /** When the client's first byte arrived; undefined for a bare dial (closed without sending anything). */
  firstByteAt: number | undefined;
  closedAt: number | undefined;
  bytesUp: number;
}

export interface ListeningSpan {
  readonly from: number;
  to: number | undefined;
}

function now(): number {
  return performance.timeOrigin + performance.now();
}

/** Resolves with the connected socket, or undefined if the connect failed. */
function dial(host: string, port: number): Promise<Socket | undefined> {
  return new Promise((resolve) => {
    const socket = new Socket();
    socket.once('connect', () => {
      socket.removeAllListeners('error');
      resolve(socket);
    });
    socket.once('error', () => {
      socket.destroy();
      resolve(undefined);
    });
    socket.connect(port, host);
  });
}

export class CountingProxy {
  readonly connections: CountedConnection[] = [];
  /** When the proxy listened (the upstream accepting), in order. */
  readonly listening: ListeningSpan[] = [];
  readonly address: string;
  /** The proxy's own dials to the upstream that failed (each a refused connect on the machine). */
  refusedPolls = 0;
  readonly #open = new Set<Socket>();
  #listener: Server | undefined;
  #sentinel: Socket | undefined;
  #closed = false;
  #pollTimer: NodeJS.Timeout | undefined;

  private constructor(
    readonly host: string,
    readonly port: number,
    private readonly upstream: { host: string; port: number },
    private readonly pollMs: number,
  ) {
    this.address = `${host}:${port}`;
  }

  /**
   * Starts following `upstream`: resolves once the proxy has a port (picked free at the first listen, kept
   * after), which needs the upstream to accept once.
   */
  static async start(
    upstream: { host: string; port: number },
    { pollMs = 5, host = '127.0.0.1' }: { pollMs?: number; host?: string } = {},
  ): Promise<CountingProxy> {
    const sentinel = await dial(upstream.host, upstream.port);
    if (sentinel === undefined) throw new Error(`${upstream.host}:${upstream.port} refused the first dial.`);
    const listener = await listen(host, 0);
    const address = listener.address();
    if (address === null || typeof address === 'string') throw new Error('Could not read the bound port.');
    const proxy = new CountingProxy(host, address.port, upstream, pollMs);
    proxy.#serve(listener, sentinel);
    return proxy;
  }

  /** Whether the proxy listens now. */
  get isListening(): boolean {
    return this.#listener !== undefined;
  }

  /** Connections accepted in [from, to): `attempts` sent bytes (an HTTP/2 preface), `dials` closed without. */
  countsBetween(from: number, to: number): { attempts: number[]; dials: number[] } {
    const within = this.connections.filter((c) => c.acceptedAt >= from && c.acceptedAt < to);
    return {
      attempts: within.filter((c) => c.firstByteAt !== undefined).map((c) => c.acceptedAt),
      dials: within
        .filter((c) => c.firstByteAt === undefined && c.closedAt !== undefined)
        .map((c) => c.acceptedAt),
    };
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#pollTimer);
    this.#sentinel?.destroy();
    for (const socket of this.#open) socket.destroy();
    await this.#stopListening();
  }

  #serve(listener: Server, sentinel: Socket): void {
    this.#listener = listener;
    this.listening.push({ from: now(), to: undefined });
    listener.on('connection', (client: Socket) => this.#accept(client));
    this.#watch(sentinel);
  }

  #watch(sentinel: Socket): void {
    this.#sentinel = sentinel;
    sentinel.on('error', () => {});
    // Read (and drop) whatever comes: a socket nobody reads never sees the upstream's FIN.
    sentinel.resume();
    sentinel.once('close', () => void this.#upstreamMayBeDown());
  }

  async #upstreamMayBeDown(): Promise<void> {
    if (this.#closed) return;
    const sentinel = await dial(this.upstream.host, this.upstream.port);
    if (this.#closed) return void sentinel?.destroy();
    if (sentinel !== undefined) return this.#watch(sentinel);
    this.refusedPolls++;
    await this.#stopListening();
    this.#poll();
  }

  #poll(): void {
    this.#pollTimer = setTimeout(async () => {
      const sentinel = await dial(this.upstream.host, this.upstream.port);
      if (this.#closed) return void sentinel?.destroy();
      if (sentinel === undefined) {
        this.refusedPolls++;
        return this.#poll();
      }
      try {
        this.#serve(await listen(this.host, this.port), sentinel);
      } catch {
        // The port is taken for a moment (a TIME_WAIT race): try again at the next poll.
        sentinel.destroy();
        this.#poll();
      }
    }, this.pollMs);
  }

  async #stopListening(): Promise<void> {
    const listener = this.#listener;
    if (listener === undefined) return;
    this.#listener = undefined;
    const span = this.listening.at(-1);
    if (span !== undefined) span.to = now();
    // close() stops accepting at once; its callback would wait for every open connection to end.
    listener.close();
  }

  #accept(client: Socket): void {
    const record: CountedConnection = {
      acceptedAt: now(),
      firstByteAt: undefined,
      closedAt: undefined,
      bytesUp: 0,
    };
    this.connections.push(record);
    const upstream = new Socket({ allowHalfOpen: true });
    this.#open.add(client);
    client.on('data', (chunk: Buffer) => {
      record.firstByteAt ??= now();
      record.bytesUp += chunk.length;
    });
    client.once('close', () => {
      record.closedAt = now();
      this.#open.delete(client);
      upstream.destroy();
    });
    let upstreamConnected = false;
    upstream.once('connect', () => {
      upstreamConnected = true;
    });
    upstream.once('close', () => client.destroy());
    client.on('error', () => upstream.destroy());
    // A failed upstream connect (the server died a moment ago): a reset, the nearest a client can get to the
    // refused connect it would have met without the proxy (a clean close would read as "closed without a word").
    upstream.on('error', () => {
      if (!upstreamConnected && !client.destroyed) client.resetAndDestroy();
      else client.destroy();
    });
    client.pipe(upstream);
    upstream.pipe(client);
    upstream.connect(this.upstream.port, this.upstream.host);
  }
}

/** Listens on host:port; rejects with the listen error (EADDRINUSE…). */
async function listen(host: string, port: number): Promise<Server> {
  const server = createServer({ allowHalfOpen: true });
  server.listen({ host, port });
  await once(server, 'listening');
  server.on('error', () => {});
  return server;
}
