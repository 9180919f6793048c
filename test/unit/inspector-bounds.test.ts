/**
 * The inspector's bounds, each pinned with concrete numbers from docs/inspector.md: an event stream stops
 * writing when the socket is full and closes a client that falls too far behind, an idle (blocked) stream
 * and any stream past its lifetime are closed, at most `maxStreams` are open (the oldest gives way), and
 * the history keeps at most `size` entries and none older than the window before the newest.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { History } from '../../src/inspector/history.js';
import { type SseLimits, type SseResponse, SseStream, SseStreams } from '../../src/inspector/sse.js';

/** A response whose socket takes `capacity` writes, then is full until `drain()`. */
class FakeResponse implements SseResponse {
  readonly written: string[] = [];
  ended = false;
  destroyed = false;
  private readonly listeners = new Map<string, (() => void)[]>();
  constructor(public capacity = Number.POSITIVE_INFINITY) {}
  write(chunk: string): boolean {
    if (this.ended || this.destroyed) throw new Error('write after close');
    this.written.push(chunk);
    return this.written.length < this.capacity;
  }
  end(): void {
    this.ended = true;
    this.emit('close');
  }
  destroy(): void {
    this.destroyed = true;
    this.emit('close');
  }
  once(event: 'drain' | 'close', listener: () => void): unknown {
    this.listeners.set(event, [...(this.listeners.get(event) ?? []), listener]);
    return this;
  }
  emit(event: string): void {
    const listeners = this.listeners.get(event) ?? [];
    this.listeners.delete(event);
    for (const listener of listeners) listener();
  }
  /** The socket took everything: room for `more` writes. */
  drain(more: number): void {
    this.capacity = this.written.length + more;
    this.emit('drain');
  }
}

const LIMITS: SseLimits = { maxQueuedBytes: 100, idleMs: 30_000, lifetimeMs: 3_600_000, maxStreams: 3 };
const frame = (n: number) => `data: ${String(n).padStart(4, '0')}\n\n`; // 12 bytes

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('an event stream', () => {
  it('writes nothing while the socket is full, queues, and writes the queue in order once it drains', () => {
    const res = new FakeResponse(2);
    const stream = new SseStream(res, LIMITS, () => {});
    for (let n = 0; n < 6; n++) stream.send(frame(n));
    // The second write returned false: the four after it wait.
    expect(res.written).toEqual([frame(0), frame(1)]);
    res.drain(2);
    expect(res.written).toEqual([frame(0), frame(1), frame(2), frame(3)]);
    res.drain(100);
    expect(res.written).toEqual([0, 1, 2, 3, 4, 5].map(frame));
    stream.send(frame(6));
    expect(res.written.at(-1)).toBe(frame(6));
    expect(stream.closedFor).toBeUndefined();
  });

  it('closes a client whose queue passes maxQueuedBytes (100 bytes: the 9th queued 12-byte frame)', () => {
    const res = new FakeResponse(1);
    const closed: SseStream[] = [];
    const stream = new SseStream(res, LIMITS, (s) => closed.push(s));
    stream.send(frame(0));
    for (let n = 1; n <= 8; n++) stream.send(frame(n));
    expect(stream.closedFor).toBeUndefined();
    stream.send(frame(9));
    expect(stream.closedFor).toBe('slow');
    expect(res.destroyed).toBe(true);
    expect(closed).toEqual([stream]);
    expect(res.written).toEqual([frame(0)]);
    stream.send(frame(10));
    expect(res.written).toEqual([frame(0)]);
  });

  it('closes a stream blocked for idleMs without a drain, and not one that drains in time', () => {
    const stuck = new FakeResponse(1);
    const s1 = new SseStream(stuck, LIMITS, () => {});
    s1.send(frame(0));
    vi.advanceTimersByTime(29_999);
    expect(s1.closedFor).toBeUndefined();
    vi.advanceTimersByTime(1);
    expect(s1.closedFor).toBe('idle');
    expect(stuck.destroyed).toBe(true);

    const slowButAlive = new FakeResponse(1);
    const s2 = new SseStream(slowButAlive, LIMITS, () => {});
    s2.send(frame(0));
    vi.advanceTimersByTime(20_000);
    slowButAlive.drain(10);
    vi.advanceTimersByTime(20_000);
    expect(s2.closedFor).toBeUndefined();
  });

  it('ends every stream after lifetimeMs, a healthy one with a clean end', () => {
    const res = new FakeResponse();
    const stream = new SseStream(res, LIMITS, () => {});
    vi.advanceTimersByTime(3_599_999);
    expect(res.ended).toBe(false);
    vi.advanceTimersByTime(1);
    expect([stream.closedFor, res.ended, res.destroyed]).toEqual(['lifetime', true, false]);
  });

  it('forgets a stream the client closed, and clears its timers', () => {
    const res = new FakeResponse(1);
    const stream = new SseStream(res, LIMITS, () => {});
    stream.send(frame(0));
    res.emit('close');
    expect(stream.closedFor).toBe('closed');
    expect(vi.getTimerCount()).toBe(0);
  });
});

describe('the open streams', () => {
  it('keeps at most maxStreams (3) open: a fourth closes the oldest, so no client holds every slot', () => {
    const streams = new SseStreams(LIMITS);
    const responses = [0, 1, 2, 3].map(() => new FakeResponse());
    const opened = responses.map((res) => streams.add(res));
    expect(streams.size).toBe(3);
    expect(opened.map((s) => s.closedFor)).toEqual(['evicted', undefined, undefined, undefined]);
    streams.send(frame(1));
    expect(responses.map((res) => res.written.length)).toEqual([0, 1, 1, 1]);
    streams.closeAll();
    expect(streams.size).toBe(0);
  });
});

describe('the history', () => {
  it('keeps at most `size` entries, oldest dropped first', () => {
    const history = new History<{ at: number; n: number }>(3, 60_000);
    for (let n = 0; n < 5; n++) history.push({ at: n, n });
    expect(history.toArray().map((e) => e.n)).toEqual([2, 3, 4]);
    expect(history.length).toBe(3);
  });

  it('drops entries older than the window before the newest (10 s window)', () => {
    const history = new History<{ at: number }>(100, 10_000);
    for (const at of [0, 5_000, 9_000, 15_000]) history.push({ at });
    // 0 is 15 s before the newest; 5 000 is exactly 10 s before: kept.
    expect(history.toArray().map((e) => e.at)).toEqual([5_000, 9_000, 15_000]);
    history.push({ at: 100_000 });
    expect(history.toArray().map((e) => e.at)).toEqual([100_000]);
  });
});
