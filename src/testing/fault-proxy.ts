/**
 * A TCP proxy between a client and a server that a test switches between network faults:
 *
 * - `pass()`: forward both ways (with `setLatency(ms)` delaying every chunk, order kept);
 * - `refuse()`: the listening socket is closed, so new connects get ECONNREFUSED; open connections go on;
 * - `blackhole()`: new connections are accepted, and no byte moves on any connection in either direction;
 *   nothing is answered, nothing is closed. Bytes sent meanwhile are held (as TCP would retransmit them), and
 *   `pass()` delivers them in order, like a network partition that heals;
 * - `resetAll()`: every open connection, client side and server side, is destroyed with a TCP RST.
 *
 * Errors on either side never escape: the other side of that connection is destroyed.
 *
 * Given several targets it is also a TCP load balancer (as HAProxy or nginx `stream` in front of Temporal
 * frontends): each new connection goes to the next target in turn, and one whose connect fails (refused,
 * reset) is tried on the following targets before the client is dropped. An open connection stays on its
 * target; when that target goes away the client reconnects and lands on a live one.
 */
import { createServer, type Server, Socket } from 'node:net';

export type FaultProxyMode = 'pass' | 'refuse' | 'blackhole';

export interface FaultProxyTarget {
  host: string;
  port: number;
}

export interface FaultProxyOptions {
  /** Where connections are forwarded to: one server, or several to balance over (round robin, with failover). */
  target: FaultProxyTarget | FaultProxyTarget[];
  /** Port to listen on; 0 picks a free one. @default 0 */
  port?: number;
  /** Interface to listen on. @default '127.0.0.1' */
  host?: string;
}

export interface FaultProxyStats {
  /** Client connections accepted since the start. */
  accepted: number;
  /** Client connections open now. */
  active: number;
  /** Bytes forwarded client → server. */
  bytesUp: number;
  /** Bytes forwarded server → client. */
  bytesDown: number;
  /** Per target, in the order given: connections opened to it (`connected`) and connects that failed. */
  targets: Array<{ address: string; connected: number; failed: number }>;
}

interface Chunk {
  data: Buffer;
  due: number;
}

/** One direction of one connection: a queue of chunks, each released at its due time, in order. */
class Direction {
  readonly #queue: Chunk[] = [];
  #timer: NodeJS.Timeout | undefined;
  #lastDue = 0;
  #sourceEnded = false;
  #congested = false;

