/**
 * What each command accepts: the single source for parsing (`args.ts`) and for `--help` (`help.ts`), so
 * that the two cannot drift apart.
 */

export interface FlagSpec {
  /** Long name, without the dashes. */
  readonly name: string;
  readonly short?: string;
  readonly type: 'string' | 'boolean';
  /** Placeholder of the value in help (`HOST:PORT`). */
  readonly value?: string;
  /** The environment variable it overrides, if any. */
  readonly env?: string;
  /** The default, as shown in help. */
  readonly default?: string;
  /** Its value is a secret: never echoed, scrubbed from every line the commands print. */
  readonly secret?: boolean;
  readonly help: string;
}

export type CommandName = 'wait' | 'check' | 'diagram';

export interface CommandSpec {
  readonly name: CommandName | 'record';
  /** One line, for the command list. */
  readonly summary: string;
  readonly usage: string;
  /** Paragraphs shown under the usage line. */
  readonly description: readonly string[];
  readonly flags: readonly FlagSpec[];
  /** `[code, meaning]` pairs. */
  readonly exitCodes: readonly (readonly [number, string])[];
  readonly examples: readonly string[];
}

export const HELP_FLAG: FlagSpec = { name: 'help', short: 'h', type: 'boolean', help: 'Show this help.' };

/** How to reach Temporal: the `temporal` CLI's flags and environment variables. */
export const CONNECTION_FLAGS: readonly FlagSpec[] = [
  {
    name: 'address',
    type: 'string',
    value: 'HOST:PORT',
    env: 'TEMPORAL_ADDRESS',
    default: 'localhost:7233',
    help: 'Temporal frontend address.',
  },
  {
    name: 'namespace',
    short: 'n',
    type: 'string',
    value: 'NAME',
    env: 'TEMPORAL_NAMESPACE',
    default: 'default',
    help: 'Namespace that must exist.',
  },
  {
    name: 'api-key',
    type: 'string',
    value: 'KEY',
    env: 'TEMPORAL_API_KEY',
    secret: true,
    help: 'API key (Temporal Cloud); turns TLS on. Prefer the variable: a flag is visible in the process list.',
  },
  { name: 'tls', type: 'boolean', env: 'TEMPORAL_TLS', help: 'Connect with TLS (system roots by default).' },
  { name: 'no-tls', type: 'boolean', help: 'Connect without TLS, whatever the environment or profile says.' },
  {
    name: 'tls-cert-path',
    type: 'string',
    value: 'FILE',
    env: 'TEMPORAL_TLS_CLIENT_CERT_PATH',
    help: 'Client certificate (PEM) for mTLS; needs --tls-key-path.',
  },
  {
    name: 'tls-key-path',
    type: 'string',
    value: 'FILE',
    env: 'TEMPORAL_TLS_CLIENT_KEY_PATH',
    help: 'Client private key (PEM) for mTLS.',
  },
  {
    name: 'tls-ca-path',
    type: 'string',
    value: 'FILE',
    env: 'TEMPORAL_TLS_SERVER_CA_CERT_PATH',
    help: "CA certificate (PEM) to trust for the server's certificate.",
  },
  {
    name: 'tls-server-name',
    type: 'string',
    value: 'NAME',
    env: 'TEMPORAL_TLS_SERVER_NAME',
    help: 'Server name to verify the certificate against (SNI).',
  },
  {
    name: 'profile',
    type: 'string',
    value: 'NAME',
    env: 'TEMPORAL_PROFILE',
    default: 'default',
    help: 'Profile of the config file.',
  },
  {
    name: 'config-file',
    type: 'string',
    value: 'FILE',
    env: 'TEMPORAL_CONFIG_FILE',
    default: '~/.config/temporalio/temporal.toml',
    help: 'TOML config file of the `temporal` CLI.',
  },
];

const JSON_FLAG: FlagSpec = {
  name: 'json',
  type: 'boolean',
  help: 'Print the result as one JSON object on stdout.',
};

/** A flag taking a duration: `500ms`, `3s`, `2m`, `1h`, or a bare number of seconds. */
function durationFlag(name: string, short: string, fallback: string, help: string): FlagSpec {
  return {
    name,
    short,
    type: 'string',
    value: 'DURATION',
    default: fallback,
    help: `${help} (e.g. 500ms, 3s, 2m; a bare number is seconds)`,
  };
}

