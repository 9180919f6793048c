/**
 * Command-line parsing and validation: pure functions of (argv, environment), so that every message a user
 * can get is unit-tested. Nothing here connects to anything.
 */
import { accessSync, constants, statSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { EnvConfigOptions, SupervisorOptions } from '../options/types.js';
import { EXIT } from './exit-codes.js';
import { COMMAND_NAMES, COMMANDS, type CommandName, type FlagSpec, TOP_LEVEL_FLAGS } from './spec.js';

/** A bad command line: the message names the flag and the fix. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
  /** The command it concerns, for `--help` hints and for the exit code. */
  readonly command: CommandName | undefined;

  constructor(message: string, command?: CommandName) {
    super(message);
    this.command = command;
  }

  /** `check` exits 1 on every failure: Docker reserves 2 for health checks. */
  get exitCode(): number {
    return this.command === 'check' ? EXIT.failed : EXIT.usage;
  }
}

/** The connection flags as given (all optional: the environment and the profile fill the rest). */
export interface ConnectionFlags {
  readonly address?: string;
  readonly namespace?: string;
  readonly apiKey?: string;
  /** `--tls` → true, `--no-tls` → false. */
  readonly tls?: boolean;
  readonly tlsCertPath?: string;
  readonly tlsKeyPath?: string;
  readonly tlsCaPath?: string;
  readonly tlsServerName?: string;
  readonly profile?: string;
  readonly configFile?: string;
}

export type DiagramFormat = 'mermaid' | 'dot';
export type DiagramMachine = 'connection' | 'worker' | 'creator' | 'dispatcher' | 'all';

export type Invocation =
  | { readonly command: 'help'; readonly topic: CommandName | undefined }
  | { readonly command: 'version' }
  | {
      readonly command: 'wait';
      readonly connection: ConnectionFlags;
      /** 0: no limit. */
      readonly timeoutMs: number;
      readonly intervalMs: number;
      readonly json: boolean;
      readonly quiet: boolean;
    }
  | {
      readonly command: 'check';
      readonly connection: ConnectionFlags;
      readonly timeoutMs: number;
      readonly json: boolean;
    }
  | { readonly command: 'diagram'; readonly format: DiagramFormat; readonly machine: DiagramMachine };

const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/;
const UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 };
const ADDRESS = /^(\[[0-9a-fA-F:.]+\]|[^\s:/[\]]+):(\d{1,5})$/;
/**
 * The longest duration a flag accepts: 2^31-1 ms (about 596 h, 24.8 days), the longest delay Node's timers
 * take. Node fires a longer one after 1 ms, so `--timeout 600h` would end at once: it is refused instead.
 * Nothing the commands bound needs more (`wait --timeout 0` waits without limit).
 */
export const MAX_DURATION_MS = 2_147_483_647;

/**
 * A duration flag's value in milliseconds: `500ms`, `3s`, `1.5s`, `2m`, `1h`, or a bare number of seconds;
 * at least `min` and at most {@link MAX_DURATION_MS}.
 * @throws {UsageError} naming the flag, the value and an example.
 */
export function parseDuration(
  flag: string,
  text: string,
  { min = 1, command }: { min?: number; command?: CommandName } = {},
): number {
  const trimmed = text.trim();
  const example = ` Pass e.g. --${flag} 3s.`;
  if (/^-\s*\d/.test(trimmed)) {
    throw new UsageError(
      `--${flag} must be ${min === 0 ? '0 (no limit) or ' : ''}a positive duration; got ${JSON.stringify(text)}.${example}`,
      command,
    );
  }
  const match = DURATION.exec(trimmed);
  const ms = match ? Math.round(Number(match[1]) * (UNIT_MS[match[2] ?? 's'] ?? 1_000)) : Number.NaN;
  if (!Number.isFinite(ms)) {
    throw new UsageError(
      `--${flag} expects a duration such as 500ms, 3s, 2m or 1h (a bare number is seconds); got ${JSON.stringify(text)}.`,
      command,
    );
  }
  if (ms < min) {
    throw new UsageError(
      `--${flag} must be at least ${min === 0 ? '0' : `${min}ms`}; got ${JSON.stringify(text)}.${min > 0 ? example : ''}`,
      command,
    );
  }
  if (ms > MAX_DURATION_MS) {
    throw new UsageError(
      `--${flag} must be at most 596h (${MAX_DURATION_MS} ms, the longest timer Node can set); got ${JSON.stringify(text)}.${
        min === 0 ? ` For no limit, pass --${flag} 0.` : example
      }`,
      command,
    );
  }
  return ms;
}

