import type { RequestEvent, RequestEventSource } from '../../src/inspector/model.js';

/** A request-event source for the inspector that the test fires by hand. */
export class RequestEvents implements RequestEventSource {
  private readonly listeners = new Set<(event: RequestEvent) => void>();

  onRequest(listener: (event: RequestEvent) => void) {
    this.listeners.add(listener);
    return { dispose: () => void this.listeners.delete(listener) };
  }

  emit(event: RequestEvent): void {
    for (const listener of this.listeners) listener(event);
  }
}
