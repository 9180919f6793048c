/**
 * `@temporalio/worker` (its native bridge, webpack for workflow bundles) is loaded only when a worker is about to
 * be created: a service that only starts workflows never loads it.
 *
 * What can be known without loading it: whether some copy of it is loaded already, through Node's module cache
 * (`require.cache`, documented; ESM imports of a CommonJS package go through it too). Only a loaded package can
 * hold a Runtime, so `loadedRuntimes()` is what a synchronous check of "does a Runtime exist" needs. Checked
 * against @temporalio/worker 1.24.0 (`lib/runtime.js` exports `Runtime`); caught by test/unit/core-logs.test.ts.
 */
import { createRequire } from 'node:module';
import type * as WorkerPackage from '@temporalio/worker';

export type { WorkerPackage };
export type RuntimeClass = typeof WorkerPackage.Runtime;

let loading: Promise<typeof WorkerPackage> | undefined;

/** The worker package, loaded on first use. */
export function loadWorkerPackage(): Promise<typeof WorkerPackage> {
  loading ??= import('@temporalio/worker');
  return loading;
}

const RUNTIME_MODULE = /[\\/]@temporalio[\\/]worker[\\/]lib[\\/]runtime\.js$/;

/** The `Runtime` class of every copy of `@temporalio/worker` loaded in this process so far. */
export function loadedRuntimes(): RuntimeClass[] {
  const cache = createRequire(`${process.cwd()}/`).cache;
  const found: RuntimeClass[] = [];
  for (const [path, module] of Object.entries(cache)) {
    const runtime = RUNTIME_MODULE.test(path)
      ? (module?.exports as { Runtime?: RuntimeClass })?.Runtime
      : undefined;
    if (typeof runtime === 'function') found.push(runtime);
  }
  return found;
}