/** Edit distance with adjacent transpositions (optimal string alignment), for "did you mean" hints. */
function distance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        best = Math.min(best, d[i - 2]![j - 2]! + 1);
      }
      d[i]![j] = best;
    }
  }
  return d[a.length]![b.length]!;
}

/** The closest candidate, when it is close enough to be a typo. */
export function closest(input: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const candidate of candidates) {
    const d = candidate.startsWith(input) && input.length >= 3 ? 0 : distance(input, candidate);
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return bestDistance <= Math.max(1, Math.floor((best?.length ?? 0) / 3)) ? best : undefined;
}

type ParsedValues = Record<string, string | boolean | undefined>;

function parseFlags(
  args: readonly string[],
  flags: readonly FlagSpec[],
  command: CommandName | undefined,
): { values: ParsedValues; positionals: string[] } {
  const options = Object.fromEntries(
    flags.map((flag) => [flag.name, { type: flag.type, ...(flag.short ? { short: flag.short } : {}) }]),
  );
  const helpHint = command
    ? `Run \`temporal-supervisor ${command} --help\` for its flags.`
    : 'Run `temporal-supervisor --help`.';
  try {
    const { values, positionals } = parseArgs({
      args: [...args],
      options,
      strict: true,
      allowPositionals: true,
    });
    return { values: values as ParsedValues, positionals };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const code = (error as { code?: string }).code;
    if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
      const given = /'(-{1,2}[^'\s]+)'/.exec(message)?.[1] ?? 'that flag';
      const name = given.replace(/^-+/, '').replace(/=.*$/, '');
      const suggestion = closest(
        name,
        flags.map((f) => f.name),
      );
      throw new UsageError(
        `Unknown flag ${given}${command ? ` for \`${command}\`` : ''}.${
          suggestion ? ` Did you mean --${suggestion}?` : ''
        } ${helpHint}`,
        command,
      );
    }
    if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
      const flag = flags.find((f) => message.includes(`--${f.name}`));
      if (flag?.type === 'string') throw missingValue(flag, args, command, helpHint);
      if (flag) {
        throw new UsageError(
          `--${flag.name} is a switch and takes no value: write just --${flag.name}.`,
          command,
        );
      }
    }
    throw new UsageError(`${message.split('\n', 1)[0]} ${helpHint}`, command);
  }
}

/**
 * A string flag followed by nothing, or by something that starts with `-` (Node's parser reads that as the
 * next flag): a negative duration is refused as such; other values are named, unless they are secrets.
 */
function missingValue(
  flag: FlagSpec,
  args: readonly string[],
  command: CommandName | undefined,
  helpHint: string,
): UsageError {
  const at = args.findIndex((arg) => arg === `--${flag.name}` || (flag.short && arg === `-${flag.short}`));
  const next = at === -1 ? undefined : args[at + 1];
  if (next?.startsWith('-')) {
    if (flag.value === 'DURATION' && /^-\d/.test(next)) {
      // Throws the "must be positive" error for this value.
      parseDuration(flag.name, next, { min: flag.name === 'timeout' && command === 'wait' ? 0 : 1, command });
    }
    const shown = flag.secret ? 'a value starting with "-" (not shown)' : JSON.stringify(next);
    return new UsageError(
      `--${flag.name} needs a value, and ${shown} reads as a flag. A value that starts with "-" is written --${flag.name}=VALUE. ${helpHint}`,
      command,
    );
  }
  return new UsageError(
    `--${flag.name} needs a value: --${flag.name} ${flag.value ?? 'VALUE'}${
      flag.default ? ` (default ${flag.default})` : ''
    }. ${helpHint}`,
    command,
  );
}

function nonEmpty(
  values: ParsedValues,
  name: string,
  command: CommandName,
  example: string,
): string | undefined {
  const value = values[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value.trim() === '') {
    throw new UsageError(`--${name} must not be empty. Pass e.g. --${name} ${example}.`, command);
  }
  return value;
}

function readableFile(values: ParsedValues, name: string, command: CommandName): string | undefined {
  const path = nonEmpty(values, name, command, '/etc/temporal/tls/client.pem');
  if (path === undefined) return undefined;
  let problem: string | undefined;
  try {
    if (!statSync(path).isFile()) problem = 'is not a file';
    else accessSync(path, constants.R_OK);
  } catch (error) {
    problem ??= (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'does not exist' : 'cannot be read';
  }
  if (problem) {
    throw new UsageError(
      `--${name} ${JSON.stringify(path)} ${problem}. Give the path of a readable PEM file.`,
      command,
    );
  }
  return path;
}

function connectionFlags(values: ParsedValues, command: CommandName): ConnectionFlags {
  const address = nonEmpty(values, 'address', command, 'localhost:7233');
  if (address !== undefined) {
    const port = Number(ADDRESS.exec(address)?.[2] ?? Number.NaN);
    if (!(port >= 1 && port <= 65_535)) {
      throw new UsageError(
        `--address expects HOST:PORT with a port from 1 to 65535; got ${JSON.stringify(address)}. Pass e.g. --address temporal:7233 (no scheme, no path).`,
        command,
      );
    }
  }
  if (values.tls === true && values['no-tls'] === true) {
    throw new UsageError('--tls and --no-tls contradict each other: pass one of them.', command);
  }
  const apiKey = values['api-key'];
  if (apiKey !== undefined && (typeof apiKey !== 'string' || apiKey.length < 4)) {
    // Never echo the value: it is a secret, even when it is wrong.
    throw new UsageError(
      '--api-key must be at least 4 characters (value not shown). Better: set TEMPORAL_API_KEY instead.',
      command,
    );
  }
  const flags: {
    -readonly [K in keyof ConnectionFlags]: ConnectionFlags[K];
  } = {};
  if (address !== undefined) flags.address = address;
  const namespace = nonEmpty(values, 'namespace', command, 'default');
  if (namespace !== undefined) flags.namespace = namespace;
  if (typeof apiKey === 'string') flags.apiKey = apiKey;
  if (values.tls === true) flags.tls = true;
  if (values['no-tls'] === true) flags.tls = false;
  const cert = readableFile(values, 'tls-cert-path', command);
  if (cert !== undefined) flags.tlsCertPath = cert;
  const key = readableFile(values, 'tls-key-path', command);
  if (key !== undefined) flags.tlsKeyPath = key;
  const ca = readableFile(values, 'tls-ca-path', command);
  if (ca !== undefined) flags.tlsCaPath = ca;
  const serverName = nonEmpty(values, 'tls-server-name', command, 'temporal.example.com');
  if (serverName !== undefined) flags.tlsServerName = serverName;
  const profile = nonEmpty(values, 'profile', command, 'default');
  if (profile !== undefined) flags.profile = profile;
  const configFile = readableFile(values, 'config-file', command);
  if (configFile !== undefined) flags.configFile = configFile;
  return flags;
}

function oneOf<T extends string>(
  values: ParsedValues,
  name: string,
  allowed: readonly T[],
  fallback: T,
  command: CommandName,
): T {
  const value = values[name];
  if (value === undefined) return fallback;
  if (typeof value === 'string' && (allowed as readonly string[]).includes(value)) return value as T;
  const suggestion = typeof value === 'string' ? closest(value, allowed) : undefined;
  throw new UsageError(
    `--${name} must be one of ${allowed.join(', ')}; got ${JSON.stringify(value)}.${
      suggestion ? ` Did you mean --${name} ${suggestion}?` : ''
    }`,
    command,
  );
}

/**
 * Reads the command line (without `node` and the script).
 * @throws {UsageError} for anything it cannot run.
 */
export function parseCommandLine(argv: readonly string[]): Invocation {
  const [first, ...rest] = argv;
  if (first === undefined) {
    throw new UsageError(
      `Missing command: one of ${COMMAND_NAMES.join(', ')}. Run \`temporal-supervisor --help\`.`,
    );
  }
  if (first === 'help') {
    const [topic] = rest;
    if (topic === undefined) return { command: 'help', topic: undefined };
    if ((COMMAND_NAMES as string[]).includes(topic)) return { command: 'help', topic: topic as CommandName };
    throw unknownCommand(topic);
  }
  if (first.startsWith('-')) {
    const { values, positionals } = parseFlags(argv, TOP_LEVEL_FLAGS, undefined);
    if (values.help) return { command: 'help', topic: undefined };
    if (values.version) return { command: 'version' };
    throw new UsageError(
      `Missing command before ${positionals[0] ?? 'the flags'}: one of ${COMMAND_NAMES.join(', ')}. Run \`temporal-supervisor --help\`.`,
    );
  }
  if (!(COMMAND_NAMES as string[]).includes(first)) throw unknownCommand(first);
  const command = first as CommandName;
  const spec = COMMANDS[command];
  const { values, positionals } = parseFlags(rest, spec.flags, command);
  if (values.help) return { command: 'help', topic: command };
  if (positionals.length > 0) throw strayArgument(command, rest, spec.flags, positionals[0]!);
  switch (command) {
    case 'wait':
      return {
        command,
        connection: connectionFlags(values, command),
        timeoutMs: parseDuration('timeout', String(values.timeout ?? '60s'), { min: 0, command }),
        intervalMs: parseDuration('interval', String(values.interval ?? '1s'), { min: 100, command }),
        json: values.json === true,
        quiet: values.quiet === true,
      };
    case 'check':
      return {
        command,
        connection: connectionFlags(values, command),
        timeoutMs: parseDuration('timeout', String(values.timeout ?? '3s'), { min: 100, command }),
        json: values.json === true,
      };
    case 'diagram':
      return {
        command,
        format: oneOf(values, 'format', ['mermaid', 'dot'], 'mermaid', command),
        machine: oneOf(
          values,
          'machine',
          ['connection', 'worker', 'creator', 'dispatcher', 'all'],
          'connection',
          command,
        ),
      };
  }
}