  constructor(
    private readonly proxy: FaultProxy,
    private readonly source: Socket,
    private readonly sink: () => Socket | undefined,
    private readonly count: (bytes: number) => void,
  ) {
    // Paused until updateFlow() says bytes may move (a 'data' listener would otherwise start the flow).
    source.pause();
    source.on('data', (data: Buffer) => {
      const due = Math.max(performance.now() + proxy.latencyMs, this.#lastDue);
      this.#lastDue = due;
      this.#queue.push({ data, due });
      this.flush();
    });
    source.on('end', () => {
      this.#sourceEnded = true;
      this.flush();
    });
  }

  /** Writes every chunk that is due, unless the proxy is a black hole; schedules the next one. */
  flush(): void {
    if (this.#timer !== undefined) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
    }
    if (this.proxy.mode === 'blackhole') return;
    const sink = this.sink();
    if (sink === undefined || sink.destroyed) return;
    for (;;) {
      const head = this.#queue[0];
      if (head === undefined) break;
      const wait = head.due - performance.now();
      if (wait > 0) {
        this.#timer = setTimeout(() => this.flush(), Math.ceil(wait));
        return;
      }
      this.#queue.shift();
      this.count(head.data.length);
      if (!sink.write(head.data) && !this.#congested) {
        this.#congested = true;
        sink.once('drain', () => {
          this.#congested = false;
          this.updateFlow();
        });
        this.updateFlow();
      }
    }
    if (this.#sourceEnded && !sink.writableEnded) sink.end();
  }

  /** Reads from the source only while bytes may move and the sink keeps up. */
  updateFlow(): void {
    if (this.source.destroyed) return;
    if (this.proxy.mode === 'blackhole' || this.#congested || this.sink() === undefined) this.source.pause();
    else this.source.resume();
  }

  dispose(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#queue.length = 0;
  }
}

interface TargetSlot {
  target: FaultProxyTarget;
  connected: number;
  failed: number;
}

class Link {
  upstream: Socket | undefined;
  readonly up: Direction;
  down: Direction | undefined;

  constructor(
    private readonly proxy: FaultProxy,
    readonly client: Socket,
    private readonly onBytes: (direction: 'up' | 'down', bytes: number) => void,
  ) {
    client.on('error', () => this.upstream?.destroy());
    client.on('close', (hadError) => {
      if (hadError) this.upstream?.destroy();
    });
    // Bytes from the client wait here until a server side is connected: a failed connect loses none of them.
    this.up = new Direction(
      proxy,
      client,
      () => (this.#connected ? this.upstream : undefined),
      (bytes) => onBytes('up', bytes),
    );
    this.up.updateFlow();
  }

  #connected = false;

  /**
   * Opens the server side to the first of `order` that accepts, trying the next one on a failed connect; in
   * blackhole mode this waits for `pass()`, so the server sees nothing either.
   */
  connectUpstream(order: () => TargetSlot[]): void {
    if (this.upstream !== undefined || this.client.destroyed) return;
    this.#tryConnect(order(), 0);
  }

  #tryConnect(order: TargetSlot[], index: number): void {
    const slot = order[index];
    if (slot === undefined) return;
    const upstream = new Socket({ allowHalfOpen: true });
    this.upstream = upstream;
    const current = () => this.upstream === upstream;
    upstream.once('connect', () => {
      if (!current()) return;
      this.#connected = true;
      slot.connected++;
      this.refresh();
    });
    upstream.on('error', () => {
      if (!current()) return;
      if (!this.#connected && index + 1 < order.length && !this.client.destroyed) {
        slot.failed++;
        this.down?.dispose();
        this.upstream = undefined;
        upstream.destroy();
        this.#tryConnect(order, index + 1);
        return;
      }
      if (!this.#connected) slot.failed++;
      this.client.destroy();
    });
    upstream.on('close', (hadError) => {
      if (hadError && current()) this.client.destroy();
    });
    this.down = new Direction(
      this.proxy,
      upstream,
      () => this.client,
      (bytes) => this.onBytes('down', bytes),
    );
    upstream.connect(slot.target.port, slot.target.host);
    this.refresh();
  }

  refresh(): void {
    this.up.updateFlow();
    this.down?.updateFlow();
    this.up.flush();
    this.down?.flush();
  }

  reset(): void {
    this.up.dispose();
    this.down?.dispose();
    if (!this.client.destroyed) this.client.resetAndDestroy();
    if (this.upstream !== undefined && !this.upstream.destroyed) {
      // resetAndDestroy needs a connected socket; one still connecting is simply destroyed.
      if (this.upstream.pending) this.upstream.destroy();
      else this.upstream.resetAndDestroy();
    }
  }

  destroy(): void {
    this.up.dispose();
    this.down?.dispose();
    this.client.destroy();
    this.upstream?.destroy();
  }
}

export class FaultProxy {
  /** Port the proxy listens on; the same through `refuse()`/`pass()`. */
  readonly port: number;
  /** `<host>:<port>` to give the client. */
  readonly address: string;
  readonly #host: string;
  readonly #targets: TargetSlot[];
  #next = 0;
  readonly #links = new Set<Link>();
  readonly #stats = { accepted: 0, active: 0, bytesUp: 0, bytesDown: 0 };
  #listener: Server | undefined;
  #mode: FaultProxyMode = 'pass';
  #latencyMs = 0;
  #closed = false;

  private constructor(listener: Server, host: string, port: number, targets: FaultProxyTarget[]) {
    this.#listener = listener;
    this.#host = host;
    this.port = port;
    this.address = `${host}:${port}`;
    this.#targets = targets.map((target) => ({ target: { ...target }, connected: 0, failed: 0 }));
  }

  /**
   * Listens and starts in `pass` mode.
   *
   * @throws RangeError on a bad port; the listen error (EADDRINUSE…) if the port cannot be bound.
   */
  static async start(options: FaultProxyOptions): Promise<FaultProxy> {
    const { target, port = 0, host = '127.0.0.1' } = options;
    const targets = Array.isArray(target) ? target : [target];
    if (targets.length === 0) throw new RangeError('Expected `target` to name at least one server, got [].');
    for (const [name, value] of [
      ['port', port],
      ...targets.map(
        (each, i) => [Array.isArray(target) ? `target[${i}].port` : 'target.port', each?.port] as const,
      ),
    ] as const) {
      if (!Number.isInteger(value) || value < 0 || value > 65535) {
        throw new RangeError(`Expected \`${name}\` to be an integer in 0..65535, got ${value}.`);
      }
    }
    let proxy: FaultProxy | undefined;
    const listener = await listen(host, port, (socket) => {
      if (proxy === undefined) socket.destroy();
      else proxy.#accept(socket);
    });
    const address = listener.address();
    if (address === null || typeof address === 'string')
      throw new Error(`Could not read the port bound on ${host}.`);
    proxy = new FaultProxy(listener, host, address.port, targets);
    return proxy;
  }

  get mode(): FaultProxyMode {
    return this.#mode;
  }

  /** Delay added to every chunk in each direction, in ms. */
  get latencyMs(): number {
    return this.#latencyMs;
  }

  /** A snapshot of the counters. */
  get stats(): FaultProxyStats {
    return {
      ...this.#stats,
      targets: this.#targets.map(({ target, connected, failed }) => ({
        address: `${target.host}:${target.port}`,
        connected,
        failed,
      })),
    };
  }

  /** Forward both ways; listens again after `refuse()`; delivers what `blackhole()` held. */
  async pass(): Promise<void> {
    this.#assertOpen('pass');
    await this.#ensureListening();
    this.#mode = 'pass';
    for (const link of this.#links) {
      link.connectUpstream(() => this.#order());
      link.refresh();
    }
  }

  /** Close the listening socket: new connects get ECONNREFUSED. Open connections are left as they are. */
  async refuse(): Promise<void> {
    this.#assertOpen('refuse');
    const wasBlackhole = this.#mode === 'blackhole';
    this.#mode = 'refuse';
    const listener = this.#listener;
    this.#listener = undefined;
    // close() releases the port at once; its callback would wait for every accepted connection to end.
    listener?.close();
    await new Promise((resolve) => setImmediate(resolve));
    if (wasBlackhole) {
      for (const link of this.#links) {
        link.connectUpstream(() => this.#order());
        link.refresh();
      }
    }
  }

  /** Accept connections but move no byte on any of them, either way, until `pass()`. */
  async blackhole(): Promise<void> {
    this.#assertOpen('blackhole');
    await this.#ensureListening();
    this.#mode = 'blackhole';
    for (const link of this.#links) link.refresh();
  }

  /** Destroy every open connection, both client and server side, with a TCP RST. The mode is unchanged. */
  resetAll(): void {
    for (const link of this.#links) link.reset();
  }

  /**
   * Delay every chunk by `ms` in each direction (order kept; a round trip gets 2 × ms). 0 removes the delay
   * for chunks received from now on.
   *
   * @throws RangeError if `ms` is not a non-negative finite number.
   */
  setLatency(ms: number): void {
    if (!(Number.isFinite(ms) && ms >= 0)) {
      throw new RangeError(`Expected \`ms\` to be a non-negative finite number, got ${ms}.`);
    }
    this.#latencyMs = ms;
  }

  /** Stop listening and destroy every connection. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const listener = this.#listener;
    this.#listener = undefined;
    for (const link of this.#links) link.destroy();
    if (listener !== undefined) await new Promise((resolve) => listener.close(resolve));
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  #accept(client: Socket): void {
    if (this.#closed) {
      client.destroy();
      return;
    }
    this.#stats.accepted++;
    this.#stats.active++;
    const link = new Link(this, client, (direction, bytes) => {
      if (direction === 'up') this.#stats.bytesUp += bytes;
      else this.#stats.bytesDown += bytes;
    });
    this.#links.add(link);
    client.once('close', () => {
      this.#stats.active--;
      this.#links.delete(link);
      link.destroy();
    });
    if (this.#mode !== 'blackhole') link.connectUpstream(() => this.#order());
  }

  /** The targets for the next connection: round robin, then the others in order as fallbacks. */
  #order(): TargetSlot[] {
    const start = this.#next % this.#targets.length;
    this.#next = start + 1;
    return [...this.#targets.slice(start), ...this.#targets.slice(0, start)];
  }

  async #ensureListening(): Promise<void> {
    if (this.#listener !== undefined) return;
    this.#listener = await listen(this.#host, this.port, (socket) => this.#accept(socket));
  }

  #assertOpen(operation: string): void {
    if (this.#closed)
      throw new Error(`FaultProxy on ${this.address} is closed; cannot ${operation}(). Start a new one.`);
  }
}

async function listen(host: string, port: number, onConnection: (socket: Socket) => void): Promise<Server> {
  const server = createServer({ allowHalfOpen: true, pauseOnConnect: true }, onConnection);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host, port }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.on('error', () => {});
  return server;
}
