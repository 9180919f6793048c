import { afterEach } from 'vitest';

/**
 * Registers an afterEach that runs, newest first, every cleanup deferred during the test, even when the test
 * failed; a failing cleanup does not stop the others. Returns `defer(cleanup)`.
 */
export function useCleanups(): (cleanup: () => Promise<unknown>) => void {
  const cleanups: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => {});
  });
  return (cleanup) => {
    cleanups.push(cleanup);
  };
}