/**
 * An argument that is not a flag. After `--flag=` with nothing (a space typed after `=`), it is the value
 * meant for that flag: said so, and never shown when the flag is a secret.
 */
function strayArgument(
  command: CommandName,
  args: readonly string[],
  flags: readonly FlagSpec[],
  stray: string,
): UsageError {
  const hint = `Run \`temporal-supervisor ${command} --help\`.`;
  const before = args[args.indexOf(stray) - 1];
  const flag = flags.find((f) => before === `--${f.name}=`);
  if (flag) {
    const shown = flag.secret ? 'the next argument (not shown: it may be a secret)' : JSON.stringify(stray);
    return new UsageError(
      `--${flag.name}= is empty and is followed by ${shown}: a space after "=" splits the value off. Write --${flag.name}=${flag.value ?? 'VALUE'} with no space.${
        flag.secret && flag.env ? ` Better: set ${flag.env} instead.` : ''
      } ${hint}`,
      command,
    );
  }
  return new UsageError(
    `\`${command}\` takes no arguments, only flags; got ${JSON.stringify(stray)}. ${hint}`,
    command,
  );
}

/**
 * The values of secret flags in a command line, as written (`--api-key KEY`, `--api-key=KEY`, and the
 * argument after an empty `--api-key=`), whether or not the line parses: for the redactor, before any
 * message can quote them.
 */
