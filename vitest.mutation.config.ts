import { defineConfig } from 'vitest/config';

/**
 * The test run Stryker uses for every mutant (`npm run mutation`, stryker.config.json): the unit and model
 * tests that exercise the mutated files, without the projects (Stryker's vitest runner runs one), and without
 * the unit files that spawn processes, read the repository or open real sockets (CLI, architecture, README,
 * benchmarks, the option property), which would only slow every mutant down, and core-logs, whose
 * process-global SDK Runtime cannot be shared by files that run in one module graph (`isolate: false`).
 * A 2.5 s test timeout: a mutant that hangs a test fails it, instead of costing Stryker's timeout and a
 * restarted runner.
 */
export default defineConfig({
  test: {
    include: ['test/unit/**/*.test.ts', 'test/model/**/*.test.ts'],
    exclude: [
      'test/unit/cli-args.test.ts',
      'test/unit/architecture.test.ts',
      'test/unit/readme.test.ts',
      'test/unit/bench.test.ts',
      'test/unit/demo-args.test.ts',
      'test/unit/core-logs.test.ts',
      'test/unit/properties.test.ts',
    ],
    testTimeout: 2_500,
    isolate: false,
    pool: 'threads',
  },
});
