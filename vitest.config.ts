import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  // The examples import the package by its name, as a service would; here that name is the source (as in
  // tsconfig.json's `paths`, which tsx follows when an example runs on its own).
  resolve: {
    alias: [
      {
        find: /^temporal-supervisor$/,
        replacement: fileURLToPath(new URL('./src/index.ts', import.meta.url)),
      },
      {
        find: /^temporal-supervisor\/outbox$/,
        replacement: fileURLToPath(new URL('./src/outbox/index.ts', import.meta.url)),
      },
    ],
  },
  test: {
    // Five projects: `unit` is pure and fast (fakes, simulated clock); `integration` runs against a real
    // Temporal dev server started by the harness in test/harness, so its files run one at a time: they
    // kill and restart servers, and timing figures mean nothing on two cores shared by parallel servers;
    // `browser` drives the inspector page in headless Chromium, after the others; `chaos` (test/chaos) breaks
    // the server and the network under a running service and checks the invariants of docs/reliability.md,
    // one file at a time; `cluster` (test/cluster) runs a production-shaped cluster, one file at a time, last.
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts', 'test/model/**/*.test.ts'],
          testTimeout: 20_000,
          sequence: { groupOrder: 0 },
        },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts', 'test/harness/**/*.test.ts'],
          testTimeout: 180_000,
          hookTimeout: 180_000,
          fileParallelism: false,
          maxWorkers: 1,
          sequence: { groupOrder: 1 },
          globalSetup: ['test/harness/global-setup.ts'],
        },
      },
      {
        extends: true,
        test: {
          // Headless Chromium (Debian's package, driven by playwright-core) against a real dev server: after
          // the integration project, one file at a time.
          name: 'browser',
          include: ['test/browser/**/*.test.ts'],
          testTimeout: 240_000,
          hookTimeout: 180_000,
          fileParallelism: false,
          maxWorkers: 1,
          sequence: { groupOrder: 2 },
          globalSetup: ['test/browser/global-setup.ts'],
        },
      },
      {
        extends: true,
        test: {
          name: 'chaos',
          include: ['test/chaos/**/*.test.ts'],
          // A scenario's faults, then up to 180 s of drain (ChaosRun.finish) and 30 s for stop().
          testTimeout: 360_000,
          hookTimeout: 180_000,
          fileParallelism: false,
          maxWorkers: 1,
          sequence: { groupOrder: 3 },
          globalSetup: ['test/harness/global-setup.ts'],
        },
      },
      {
        extends: true,
        test: {
          // A production-shaped cluster (five temporal-server processes on PostgreSQL, a balancer in front of
          // two frontends; src/testing/cluster.ts): one file at a time, after chaos.
          name: 'cluster',
          include: ['test/cluster/**/*.test.ts'],
          testTimeout: 240_000,
          hookTimeout: 240_000,
          fileParallelism: false,
          maxWorkers: 1,
          sequence: { groupOrder: 4 },
          globalSetup: ['test/cluster/global-setup.ts'],
        },
      },
    ],
  },
});
