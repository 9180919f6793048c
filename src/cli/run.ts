/** Dispatches a command line to its command; returns the exit code. Never calls `process.exit`. */
import { readFileSync } from 'node:fs';
import { type Invocation, parseCommandLine, secretArguments, UsageError, warningsFor } from './args.js';
import { EXIT } from './exit-codes.js';
import { helpText } from './help.js';
import { type CliIo, environmentSecrets, errorLine, Output } from './io.js';

/** The package's version, from the package.json above this file (in `src/cli/` or `dist/src/cli/`). */
export function packageVersion(): string {
  for (let dir = new URL('./', import.meta.url); dir.pathname !== '/'; dir = new URL('../', dir)) {
    try {
      const pkg = JSON.parse(readFileSync(new URL('package.json', dir), 'utf8')) as {
        name?: string;
        version?: string;
      };
      if (pkg.name === 'temporal-supervisor' && pkg.version) return pkg.version;
    } catch {
      // Not here: look one level up.
    }
  }
  return 'unknown';
}

/** `--json` anywhere before a `--`. */
function wantsJson(argv: readonly string[]): boolean {
  const end = argv.indexOf('--');
  return (end === -1 ? argv : argv.slice(0, end)).some(
    (arg) => arg === '--json' || arg.startsWith('--json='),
  );
}

/** The JSON verdict of a bad command line: the shape of `wait`'s and `check`'s, with `status: "usage"`. */
export function usageResult(error: UsageError): Record<string, unknown> {
  return {
    status: 'usage',
    ok: false,
    ...(error.command ? { command: error.command } : {}),
    failure: { kind: 'permanent', code: 'USAGE', name: error.name, message: error.message },
  };
}

export async function run(argv: readonly string[], io: CliIo): Promise<number> {
  if (argv[0] === 'demo' || (argv[0] === 'help' && argv[1] === 'demo')) return runDemoCommand(argv, io);
  if (argv[0] === 'record' || (argv[0] === 'help' && argv[1] === 'record')) return runRecordCommand(argv, io);
  const output = new Output(io);
  output.addSecrets(environmentSecrets(io.env));
  let invocation: Invocation;
  try {
    invocation = parseCommandLine(argv);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    // The messages never quote a secret flag's value; scrub them anyway, like everything else.
    output.addSecrets(secretArguments(argv));
    output.err(`${error.command === 'check' ? 'unavailable: usage: ' : 'error: '}${error.message}`);
    // A script that asked for JSON gets JSON, even when the command line is wrong.
    if (wantsJson(argv)) output.json(usageResult(error));
    return error.exitCode;
  }
  if (invocation.command === 'wait' || invocation.command === 'check') {
    output.addSecrets([invocation.connection.apiKey]);
  }
  for (const warning of warningsFor(invocation)) output.err(warning);
  try {
    switch (invocation.command) {
      case 'help':
        io.stdout.write(helpText(invocation.topic, packageVersion()));
        return EXIT.ok;
      case 'version':
        output.out(packageVersion());
        return EXIT.ok;
      case 'check': {
        const { runCheck } = await import('./check.js');
        return await runCheck(invocation, io.env, output);
      }
      case 'wait': {
        const { runWait } = await import('./wait.js');
        return await runWait(invocation, io, output);
      }
      case 'diagram': {
        const { runDiagram } = await import('./diagram.js');
        return runDiagram(invocation, output);
      }
    }
  } catch (error) {
    // A bug, not an outcome: say so on one line, and fail the way the command fails.
    output.err(`error: unexpected failure of \`${invocation.command}\`: ${errorLine(error)}`);
    return EXIT.failed;
  }
}

/**
 * `demo`: the runnable demo (docs/demo.md). It has its own flags (it starts servers rather than reading
 * connection settings), so it is parsed by the demo itself.
 */
async function runDemoCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const { DEMO_HELP, parseDemoArgs, runDemo } = await import('./demo.js');
  if (argv[0] === 'help') {
    io.stdout.write(DEMO_HELP);
    return EXIT.ok;
  }
  let options: ReturnType<typeof parseDemoArgs>;
  try {
    options = parseDemoArgs(argv.slice(1));
  } catch (error) {
    io.stderr.write(`error: ${errorLine(error)}\nRun \`temporal-supervisor demo --help\` for the flags.\n`);
    return EXIT.usage;
  }
  if (options === 'help') {
    io.stdout.write(DEMO_HELP);
    return EXIT.ok;
  }
  return runDemo(options, { stdout: io.stdout, stderr: io.stderr, onSignal: io.onSignal });
}

/** `record`: parsed by its own module from its spec (src/cli/spec.ts), like `demo`. */
async function runRecordCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const [{ parseRecordArgs, runRecord }, { commandHelp }, { RECORD_COMMAND }] = await Promise.all([
    import('./record.js'),
    import('./help.js'),
    import('./spec.js'),
  ]);
  let options: ReturnType<typeof parseRecordArgs>;
  try {
    options = argv[0] === 'help' ? 'help' : parseRecordArgs(argv.slice(1), io.env);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    io.stderr.write(`error: ${error.message}\n`);
    return error.exitCode;
  }
  if (options === 'help') {
    io.stdout.write(commandHelp(RECORD_COMMAND));
    return EXIT.ok;
  }
  return runRecord(options, io);
}