export function secretArguments(argv: readonly string[]): string[] {
  const secretFlags = Object.values(COMMANDS)
    .flatMap((spec) => spec.flags)
    .filter((flag) => flag.secret);
  const secrets: string[] = [];
  for (const [i, arg] of argv.entries()) {
    for (const flag of secretFlags) {
      const names = [`--${flag.name}`, ...(flag.short ? [`-${flag.short}`] : [])];
      if (names.includes(arg) || arg === `--${flag.name}=`) {
        const next = argv[i + 1];
        if (next !== undefined) secrets.push(next);
      } else if (arg.startsWith(`--${flag.name}=`)) {
        // Everything after the first "=": a key may contain "=" itself (base64 padding).
        secrets.push(arg.slice(flag.name.length + 3));
      }
    }
  }
  return secrets;
}

function unknownCommand(name: string): UsageError {
  const suggestion = closest(name, COMMAND_NAMES);
  return new UsageError(
    `Unknown command ${JSON.stringify(name)}.${suggestion ? ` Did you mean \`${suggestion}\`?` : ''} Commands: ${COMMAND_NAMES.join(', ')}. Run \`temporal-supervisor --help\`.`,
  );
}

/** Environment variables each connection flag overrides (the `temporal` CLI's names). */
const FLAG_ENV: readonly (readonly [keyof ConnectionFlags, string, string?])[] = [
  ['address', 'TEMPORAL_ADDRESS'],
  ['namespace', 'TEMPORAL_NAMESPACE'],
  ['apiKey', 'TEMPORAL_API_KEY'],
  ['tlsCertPath', 'TEMPORAL_TLS_CLIENT_CERT_PATH', 'TEMPORAL_TLS_CLIENT_CERT_DATA'],
  ['tlsKeyPath', 'TEMPORAL_TLS_CLIENT_KEY_PATH', 'TEMPORAL_TLS_CLIENT_KEY_DATA'],
  ['tlsCaPath', 'TEMPORAL_TLS_SERVER_CA_CERT_PATH', 'TEMPORAL_TLS_SERVER_CA_CERT_DATA'],
  ['tlsServerName', 'TEMPORAL_TLS_SERVER_NAME'],
];