export const COMMANDS: Readonly<Record<CommandName, CommandSpec>> = {
  wait: {
    name: 'wait',
    summary: 'Wait until Temporal is reachable and the namespace exists.',
    usage: 'temporal-supervisor wait [flags]',
    description: [
      'Connects to the frontend and describes the namespace (DescribeNamespace), retrying with backoff until both succeed, `--timeout` passes, or a misconfiguration shows that waiting cannot help. Use it before starting a service (`temporal-supervisor wait && node server.js`) or as a Kubernetes init container.',
      'A namespace that does not exist yet is waited for (a setup job may be creating it). TLS mismatches, rejected credentials and unreadable configuration exit at once with code 3.',
      'Progress goes to stderr (one updating line on a terminal, a line per change otherwise); the verdict goes to stdout.',
    ],
    flags: [
      ...CONNECTION_FLAGS,
      durationFlag('timeout', 't', '60s', 'Give up after this long. 0 waits forever.'),
      durationFlag(
        'interval',
        'i',
        '1s',
        'Longest pause between attempts (backoff starts at 100ms and grows to it).',
      ),
      JSON_FLAG,
      { name: 'quiet', short: 'q', type: 'boolean', help: 'No progress on stderr; only the verdict.' },
      HELP_FLAG,
    ],
    exitCodes: [
      [0, 'ready: the frontend answers and the namespace exists'],
      [1, 'not ready before --timeout'],
      [2, 'bad command line (nothing was tried)'],
      [3, 'misconfiguration that waiting cannot fix (TLS, credentials, config or certificate files)'],
      [130, 'interrupted (SIGINT); 143 on SIGTERM'],
    ],
    examples: [
      'temporal-supervisor wait && node server.js',
      'temporal-supervisor wait --address temporal:7233 --namespace orders --timeout 2m',
      'TEMPORAL_ADDRESS=temporal:7233 temporal-supervisor wait --json',
    ],
  },
  check: {
    name: 'check',
    summary: 'One health check, for a Docker HEALTHCHECK or a Kubernetes exec probe.',
    usage: 'temporal-supervisor check [flags]',
    description: [
      'Connects once, describes the namespace, and prints exactly one line saying why it passed or failed, e.g. `ok: localhost:7233 namespace default serving (12 ms)`. Never takes much longer than `--timeout`.',
      'Exits 0 or 1 only, a bad command line included: Docker reserves exit code 2 of a health check.',
    ],
    flags: [
      ...CONNECTION_FLAGS,
      durationFlag('timeout', 't', '3s', 'Bound of the whole check.'),
      JSON_FLAG,
      HELP_FLAG,
    ],
    exitCodes: [
      [0, 'serving: the frontend answers and the namespace exists'],
      [1, 'not serving, misconfigured, or a bad command line (the line says which)'],
    ],
    examples: [
      'temporal-supervisor check',
      'HEALTHCHECK CMD ["temporal-supervisor", "check", "--timeout", "2s"]',
      'temporal-supervisor check --json',
    ],
  },
  diagram: {
    name: 'diagram',
    summary: "Print the supervisor's state machines as a Mermaid or Graphviz diagram.",
    usage: 'temporal-supervisor diagram [flags]',
    description: [
      'Prints a statechart of the library, generated from the machine definitions themselves (the same graphs as docs/machines.md and the inspector): `connection` (the supervisor), `worker` (one per configured worker), `creator` (one per workflow creator). Needs no Temporal and reads no configuration.',
      'With `--machine all`, the diagrams follow one another, each after a comment line naming it: Graphviz renders every graph of one file; for Mermaid, render them one at a time.',
    ],
    flags: [
      {
        name: 'format',
        short: 'f',
        type: 'string',
        value: 'FORMAT',
        default: 'mermaid',
        help: 'mermaid (stateDiagram-v2) or dot (Graphviz).',
      },
      {
        name: 'machine',
        short: 'm',
        type: 'string',
        value: 'NAME',
        default: 'connection',
        help: "connection, worker, creator, dispatcher (the outbox's) or all.",
      },
      HELP_FLAG,
    ],
    exitCodes: [
      [0, 'diagram printed'],
      [2, 'bad command line'],
    ],
    examples: [
      'temporal-supervisor diagram > connection.mmd',
      'temporal-supervisor diagram --machine worker --format dot | dot -Tsvg > worker.svg',
      'temporal-supervisor diagram --machine all --format dot | dot -Tsvg -O',
    ],
  },
};

export const COMMAND_NAMES = Object.keys(COMMANDS) as CommandName[];

/**
 * `record`: parsed by src/cli/record.ts itself (as `demo` is by its own module), from these flags; listed in
 * the top-level help after the others.
 */
export const RECORD_COMMAND: CommandSpec = {
  name: 'record',
  summary: "Record a running service's inspector into one self-contained HTML file.",
  usage: 'temporal-supervisor record --url URL [flags]',
  description: [
    "Connects to the live inspector at URL (the page's address, as `startInspector` printed it), records everything it streams, and writes the page with the recording inside it: open the file in any browser, offline, to replay the session (a slider moves through time). The file starts with everything the inspector still holds (its history window), then what happened while recording.",
    'Stops after `--duration`, on Ctrl-C (SIGINT) or SIGTERM, or when the inspector goes away, then writes the file. A stream the inspector closes (its streams last an hour) is reopened. The token is sent in a header, never written into the file.',
  ],
  flags: [
    {
      name: 'url',
      type: 'string',
      value: 'URL',
      help: 'The inspector, e.g. http://127.0.0.1:9233/ (a ?token= in it is used and removed).',
    },
    {
      name: 'token',
      type: 'string',
      value: 'TOKEN',
      env: 'TEMPORAL_SUPERVISOR_INSPECTOR_TOKEN',
      help: "The inspector's token, if it has one. Prefer the variable: a flag is visible in the process list.",
    },
    {
      name: 'out',
      short: 'o',
      type: 'string',
      value: 'FILE',
      default: 'inspector-recording-<time>.html',
      help: 'Where to write the recording.',
    },
    {
      name: 'duration',
      type: 'string',
      value: 'DURATION',
      help: 'Stop after this long (e.g. 10m); without it, record until stopped.',
    },
    HELP_FLAG,
  ],
  exitCodes: [
    [0, 'recording written'],
    [
      1,
      'could not record: the inspector did not answer, refused the token, or the file could not be written',
    ],
    [2, 'bad command line'],
  ],
  examples: [
    'TEMPORAL_SUPERVISOR_INSPECTOR_TOKEN=… temporal-supervisor record --url http://127.0.0.1:9233/ --duration 10m',
    'temporal-supervisor record --url http://127.0.0.1:9233/ -o outage.html   # Ctrl-C to stop and write',
  ],
};

/** Flags of the top level (no command). */
export const TOP_LEVEL_FLAGS: readonly FlagSpec[] = [
  HELP_FLAG,
  { name: 'version', short: 'v', type: 'boolean', help: 'Print the version.' },
];
