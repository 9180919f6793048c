import type { InspectionEvent, Observer } from 'xstate';
import { fail, show } from './check.js';

/**
 * The `inspect` option: what XState's own `createActor(…, { inspect })` takes, a function or an `Observer`
 * (`{ next, error, complete }`, as `@statelyai/inspect`'s `inspector.inspect` is).
 */
export type InspectOption = ((event: InspectionEvent) => void) | Observer<InspectionEvent>;

const OBSERVER_KEYS = ['next', 'error', 'complete'] as const;
const FIX =
  'Pass `inspect: (event) => …`, an xstate Observer such as `{ next: (event) => … }` (e.g. `createBrowserInspector().inspect`), or leave it out.';

/**
 * One function that receives every inspection event, or `undefined` when none is asked for. An observer's
 * `next` is called as its method (its `this` is the observer). Inspection never ends while the supervisor runs,
 * so `error` and `complete` are checked but never called, as XState never calls them for inspection either.
 */
export function resolveInspect(
  value: InspectOption | undefined,
): ((event: InspectionEvent) => void) | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'function') return value;
  if (typeof value !== 'object' || value === null) fail('inspect', 'a function or an Observer', value, FIX);
  for (const key of OBSERVER_KEYS) {
    const member: unknown = value[key];
    if (member !== undefined && typeof member !== 'function') {
      fail(`inspect.${key}`, 'a function', member, FIX);
    }
  }
  if (typeof value.next !== 'function') {
    fail(
      'inspect.next',
      'a function',
      value.next,
      `An Observer without \`next\` receives nothing (keys: ${show(Object.keys(value))}). ${FIX}`,
    );
  }
  const observer = value;
  return (event) => observer.next?.(event);
}
