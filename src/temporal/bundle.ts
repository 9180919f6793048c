/**
 * The workflow bundle, built off the main thread. `bundleWorkflowCode` (webpack + swc) blocks the thread it
 * runs on for 0.65–3.5 s before it first yields (loading webpack, setting up its compiler; measured in
 * docs/performance.md): on the main thread no deadline timer fires and no probe runs meanwhile, and the host
 * application stalls with us. So it runs in a `worker_threads` Worker, which posts the code back; the main
 * thread only receives one string.
 *
 * One thread per process, started at the first bundle and kept (idle, unreferenced: it never holds the process
 * open) for every later one. Not a thread per bundle: the bundler's native swc binding does not survive being
 * loaded into a second thread after the first has ended — two bundles in two threads in a row, and the process
 * died of SIGSEGV (reproduced outside any test runner; the first one to see it was
 * test/integration/worker.test.ts). Nor is the thread ever terminated: `terminate()` stops it wherever it is,
 * native work included. A bundle built in the warm thread also takes ~1–2 s instead of ~4 s.
 *
 * The thread's code is a CommonJS script (`eval`) that requires the SDK's bundler by the path this module
 * resolves: no separate file to locate, whether we run from `dist/` or from the TypeScript sources.
 *
 * Reliance on SDK internals (checked against @temporalio/worker 1.24.0): the thread requires
 * `lib/workflow/bundler.js` (what `bundleWorkflowCode` is exported from) with `@temporalio/core-bridge`
 * replaced by a stub. The bundler requires `../logger`, which requires the native bridge only for
 * `native.getTimeOfDay()` in `DefaultLogger`, never called with the logger given here; loading the native
 * module (and the Rust runtime's statics) into a second thread for nothing is what we avoid. The stub throws
 * if anything does use it, so a new SDK that needs it fails the build loudly: caught by
 * test/unit/bundle.test.ts, which builds the fixtures' bundle this way.
 */
import { createRequire } from 'node:module';
import { Worker as Thread } from 'node:worker_threads';
import type { WorkflowBundle } from '@temporalio/worker';
import { ownFile } from '../runtime/own-file.js';

const THREAD_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Module = require('node:module');
const unavailable = () => {
  throw new Error('@temporalio/core-bridge is not loaded in the workflow bundler thread (temporal-supervisor)');
};
const stub = new Module(workerData.bridgePath);
stub.filename = workerData.bridgePath;
stub.loaded = true;
stub.exports = new Proxy({}, { get: (_, key) => (key === '__esModule' ? false : new Proxy(unavailable, { get: unavailable, apply: unavailable })) });
require.cache[workerData.bridgePath] = stub;
const { bundleWorkflowCode } = require(workerData.bundlerPath);
const quiet = { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} };
parentPort.on('message', ({ id, workflowsPath }) => {
  bundleWorkflowCode({ workflowsPath, logger: quiet }).then(
    (bundle) => parentPort.postMessage({ id, code: bundle.code }),
    (error) => parentPort.postMessage({
      id,
      error: { name: String(error && error.name), message: String(error && error.message), stack: String(error && error.stack) },
    }),
  );
});
`;

/** A bundle being built: its promise, and a way to abandon it. */
export interface BundleJob {
  readonly bundle: Promise<WorkflowBundle>;
  /** Rejects the promise now, if it has not settled; the thread finishes that bundle and drops it. Idempotent. */
  cancel(): void;
}

type ThreadMessage = { readonly id: number } & (
  | { readonly code: string }
  | { readonly error: { readonly name: string; readonly message: string; readonly stack: string } }
);

interface Job {
  resolve(bundle: WorkflowBundle): void;
  reject(error: Error): void;
}

/** The error the thread reported, as an Error of the same name and message (and the thread's stack). */
function rebuild(reported: { name: string; message: string; stack: string }): Error {
  const error = new Error(reported.message);
  error.name = reported.name;
  error.stack = reported.stack;
  return error;
}

/** The process's bundler thread and the bundles it owes; referenced (holding the process) only while it owes one. */
class BundlerThread {
  private readonly thread: Thread;
  private readonly jobs = new Map<number, Job>();
  private nextId = 1;
  /** Set when the thread failed or exited: the next bundle starts a new one. */
  dead = false;

  constructor() {
    const sdk = createRequire(createRequire(ownFile()).resolve('@temporalio/worker'));
    const workerData = {
      bundlerPath: sdk.resolve('./workflow/bundler.js'),
      bridgePath: sdk.resolve('@temporalio/core-bridge'),
    };
    // No execArgv of ours (a loader, --cpu-prof, --inspect): webpack needs none of them.
    this.thread = new Thread(THREAD_SOURCE, { eval: true, workerData, execArgv: [] });
    this.thread.unref();
    this.thread.on('message', (message: ThreadMessage) => {
      const job = this.take(message.id);
      if (!job) return;
      if ('code' in message) job.resolve({ code: message.code });
      else job.reject(rebuild(message.error));
    });
    this.thread.once('error', (error) => this.die(error));
    this.thread.once('exit', (code: number) =>
      this.die(new Error(`The workflow bundler's thread exited (code ${code}) before it sent the bundle`)),
    );
  }

  bundle(workflowsPath: string): BundleJob {
    const id = this.nextId++;
    const bundle = new Promise<WorkflowBundle>((resolve, reject) => {
      this.jobs.set(id, { resolve, reject });
    });
    bundle.catch(() => {});
    if (this.jobs.size === 1) this.thread.ref();
    this.thread.postMessage({ id, workflowsPath });
    return {
      bundle,
      cancel: () => this.take(id)?.reject(new Error('Workflow bundling abandoned: the worker was disposed')),
    };
  }

  private take(id: number): Job | undefined {
    const job = this.jobs.get(id);
    if (!job) return undefined;
    this.jobs.delete(id);
    if (this.jobs.size === 0) this.thread.unref();
    return job;
  }

  private die(error: Error): void {
    this.dead = true;
    for (const id of [...this.jobs.keys()]) this.take(id)?.reject(error);
  }
}

let shared: BundlerThread | undefined;

/**
 * Bundles `workflowsPath` as `bundleWorkflowCode({ workflowsPath })` does, in the process's bundler thread.
 * Rejects with the bundler's error (same name and message) when bundling fails, when the thread dies, or
 * when cancelled.
 */
export function bundleOffThread(workflowsPath: string): BundleJob {
  if (shared === undefined || shared.dead) shared = new BundlerThread();
  return shared.bundle(workflowsPath);
}
