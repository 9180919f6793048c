#!/usr/bin/env node
/**
 * The `temporal-supervisor` command (`wait`, `check`, `diagram`). See docs/cli.md, or run it with `--help`.
 */
// Node's deprecation warnings (grpc-js sets an IP address as TLS server name) would add lines to the one
// line that `check` promises.
process.noDeprecation = true;

import type { StopSignal } from './io.js';
import { run } from './run.js';

const code = await run(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  onSignal(handler) {
    const signals: StopSignal[] = ['SIGINT', 'SIGTERM'];
    const listeners = signals.map((signal) => [signal, () => handler(signal)] as const);
    for (const [signal, listener] of listeners) process.on(signal, listener);
    return () => {
      for (const [signal, listener] of listeners) process.off(signal, listener);
    };
  },
});
// Exit now rather than when the last gRPC handle lets go: the verdict is printed, nothing else matters.
// Writes to pipes and files are synchronous on POSIX; the callback covers the other cases.
process.stdout.write('', () => process.exit(code));
