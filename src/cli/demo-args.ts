/**
 * The demo's flags, help and banner (`temporal-supervisor demo`, docs/demo.md). Pure: nothing here starts
 * anything.
 */
import { parseArgs } from 'node:util';
import { closest } from './args.js';

export interface DemoOptions {
  /** An existing Temporal frontend (`host:port`); without it the demo starts a dev server of its own. */
  address?: string;
  /** @default 'default' */
  namespace?: string;
  /** The orders service's HTTP port; 0 picks a free one. @default 3000, or a free one if 3000 is taken */
  port?: number;
  /** The inspector's port; 0 picks a free one. @default 9233, or a free one if 9233 is taken */
  inspectorPort?: number;
  /** Play the tour, then stop and exit: 0 if every order was accounted for. @default false */
  tour?: boolean;
  /** How long each workflow sleeps on its durable timer. @default 3000 */
  packingMs?: number;
  /** Print the supervisor's own log lines (info and above) too. @default false */
  verbose?: boolean;
}

export const DEFAULT_DEMO_PORT = 3000;
export const DEFAULT_INSPECTOR_PORT = 9233;

export const DEMO_HELP = `Usage: temporal-supervisor demo [--tour] [--address host:port] [--port N] [--inspector-port N]

Starts a Temporal dev server (or uses --address), a sample orders service that embeds the supervisor (a worker
and a workflow creator, POST /orders), and the live inspector with buttons to kill, restart and cut off the
server. It prints where to look, says what happens to each order, and stops cleanly on Ctrl-C.

  --tour                 play a scripted lifecycle (about a minute), then exit: 0 if every order was
                         accounted for (started and completed, or rejected with TemporalUnavailableError)
  --address host:port    use this Temporal server instead of starting one (no kill/restart buttons)
  --namespace NAME       with --address (default: default)
  --port N               the orders service's HTTP port (default ${DEFAULT_DEMO_PORT}; 0: any free port)
  --inspector-port N     the inspector's port (default ${DEFAULT_INSPECTOR_PORT}; 0: any free port)
  --verbose              print the supervisor's own log lines too
  -h, --help             this text

The dev server is the \`temporal\` CLI: TEMPORAL_CLI, else \`temporal\` on PATH, else the cached build in
~/.cache/temporal-supervisor, else built once with \`go install\` (needs Go >= 1.23; a cold build takes a
few minutes, and the demo says so first). --address skips it; Ctrl-C stops it.
`;

/** The demo's flags, for `parseArgs`. */
const DEMO_FLAGS = {
  tour: { type: 'boolean' },
  address: { type: 'string' },
  namespace: { type: 'string' },
  port: { type: 'string' },
  'inspector-port': { type: 'string' },
  verbose: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;
const VALUES: Readonly<Record<string, string>> = {
  address: 'host:port',
  namespace: 'NAME',
  port: 'N',
  'inspector-port': 'N',
};

function port(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!/^\d+$/.test(value) || n > 65_535) {
    throw new Error(
      `Expected ${flag} to be a port number from 0 to 65535 (0: any free port), got '${value}'.`,
    );
  }
  return n;
}

/** Node's parser errors, reworded: the flag, the value when there is one, and a "did you mean". */
function reworded(error: unknown, argv: readonly string[]): Error {
  const message = error instanceof Error ? error.message : String(error);
  const code = (error as { code?: string }).code;
  const name = /'-{1,2}([^'\s<=]+)/.exec(message)?.[1] ?? '';
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
    const suggestion = closest(name, Object.keys(DEMO_FLAGS));
    return new Error(
      `Unknown flag --${name} for \`demo\`.${suggestion ? ` Did you mean --${suggestion}?` : ''}`,
    );
  }
  if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE' && name in VALUES) {
    const next = argv[argv.indexOf(`--${name}`) + 1];
    // `--port -1`: Node reads "-1" as a flag; it is a bad port.
    if (next !== undefined && (name === 'port' || name === 'inspector-port')) port(`--${name}`, next);
    if (next !== undefined) {
      return new Error(
        `--${name} needs a value, and ${JSON.stringify(next)} reads as a flag. A value that starts with "-" is written --${name}=VALUE.`,
      );
    }
    return new Error(`--${name} needs a value: --${name} ${VALUES[name]}.`);
  }
  if (code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') {
    const stray = /'([^']*)'/.exec(message)?.[1] ?? '';
    return new Error(`\`demo\` takes no arguments, only flags; got ${JSON.stringify(stray)}.`);
  }
  return new Error(message.split('\n', 1)[0]);
}

/** Parses the demo's flags. @throws Error naming the flag and the fix. */
export function parseDemoArgs(argv: readonly string[]): DemoOptions | 'help' {
  let values: ReturnType<
    typeof parseArgs<{ args: string[]; options: typeof DEMO_FLAGS; strict: true }>
  >['values'];
  try {
    ({ values } = parseArgs({ args: [...argv], strict: true, allowPositionals: false, options: DEMO_FLAGS }));
  } catch (error) {
    throw reworded(error, argv);
  }
  if (values.help) return 'help';
  if (values.namespace !== undefined && values.address === undefined) {
    throw new Error(
      '--namespace applies to a server given with --address; the demo’s own server has only "default".',
    );
  }
  const options: DemoOptions = { tour: values.tour === true, verbose: values.verbose === true };
  const servicePort = port('--port', values.port);
  const inspectorPort = port('--inspector-port', values['inspector-port']);
  if (servicePort !== undefined) options.port = servicePort;
  if (inspectorPort !== undefined) options.inspectorPort = inspectorPort;
  if (values.address !== undefined) options.address = values.address;
  if (values.namespace !== undefined) options.namespace = values.namespace;
  return options;
}

/** The lines that say where to look, once everything is up. */
export function banner(where: {
  inspector: string;
  service: string;
  temporal: string;
  proxy: string;
  tour: boolean;
  ownServer: boolean;
}): string {
  const curl = `curl -i -X POST ${where.service}/orders -H 'content-type: application/json' -d '{"orderId":"42"}'`;
  const lines = [
    '',
    '  temporal-supervisor demo: an orders service that embeds a supervisor (one worker, one workflow creator)',
    '',
    `  inspector        ${where.inspector}   <- open this: the statecharts live, a timeline, and buttons`,
    `  orders service   ${where.service}/orders   (POST to place an order, GET to list them)`,
    `  Temporal         ${where.temporal}`,
    `  network          the service reaches Temporal through a fault proxy on ${where.proxy}`,
    '',
  ];
  if (where.tour) {
    lines.push(
      '  The tour plays by itself (about a minute) and then exits; watch it in the inspector. Ctrl-C stops it.',
    );
  } else {
    lines.push(
      '  Place an order:',
      `    ${curl}`,
      where.ownServer
        ? '  Then click "Kill Temporal server" in the inspector and place another: it waits. Click "Restart" and it runs.'
        : '  Then click "Cut off the network" in the inspector and place another: it waits. "Restore" and it runs.',
      '  Or click "Play the tour". Press Ctrl-C to stop everything.',
    );
  }
  lines.push('', '');
  return lines.join('\n');
}
