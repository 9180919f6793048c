/** A supervisor on a fake Temporal and a manual clock, with a real inspector server on it. */
import { createSupervisor, type InspectorOptions, startInspector } from '../../src/index.js';
import { DEFAULT_SSE_LIMITS, type SseLimits } from '../../src/inspector/sse.js';
import { FakeConnector, stopOnFakes } from './fake-connector.js';
import { ManualClock } from './manual-clock.js';
import { RequestEvents } from './request-events.js';

/**
 * Starts it; pushes its cleanups (inspector first, then the supervisor) onto `cleanups`, to be run in reverse.
 * `apiKey` is configured so that tests can look for it in what is served.
 */
export async function inspectedSupervisor(
  cleanups: (() => Promise<unknown>)[],
  { apiKey, ...options }: InspectorOptions & { apiKey?: string } = {},
  limits: SseLimits = DEFAULT_SSE_LIMITS,
) {
  const clock = new ManualClock();
  const connector = new FakeConnector();
  const supervisor = createSupervisor({
    envConfig: false,
    ...(apiKey === undefined ? {} : { apiKey }),
    connector,
    clock,
    reachabilityInterval: false,
    creators: { orders: {} },
  });
  cleanups.push(() => stopOnFakes(supervisor, connector, clock));
  const requests = new RequestEvents();
  const inspector = await startInspector(supervisor, { clock, requests, ...options }, limits);
  cleanups.push(() => inspector.close());
  return { clock, connector, supervisor, inspector, requests };
}
