import type { SupervisorRuntime } from './runtime.js';

/**
 * The runtime behind each supervisor, for the package's own observability (metrics, inspector, demo): reachable
 * only through this module, never as a property of the supervisor, so that nothing holding credentials is
 * visible to users' code, `JSON.stringify` or `util.inspect`.
 */
const runtimes = new WeakMap<object, SupervisorRuntime>();

export function registerRuntime(supervisor: object, runtime: SupervisorRuntime): void {
  runtimes.set(supervisor, runtime);
}

/** @internal The runtime of a supervisor made by this package. */
export function runtimeOf(supervisor: object): SupervisorRuntime {
  const runtime = runtimes.get(supervisor);
  if (!runtime) {
    throw new TypeError(
      'Expected a Supervisor made by createSupervisor() of this copy of temporal-supervisor (two copies of the package are installed, or the object is not a supervisor).',
    );
  }
  return runtime;
}
