import { defineConfig } from 'vitest/config';

/**
 * The test run Stryker uses for every mutant (`npm run mutation`, stryker.config.json): the unit tests whose
 * expectations are independent of the mutated code (docs/testing.md, "Independent oracles") and the unit
 * tables of the pure pieces, without vitest's projects (Stryker's runner runs one).
 *
 * Left out: the generated model paths (test/model), which take their expected states from the machine under
 * test and so move with a mutant of it, and cost ~80 whole supervisors per mutant; the files that spawn
 * processes, read the repository or open real sockets (CLI, architecture, README, benchmarks, the property
 * tests); core-logs, whose process-global SDK Runtime cannot be shared by test files; and the observability tools (inspector, health, metrics, transitions, graphs), which
 * exercise none of the mutated files beyond what the tables do.
 * A 2.5 s test timeout: a mutant that hangs a test fails it, instead of costing Stryker's timeout and a
 * restarted runner.
 */
export default defineConfig({
  test: {
    include: [
      'test/unit/states-table.test.ts',
      'test/unit/states-table-children.test.ts',
      'test/unit/states-table-machines.test.ts',
      'test/unit/states-table-reported.test.ts',
      'test/unit/machine-defaults.test.ts',
      'test/unit/option-grammar.test.ts',
      'test/unit/timers.test.ts',
      'test/unit/request-gate-table.test.ts',
      'test/unit/mutation-gaps.test.ts',
      'test/unit/backoff.test.ts',
      'test/unit/call-failure.test.ts',
      'test/unit/errors.test.ts',
      'test/unit/wait-queue.test.ts',
      'test/unit/wait-queue-property.test.ts',
      'test/unit/request-in-flight.test.ts',
      'test/unit/request-context.test.ts',
      'test/unit/probe-answer.test.ts',
      'test/unit/states-table-blackhole.test.ts',
      // When a worker is replaced around an outage (issue 17 item 6: docs/states.md, running.away).
      'test/unit/parking.test.ts',
      'test/unit/states-table-parking.test.ts',
      // The dispatcher child of the connection statechart (written from docs/outbox.md; a real PGlite).
      'test/unit/outbox-child.test.ts',
      // Each bad input and hostile callback of issue 13, and the significant children's escalation policies.
      'test/unit/hostile.test.ts',
      'test/unit/escalation.test.ts',
      'test/unit/options.test.ts',
      'test/unit/creator.test.ts',
    ],
    testTimeout: 2_500,
    // Isolated (vitest's default): the statecharts are built when their module loads, so most of their
    // mutants are static, and only a fresh import per run activates them.
    isolate: true,
    // One file at a time in one worker: each Stryker runner is already a process of its own, and a mutant
    // stops at its first failing test (bail) instead of while sibling files are still importing.
    fileParallelism: false,
    maxWorkers: 1,
  },
});
