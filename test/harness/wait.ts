/** Polling helpers for tests: wait for a condition instead of sleeping a fixed time. */
import { setTimeout as sleep } from 'node:timers/promises';

export interface WaitOptions {
  /** Give up after this long. @default 10_000 */
  timeoutMs?: number;
  /** Pause between attempts. @default 50 */
  intervalMs?: number;
  /** What is awaited, for the timeout message. @default 'condition' */
  what?: string;
}

/**
 * Calls `probe` until it returns a value other than `undefined`/`false` (or stops throwing) and returns it.
 *
 * @throws Error after `timeoutMs`, naming `what` and the last error thrown by `probe`.
 */
export async function waitUntil<T>(
  probe: () => T | undefined | false | Promise<T | undefined | false>,
  { timeoutMs = 10_000, intervalMs = 50, what = 'condition' }: WaitOptions = {},
): Promise<T> {
  const started = performance.now();
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined && value !== false) return value;
    } catch (error) {
      lastError = error;
    }
    const elapsed = performance.now() - started;
    if (elapsed >= timeoutMs) {
      const cause = lastError instanceof Error ? `; last error: ${lastError.message}` : '';
      throw new Error(`Timed out after ${Math.round(elapsed)} ms waiting for ${what}${cause}`, {
        cause: lastError,
      });
    }
    await sleep(intervalMs);
  }
}

export { isProcessAlive } from '../../src/testing/reaper.js';
