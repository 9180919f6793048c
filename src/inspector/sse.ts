/**
 * The inspector's Server-Sent Event streams, bounded in every direction a client could abuse:
 *
 * - **Backpressure.** Once `write` returns false nothing more is written until the socket drains; frames wait
 *   in a queue of at most `maxQueuedBytes`. A client that falls further behind is closed (its `EventSource`
 *   reconnects and gets a fresh `hello`), so a page that stops reading costs a bounded buffer, not memory
 *   without end.
 * - **Idle timeout.** A stream that stays blocked (no drain) for `idleMs` is closed.
 * - **Lifetime.** Every stream is closed after `lifetimeMs`; a live page reconnects at once.
 * - **Cap.** At most `maxStreams` are open; a new one closes the oldest, so nothing can hold every slot.
 *   The caller authenticates before opening: a request without the token never takes a slot.
 */

/** What a stream needs of `http.ServerResponse` (an interface, so that tests can stand in a fake). */
export interface SseResponse {
  write(chunk: string): boolean;
  end(): void;
  destroy(): void;
  once(event: 'drain' | 'close', listener: () => void): unknown;
}

export interface SseLimits {
  /** Bytes queued while the client does not read, beyond which it is closed. */
  readonly maxQueuedBytes: number;
  /** How long a stream may stay blocked before it is closed. */
  readonly idleMs: number;
  /** How long any stream stays open. */
  readonly lifetimeMs: number;
  /** Streams open at once; a new one closes the oldest. */
  readonly maxStreams: number;
}

export const DEFAULT_SSE_LIMITS: SseLimits = {
  maxQueuedBytes: 1024 * 1024,
  idleMs: 30_000,
  lifetimeMs: 60 * 60_000,
  maxStreams: 32,
};

/** Why a stream was closed by us (for tests and the page's reconnect). */
export type CloseReason = 'slow' | 'idle' | 'lifetime' | 'evicted' | 'closed';

export class SseStream {
  private readonly queue: string[] = [];
  private queuedBytes = 0;
  private blocked = false;
  private idleTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly lifetimeTimer: ReturnType<typeof setTimeout>;
  /** Set once closed, by us (the reason) or by the client (`'closed'`). */
  closedFor: CloseReason | undefined;

  constructor(
    private readonly res: SseResponse,
    private readonly limits: SseLimits,
    private readonly onClosed: (stream: SseStream) => void,
  ) {
    this.lifetimeTimer = setTimeout(() => this.close('lifetime'), limits.lifetimeMs);
    this.lifetimeTimer.unref?.();
    res.once('close', () => this.finish('closed'));
  }

  /** Queues or writes one frame; never writes while the socket is full. */
  send(frame: string): void {
    if (this.closedFor !== undefined) return;
    if (this.blocked) {
      this.queue.push(frame);
      this.queuedBytes += Buffer.byteLength(frame);
      if (this.queuedBytes > this.limits.maxQueuedBytes) this.close('slow');
      return;
    }
    if (!this.res.write(frame)) this.block();
  }

  private block(): void {
    this.blocked = true;
    this.idleTimer = setTimeout(() => this.close('idle'), this.limits.idleMs);
    this.idleTimer.unref?.();
    this.res.once('drain', () => this.drain());
  }

  private drain(): void {
    if (this.closedFor !== undefined) return;
    clearTimeout(this.idleTimer);
    this.blocked = false;
    while (this.queue.length > 0) {
      const frame = this.queue.shift() as string;
      this.queuedBytes -= Buffer.byteLength(frame);
      if (!this.res.write(frame)) {
        this.block();
        return;
      }
    }
  }

  /** Ends the stream: politely if the socket can take it, else by destroying it. */
  close(reason: CloseReason): void {
    if (this.closedFor !== undefined) return;
    const blocked = this.blocked;
    this.finish(reason);
    if (blocked) this.res.destroy();
    else this.res.end();
  }

  private finish(reason: CloseReason): void {
    if (this.closedFor !== undefined) return;
    this.closedFor = reason;
    clearTimeout(this.idleTimer);
    clearTimeout(this.lifetimeTimer);
    this.queue.length = 0;
    this.queuedBytes = 0;
    this.onClosed(this);
  }
}

/** The open streams, at most `maxStreams` of them (oldest first). */
export class SseStreams {
  private readonly open = new Set<SseStream>();

  constructor(private readonly limits: SseLimits = DEFAULT_SSE_LIMITS) {}

  get size(): number {
    return this.open.size;
  }

  /** Opens a stream on `res` (headers already sent), closing the oldest one if every slot is taken. */
  add(res: SseResponse): SseStream {
    while (this.open.size >= this.limits.maxStreams) {
      const oldest = this.open.values().next().value as SseStream;
      oldest.close('evicted');
    }
    const stream = new SseStream(res, this.limits, (closed) => this.open.delete(closed));
    this.open.add(stream);
    return stream;
  }

  send(frame: string): void {
    for (const stream of this.open) stream.send(frame);
  }

  closeAll(): void {
    for (const stream of [...this.open]) stream.close('closed');
  }
}

/**
 * A reader of a Server-Sent Event stream as the inspector writes it (one `event:` and one `data:` line per
 * frame): feed it the stream's text chunks, it calls `onEvent` with each whole frame's event and data.
 */
export function sseReader(onEvent: (event: string, data: string) => void): (chunk: string) => void {
  let buffer = '';
  return (chunk) => {
    buffer += chunk;
    for (let end = buffer.indexOf('\n\n'); end !== -1; end = buffer.indexOf('\n\n')) {
      const frame = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const event = /^event: (.*)$/m.exec(frame)?.[1];
      const data = /^data: (.*)$/m.exec(frame)?.[1];
      if (event !== undefined && data !== undefined) onEvent(event, data);
    }
  };
}
