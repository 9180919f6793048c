/**
 * What the SDK's `NativeConnection.close()` leaves behind (1.23 and 1.24): its `callContextStorage`, an
 * `AsyncLocalStorage` that the first activity run through the connection enables (`withAbortSignal` around
 * every activity). Before Node 24's AsyncContextFrame, Node keeps each enabled storage in one process-wide list
 * that its hooks walk for every promise and async resource made from then on, and only `disable()` takes it
 * off. Left alone, every replaced worker made every later `await` of the whole process a little slower, for
 * good: after 20 outages a bare awaited no-op cost 3 µs instead of 0.1 (docs/performance.md).
 *
 * Called once the connection closed (nothing of it runs any more); a storage the SDK no longer has is skipped.
 */
export function releaseCallContext(connection: object): void {
  const storage = (connection as { callContextStorage?: { disable?: unknown } }).callContextStorage;
  try {
    if (typeof storage?.disable === 'function') storage.disable();
  } catch {
    // Nothing to release.
  }
}
