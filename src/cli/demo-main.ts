/**
 * The demo on its own (`npm run demo -- [flags]`), until the `temporal-supervisor demo` command exists.
 * See docs/demo.md, or run it with `--help`.
 */
import { DEMO_HELP, type DemoOptions, parseDemoArgs, runDemo } from './demo.js';

// Node's deprecation warnings (grpc-js sets an IP address as TLS server name) would interleave the narration.
process.noDeprecation = true;

let parsed: DemoOptions | 'help';
try {
  parsed = parseDemoArgs(process.argv.slice(2));
} catch (error) {
  process.stderr.write(`error: ${(error as Error).message}\nRun with --help for the flags.\n`);
  process.exit(2);
}
if (parsed === 'help') {
  process.stdout.write(DEMO_HELP);
  process.exit(0);
}
const code = await runDemo(parsed);
// Exit now rather than when the last gRPC handle lets go: everything the demo started is stopped.
process.stdout.write('', () => process.exit(code));
