import { AsyncLocalStorage } from 'node:async_hooks';
import { describe, expect, it } from 'vitest';
import { releaseCallContext } from '../../src/temporal/call-context.js';

describe('releaseCallContext', () => {
  it("disables the connection's storage: its store is gone", () => {
    const callContextStorage = new AsyncLocalStorage<string>();
    callContextStorage.enterWith('call context');
    expect(callContextStorage.getStore()).toBe('call context');
    releaseCallContext({ callContextStorage });
    expect(callContextStorage.getStore()).toBeUndefined();
  });

  it('skips a connection without one, and a storage whose disable throws', () => {
    expect(() => releaseCallContext({})).not.toThrow();
    expect(() => releaseCallContext({ callContextStorage: null })).not.toThrow();
    expect(() => releaseCallContext({ callContextStorage: { disable: 'no' } })).not.toThrow();
    const throwing = {
      disable() {
        throw new Error('boom');
      },
    };
    expect(() => releaseCallContext({ callContextStorage: throwing })).not.toThrow();
  });
});
