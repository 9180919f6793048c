/**
 * An `apiKey` function is hostile user code: it may throw, reject, hang, or answer with something that is not a
 * key. The guard (ApiKeySource) calls it at start and every `refreshMs`, one call at a time, keeps the last good
 * key, reports each fault, and never throws. Driven on the manual clock.
 */
import { describe, expect, it } from 'vitest';
import { ApiKeySource } from '../../src/runtime/api-key-source.js';
import { ManualClock } from '../support/manual-clock.js';

function rig(provider: () => unknown, refreshMs = 1_000) {
  const clock = new ManualClock();
  const faults: string[] = [];
  const changes: string[] = [];
  let calls = 0;
  const source = new ApiKeySource(
    () => {
      calls++;
      return provider() as string;
    },
    {
      clock,
      refreshMs,
      fault: (error) => faults.push(error.message),
      changed: (key) => changes.push(key),
    },
  );
  /** Lets promise callbacks run (the provider's answers are awaited). */
  const settle = async () => {
    for (let i = 0; i < 10; i++) await Promise.resolve();
  };
  return { clock, source, faults, changes, settle, calls: () => calls };
}

describe('ApiKeySource: an apiKey function, guarded', () => {
  it('calls a sync function at start and every refreshMs, and reports only new keys', async () => {
    const keys = ['key-one-aaaa', 'key-one-aaaa', 'key-two-bbbb'];
    let i = 0;
    const r = rig(() => keys[Math.min(i++, keys.length - 1)]);
    expect(r.source.current()).toBeUndefined();
    r.source.start();
    await r.settle();
    expect(r.source.current()).toBe('key-one-aaaa');
    r.clock.advance(1_000);
    await r.settle();
    expect(r.changes).toEqual(['key-one-aaaa']);
    r.clock.advance(1_000);
    await r.settle();
    expect(r.source.current()).toBe('key-two-bbbb');
    expect(r.changes).toEqual(['key-one-aaaa', 'key-two-bbbb']);
    expect(r.calls()).toBe(3);
    expect(r.faults).toEqual([]);
    r.source.stop();
    r.clock.advance(10_000);
    await r.settle();
    expect(r.calls()).toBe(3);
  });

  it('takes an async function', async () => {
    const r = rig(async () => 'async-key-1234');
    await expect(r.source.ready()).resolves.toBe('async-key-1234');
    expect(r.changes).toEqual(['async-key-1234']);
  });

  it.each([
    [
      'throws',
      () => {
        throw new Error('vault down, key was secret-in-message');
      },
      /failed \(Error\)/,
    ],
    ['rejects', () => Promise.reject(new TypeError('nope')), /failed \(TypeError\)/],
    ['rejects with a non-error', () => Promise.reject('plain string'), /failed \(string\)/],
    ['returns an empty string', () => '', /a string of 0 characters/],
    ['returns a key with CRLF', () => 'good-key-1234\r\n', /CR, LF/],
    ['returns a number', () => 1234, /returned number/],
    ['returns undefined', () => undefined, /returned undefined/],
    ['returns null', () => null, /returned null/],
    [
      'returns a thenable whose then throws',
      () => ({
        // biome-ignore lint/suspicious/noThenProperty: a hostile thenable is the point
        then() {
          throw new RangeError('then exploded');
        },
      }),
      /failed \(RangeError\)/,
    ],
    [
      'returns an object that looks like a key',
      () => ({ toString: () => 'object-key-1234' }),
      /returned object/,
    ],
    [
      'throws an error whose name getter throws',
      () => {
        throw Object.defineProperty(new Error('x'), 'name', {
          get() {
            throw new Error('no name');
          },
        });
      },
      /failed \(an unprintable value\)/,
    ],
  ])('keeps the last good key when the function %s', async (_what, bad, message) => {
    let good = true;
    const r = rig(() => (good ? 'the-good-key-1' : bad()));
    r.source.start();
    await r.settle();
    expect(r.source.current()).toBe('the-good-key-1');
    good = false;
    r.clock.advance(1_000);
    await r.settle();
    expect(r.source.current()).toBe('the-good-key-1');
    expect(r.faults).toHaveLength(1);
    expect(r.faults[0]).toMatch(message);
    // The provider's own message (user text, may quote a key) is never passed on.
    expect(r.faults[0]).not.toContain('secret-in-message');
    expect(r.faults[0]).not.toContain('good-key');
    expect(r.changes).toEqual(['the-good-key-1']);
  });

  it('abandons a call that hangs after min(refreshMs, 10 s), and never overlaps calls', async () => {
    let answer: ((key: string) => void) | undefined;
    const r = rig(() => new Promise<string>((resolve) => (answer = resolve)), 30_000);
    r.source.start();
    await r.settle();
    expect(r.calls()).toBe(1);
    const waiting = r.source.ready();
    // A connection asking meanwhile joins the call in flight: no second call.
    expect(r.calls()).toBe(1);
    r.clock.advance(9_999);
    await r.settle();
    expect(r.faults).toEqual([]);
    r.clock.advance(1);
    await r.settle();
    await expect(waiting).resolves.toBeUndefined();
    expect(r.faults).toEqual(['the apiKey function did not answer within 10000 ms']);
    // The late answer of the abandoned call is ignored.
    answer?.('late-key-12345');
    await r.settle();
    expect(r.source.current()).toBeUndefined();
    // The next tick calls again.
    r.clock.advance(20_000);
    await r.settle();
    expect(r.calls()).toBe(2);
    answer?.('fresh-key-12345');
    await r.settle();
    expect(r.source.current()).toBe('fresh-key-12345');
  });

  it('ready() resolves undefined (never rejects) while the function gives no key, and calls it again', async () => {
    let fail = true;
    const r = rig(() => {
      if (fail) throw new Error('not yet');
      return 'finally-a-key';
    });
    await expect(r.source.ready()).resolves.toBeUndefined();
    fail = false;
    await expect(r.source.ready()).resolves.toBe('finally-a-key');
    expect(r.calls()).toBe(2);
  });

  it('reports a throwing `changed` hook as a fault and keeps the key', async () => {
    const clock = new ManualClock();
    const faults: string[] = [];
    const source = new ApiKeySource(() => 'hook-key-1234', {
      clock,
      refreshMs: 1_000,
      fault: (error) => faults.push(error.message),
      changed: () => {
        throw new Error('listener broke');
      },
    });
    await expect(source.ready()).resolves.toBe('hook-key-1234');
    expect(faults).toEqual(['applying the new API key failed: Error: listener broke']);
  });
});