/**
 * The library options for these flags: the flags are laid over the environment, and the library's own
 * envconfig step (`@temporalio/envconfig`, the `temporal` CLI's conventions) merges the result with the
 * config file's profile. So a flag beats its variable, and a variable beats the profile.
 */
export function connectionOptions(
  flags: ConnectionFlags,
  env: Readonly<Record<string, string | undefined>>,
): Pick<SupervisorOptions, 'envConfig' | 'tls'> {
  const merged: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) if (value !== undefined) merged[name] = value;
  for (const [flag, variable, dataVariable] of FLAG_ENV) {
    const value = flags[flag];
    if (typeof value !== 'string') continue;
    merged[variable] = value;
    // A path given on the command line replaces inline data from the environment (envconfig refuses both).
    if (dataVariable) delete merged[dataVariable];
  }
  if (flags.tls !== undefined) merged.TEMPORAL_TLS = String(flags.tls);
  const envConfig: EnvConfigOptions = { env: merged };
  if (flags.profile !== undefined) envConfig.profile = flags.profile;
  if (flags.configFile !== undefined) envConfig.configFile = flags.configFile;
  // `--no-tls` must also win over the SDK's "an API key implies TLS".
  return { envConfig, ...(flags.tls === false ? { tls: false } : {}) };
}

/** Warnings about the command line that do not stop it (printed on stderr). */
export function warningsFor(invocation: Invocation): string[] {
  if ((invocation.command === 'wait' || invocation.command === 'check') && invocation.connection.apiKey) {
    return [
      'warning: --api-key is visible to other users in the process list and shell history; set TEMPORAL_API_KEY instead.',
    ];
  }
  return [];
}
