/**
 * The command line's parsing and validation (pure), and `run()` with fake streams for everything that ends
 * before any connection is made: help, usage errors, configuration errors, secrets kept out of the output.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { dispatcherMachine } from '../../machines/dispatcher.machine.js';
import { connectionMachine, creatorMachine, workerMachine } from '../../machines/index.js';
import {
  closest,
  connectionOptions,
  type Invocation,
  parseCommandLine,
  parseDuration,
  UsageError,
} from '../../src/cli/args.js';
import { diagramText } from '../../src/cli/diagram.js';
import { EXIT } from '../../src/cli/exit-codes.js';
import { helpText } from '../../src/cli/help.js';
import type { CliIo } from '../../src/cli/io.js';
import { packageVersion, run } from '../../src/cli/run.js';
import { COMMAND_NAMES, COMMANDS } from '../../src/cli/spec.js';
import { machineGraph, toDot, toMermaid } from '../../src/machine-graph.js';
import { resolveOptions } from '../../src/options/index.js';

const CERT = fileURLToPath(new URL('../fixtures/tls/test-only-cert.pem', import.meta.url));
const KEY = fileURLToPath(new URL('../fixtures/tls/test-only-key.pem', import.meta.url));
/** An environment with no config file, so that the machine's own cannot leak in. */
const NO_FILE = { TEMPORAL_CONFIG_FILE: '/nonexistent/temporal.toml' };

function usageError(argv: string[]): UsageError {
  try {
    parseCommandLine(argv);
  } catch (error) {
    if (error instanceof UsageError) return error;
    throw error;
  }
  throw new Error(`accepted: ${argv.join(' ')}`);
}

async function runWith(argv: string[], env: Record<string, string> = NO_FILE) {
  let stdout = '';
  let stderr = '';
  const io: CliIo = {
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
    env,
    onSignal: () => () => {},
  };
  const code = await run(argv, io);
  return { code, stdout, stderr };
}

describe('parseCommandLine', () => {
  it('gives wait and check their defaults', () => {
    expect(parseCommandLine(['wait'])).toEqual({
      command: 'wait',
      connection: {},
      timeoutMs: 60_000,
      intervalMs: 1_000,
      json: false,
      quiet: false,
    });
    expect(parseCommandLine(['check'])).toEqual({
      command: 'check',
      connection: {},
      timeoutMs: 3_000,
      json: false,
    });
  });

  it('reads every connection flag', () => {
    const invocation = parseCommandLine([
      'check',
      '--address',
      'temporal.internal:7233',
      '-n',
      'orders',
      '--api-key=abcd1234',
      '--tls',
      '--tls-cert-path',
      CERT,
      '--tls-key-path',
      KEY,
      '--tls-ca-path',
      CERT,
      '--tls-server-name',
      'temporal.example.com',
      '--profile',
      'prod',
      '--timeout',
      '1.5s',
      '--json',
    ]);
    expect(invocation).toEqual({
      command: 'check',
      connection: {
        address: 'temporal.internal:7233',
        namespace: 'orders',
        apiKey: 'abcd1234',
        tls: true,
        tlsCertPath: CERT,
        tlsKeyPath: KEY,
        tlsCaPath: CERT,
        tlsServerName: 'temporal.example.com',
        profile: 'prod',
      },
      timeoutMs: 1_500,
      json: true,
    });
  });

  it('accepts IPv6 addresses and --no-tls', () => {
    const invocation = parseCommandLine(['wait', '--address', '[::1]:7233', '--no-tls', '-q']) as Extract<
      Invocation,
      { command: 'wait' }
    >;
    expect(invocation.connection).toEqual({ address: '[::1]:7233', tls: false });
    expect(invocation.quiet).toBe(true);
  });

  it('routes every form of help, and --version', () => {
    expect(parseCommandLine(['--help'])).toEqual({ command: 'help', topic: undefined });
    expect(parseCommandLine(['-h'])).toEqual({ command: 'help', topic: undefined });
    expect(parseCommandLine(['help'])).toEqual({ command: 'help', topic: undefined });
    for (const name of COMMAND_NAMES) {
      expect(parseCommandLine([name, '--help'])).toEqual({ command: 'help', topic: name });
      expect(parseCommandLine([name, '-h'])).toEqual({ command: 'help', topic: name });
      expect(parseCommandLine(['help', name])).toEqual({ command: 'help', topic: name });
    }
    // Help wins over a bad value elsewhere on the line: someone asking for help gets it.
    expect(parseCommandLine(['wait', '--timeout', 'soon', '--help'])).toEqual({
      command: 'help',
      topic: 'wait',
    });
    expect(parseCommandLine(['--version'])).toEqual({ command: 'version' });
  });

  it('names an unknown flag, suggests the right one, and points at --help', () => {
    const error = usageError(['wait', '--adress', 'x:1']);
    expect(error.message).toBe(
      'Unknown flag --adress for `wait`. Did you mean --address? Run `temporal-supervisor wait --help` for its flags.',
    );
    expect(error.exitCode).toBe(EXIT.usage);
    expect(usageError(['check', '--namspace=x']).message).toMatch(
      /^Unknown flag --namspace for `check`\. Did you mean --namespace\?/,
    );
    expect(usageError(['wait', '--frobnicate']).message).not.toMatch(/Did you mean/);
    // A flag of another command.
    expect(usageError(['check', '--interval', '1s']).message).toMatch(/^Unknown flag --interval for `check`/);
  });

  it('names unknown and missing commands', () => {
    expect(usageError(['wiat']).message).toBe(
      'Unknown command "wiat". Did you mean `wait`? Commands: wait, check, diagram. Run `temporal-supervisor --help`.',
    );
    expect(usageError([]).message).toMatch(/^Missing command: one of wait, check, diagram\./);
    expect(usageError(['--address', 'x:1']).message).toMatch(/^Unknown flag --address\. /);
    expect(usageError(['help', 'nope']).message).toMatch(/^Unknown command "nope"/);
    expect(usageError([]).exitCode).toBe(EXIT.usage);
  });

  it('asks for the value of a string flag, and refuses a value for a switch', () => {
    expect(usageError(['wait', '--timeout']).message).toBe(
      '--timeout needs a value: --timeout DURATION (default 60s). Run `temporal-supervisor wait --help` for its flags.',
    );
    expect(usageError(['wait', '--json=yes']).message).toBe(
      '--json is a switch and takes no value: write just --json.',
    );
  });

  it('refuses arguments that are not flags', () => {
    expect(usageError(['wait', 'localhost:7233']).message).toBe(
      '`wait` takes no arguments, only flags; got "localhost:7233". Run `temporal-supervisor wait --help`.',
    );
  });

  it('validates the address', () => {
    for (const bad of ['localhost', 'http://localhost:7233', 'localhost:0', 'localhost:70000', 'a b:1']) {
      expect(usageError(['wait', '--address', bad]).message).toBe(
        `--address expects HOST:PORT with a port from 1 to 65535; got ${JSON.stringify(bad)}. Pass e.g. --address temporal:7233 (no scheme, no path).`,
      );
    }
    expect(usageError(['wait', '--address', '']).message).toBe(
      '--address must not be empty. Pass e.g. --address localhost:7233.',
    );
  });

  it('refuses --tls with --no-tls, and unreadable certificate files', () => {
    expect(usageError(['check', '--tls', '--no-tls']).message).toBe(
      '--tls and --no-tls contradict each other: pass one of them.',
    );
    expect(usageError(['check', '--tls-cert-path', '/nonexistent/cert.pem']).message).toBe(
      '--tls-cert-path "/nonexistent/cert.pem" does not exist. Give the path of a readable PEM file.',
    );
    expect(usageError(['wait', '--tls-ca-path', '/']).message).toBe(
      '--tls-ca-path "/" is not a file. Give the path of a readable PEM file.',
    );
    expect(usageError(['wait', '--config-file', '/nonexistent.toml']).message).toMatch(
      /^--config-file .* does not exist/,
    );
  });

  it('never echoes an API key, even a bad one', () => {
    const error = usageError(['wait', '--api-key', 'abc']);
    expect(error.message).toBe(
      '--api-key must be at least 4 characters (value not shown). Better: set TEMPORAL_API_KEY instead.',
    );
  });

  it('validates durations per command', () => {
    expect(usageError(['wait', '--timeout', 'soon']).message).toBe(
      '--timeout expects a duration such as 500ms, 3s, 2m or 1h (a bare number is seconds); got "soon".',
    );
    expect(usageError(['wait', '--interval', '10ms']).message).toBe(
      '--interval must be at least 100ms; got "10ms". Pass e.g. --interval 3s.',
    );
    expect(usageError(['check', '--timeout', '0']).message).toBe(
      '--timeout must be at least 100ms; got "0". Pass e.g. --timeout 3s.',
    );
    // `wait --timeout 0` waits forever.
    expect(parseCommandLine(['wait', '--timeout', '0'])).toMatchObject({ timeoutMs: 0 });
  });

  it('refuses a negative duration as negative, with or without "="', () => {
    for (const argv of [
      ['wait', '--timeout', '-5s'],
      ['wait', '--timeout=-5s'],
      ['wait', '-t', '-5s'],
    ]) {
      expect(usageError(argv).message).toBe(
        '--timeout must be 0 (no limit) or a positive duration; got "-5s". Pass e.g. --timeout 3s.',
      );
    }
    expect(usageError(['check', '--timeout', '-1']).message).toBe(
      '--timeout must be a positive duration; got "-1". Pass e.g. --timeout 3s.',
    );
    expect(usageError(['wait', '--interval', '-2s']).message).toBe(
      '--interval must be a positive duration; got "-2s". Pass e.g. --interval 3s.',
    );
  });

  it('names a value that reads as a flag, except a secret one', () => {
    expect(usageError(['wait', '--namespace', '-x']).message).toBe(
      '--namespace needs a value, and "-x" reads as a flag. A value that starts with "-" is written --namespace=VALUE. Run `temporal-supervisor wait --help` for its flags.',
    );
    const secret = usageError(['wait', '--api-key', '-tsk-0123456789']).message;
    expect(secret).toMatch(
      /^--api-key needs a value, and a value starting with "-" \(not shown\) reads as a flag/,
    );
    expect(secret).not.toContain('0123456789');
  });

  it('refuses durations beyond the longest timer Node can set (2^31-1 ms), which would fire at once', () => {
    // 2^31-1 ms is 596.5 h: 596h is the longest whole number of hours.
    expect(parseCommandLine(['wait', '--timeout', '596h'])).toMatchObject({ timeoutMs: 596 * 3_600_000 });
    expect(usageError(['wait', '--timeout', '600h']).message).toBe(
      '--timeout must be at most 596h (2147483647 ms, the longest timer Node can set); got "600h". For no limit, pass --timeout 0.',
    );
    expect(usageError(['wait', '--interval', '2147483648ms']).message).toBe(
      '--interval must be at most 596h (2147483647 ms, the longest timer Node can set); got "2147483648ms". Pass e.g. --interval 3s.',
    );
    expect(usageError(['check', '--timeout', '1e9']).message).toMatch(/^--timeout expects a duration/);
    expect(usageError(['check', '--timeout', '3000000']).message).toMatch(/^--timeout must be at most 596h/);
  });

  it('says a space after "=" split a value off, without showing a secret', () => {
    expect(usageError(['wait', '--address=', 'temporal:7233']).message).toBe(
      '--address= is empty and is followed by "temporal:7233": a space after "=" splits the value off. Write --address=HOST:PORT with no space. Run `temporal-supervisor wait --help`.',
    );
    const secret = usageError(['check', '--api-key=', 'tsk-0123456789']).message;
    expect(secret).toBe(
      '--api-key= is empty and is followed by the next argument (not shown: it may be a secret): a space after "=" splits the value off. Write --api-key=KEY with no space. Better: set TEMPORAL_API_KEY instead. Run `temporal-supervisor check --help`.',
    );
  });

  it('makes check fail with 1, not 2, on a bad command line (Docker reserves 2)', () => {
    expect(usageError(['check', '--bogus']).exitCode).toBe(EXIT.failed);
    expect(usageError(['wait', '--bogus']).exitCode).toBe(EXIT.usage);
  });
});

describe('diagram', () => {
  it('defaults to the connection machine in Mermaid', () => {
    expect(parseCommandLine(['diagram'])).toEqual({
      command: 'diagram',
      format: 'mermaid',
      machine: 'connection',
    });
    expect(parseCommandLine(['diagram', '-f', 'dot', '-m', 'all'])).toEqual({
      command: 'diagram',
      format: 'dot',
      machine: 'all',
    });
  });

  it('names a bad format or machine and suggests the right one', () => {
    expect(usageError(['diagram', '--format', 'mermiad']).message).toBe(
      '--format must be one of mermaid, dot; got "mermiad". Did you mean --format mermaid?',
    );
    expect(usageError(['diagram', '--machine', 'workers']).message).toBe(
      '--machine must be one of connection, worker, creator, dispatcher, all; got "workers". Did you mean --machine worker?',
    );
    expect(usageError(['diagram', '--format', 'svg']).exitCode).toBe(EXIT.usage);
  });

  it('prints the graphs of the machines themselves', () => {
    expect(diagramText({ format: 'mermaid', machine: 'connection' })).toBe(
      toMermaid(machineGraph(connectionMachine)).trimEnd(),
    );
    expect(diagramText({ format: 'dot', machine: 'worker' })).toBe(
      toDot(machineGraph(workerMachine)).trimEnd(),
    );
    const all = diagramText({ format: 'mermaid', machine: 'all' });
    expect(all.match(/^stateDiagram-v2$/gm)).toHaveLength(4);
    expect(all).toContain(`%% creator machine\n${toMermaid(machineGraph(creatorMachine)).trimEnd()}`);
    expect(
      diagramText({ format: 'dot', machine: 'all' }).match(/^\/\/ \w+ machine\ndigraph "\w+" \{$/gm),
    ).toEqual([
      '// connection machine\ndigraph "connection" {',
      '// worker machine\ndigraph "worker" {',
      '// creator machine\ndigraph "creator" {',
      '// dispatcher machine\ndigraph "dispatcher" {',
    ]);
    expect(diagramText({ format: 'mermaid', machine: 'dispatcher' })).toBe(
      toMermaid(machineGraph(dispatcherMachine)).trimEnd(),
    );
  });
});

describe('parseDuration', () => {
  it.each([
    ['500ms', 500],
    ['3s', 3_000],
    ['1.5s', 1_500],
    ['2m', 120_000],
    ['1h', 3_600_000],
    ['5', 5_000],
    ['0.25', 250],
  ])('%s is %d ms', (text, ms) => {
    expect(parseDuration('timeout', text)).toBe(ms);
  });

  it.each(['', 's', '1d', '1 s', 'PT1S', '1e3'])('%j is refused', (text) => {
    expect(() => parseDuration('timeout', text)).toThrow(/--timeout expects a duration/);
  });
});

describe('closest', () => {
  it('suggests typos and prefixes only', () => {
    expect(closest('adress', ['address', 'namespace'])).toBe('address');
    expect(closest('time', ['timeout', 'interval'])).toBe('timeout');
    expect(closest('xyz', ['timeout', 'interval'])).toBeUndefined();
  });
});

describe('connectionOptions: flags over environment over profile, through the library', () => {
  const env = {
    ...NO_FILE,
    TEMPORAL_ADDRESS: 'from-env:7233',
    TEMPORAL_NAMESPACE: 'env-ns',
    TEMPORAL_TLS_CLIENT_CERT_DATA: 'inline',
  };

  it('lays the flags over the environment, replacing inline data by a path', () => {
    const options = connectionOptions({ address: 'from-flag:1', tlsCertPath: CERT, tls: true }, env);
    expect(options.envConfig).toEqual({
      env: {
        ...NO_FILE,
        TEMPORAL_ADDRESS: 'from-flag:1',
        TEMPORAL_NAMESPACE: 'env-ns',
        TEMPORAL_TLS_CLIENT_CERT_PATH: CERT,
        TEMPORAL_TLS: 'true',
      },
    });
    expect(options.tls).toBeUndefined();
  });

  it('resolves to the flag where one is given, the variable otherwise', () => {
    const resolved = resolveOptions(connectionOptions({ address: 'from-flag:1' }, env));
    expect(resolved.address).toBe('from-flag:1');
    expect(resolved.namespace).toBe('env-ns');
  });

  it('turns TLS off with --no-tls even with an API key (which otherwise implies TLS)', () => {
    const withKey = { ...NO_FILE, TEMPORAL_API_KEY: 'key-1234' };
    expect(resolveOptions(connectionOptions({}, withKey)).tls).toBeTruthy();
    expect(resolveOptions(connectionOptions({ tls: false }, withKey)).tls).toBe(false);
  });

  it('reads the client certificate pair from the files the flags name', () => {
    const resolved = resolveOptions(connectionOptions({ tlsCertPath: CERT, tlsKeyPath: KEY }, NO_FILE));
    expect(typeof resolved.tls === 'object' && resolved.tls.clientCertPair?.crt.length).toBeGreaterThan(100);
  });

  it('passes --profile and --config-file to envconfig', () => {
    expect(connectionOptions({ profile: 'prod', configFile: CERT }, {}).envConfig).toEqual({
      env: {},
      profile: 'prod',
      configFile: CERT,
    });
  });
});

describe('help', () => {
  it('lists every command at the top level, and every flag and exit code of each command', () => {
    const top = helpText(undefined, '1.2.3');
    expect(top).toContain('temporal-supervisor 1.2.3');
    for (const name of COMMAND_NAMES) {
      expect(top).toContain(`  ${name} `);
      const text = helpText(name, '1.2.3');
      for (const flag of COMMANDS[name].flags) {
        expect(text).toContain(`--${flag.name}`);
        if (flag.env) expect(text).toContain(flag.env);
      }
      for (const [code] of COMMANDS[name].exitCodes) expect(text).toMatch(new RegExp(`^  ${code} `, 'm'));
    }
  });

  it('reads the version from package.json', () => {
    expect(packageVersion()).toMatch(/^\d+\.\d+\.\d+/);
  });
});

describe('run', () => {
  it('prints help on stdout and exits 0', async () => {
    for (const argv of [['--help'], ...COMMAND_NAMES.map((name) => [name, '--help'])]) {
      const { code, stdout, stderr } = await runWith(argv);
      expect(code).toBe(EXIT.ok);
      expect(stdout).toMatch(/Usage: temporal-supervisor/);
      expect(stderr).toBe('');
    }
  });

  it('prints a usage error on one stderr line and exits 2 (1 for check)', async () => {
    const wait = await runWith(['wait', '--timeout', 'soon']);
    expect(wait).toEqual({
      code: EXIT.usage,
      stdout: '',
      stderr:
        'error: --timeout expects a duration such as 500ms, 3s, 2m or 1h (a bare number is seconds); got "soon".\n',
    });
    const check = await runWith(['check', '--bogus']);
    expect(check.code).toBe(EXIT.failed);
    expect(check.stderr).toBe(
      'unavailable: usage: Unknown flag --bogus for `check`. Run `temporal-supervisor check --help` for its flags.\n',
    );
  });

  it('never prints an API key, whatever goes wrong', async () => {
    const key = 'tsk-0123456789abcdef';
    const typo = await runWith(['wait', `--api-key=${key}`, '--bogus']);
    expect(typo.code).toBe(EXIT.usage);
    const fromEnv = await runWith(['wait', '--address', 'nope'], { ...NO_FILE, TEMPORAL_API_KEY: key });
    expect(fromEnv.code).toBe(EXIT.usage);
    const badEnvAddress = await runWith(['check', '--json'], {
      ...NO_FILE,
      TEMPORAL_API_KEY: key,
      TEMPORAL_ADDRESS: key,
    });
    expect(badEnvAddress.code).toBe(EXIT.failed);
    for (const { stdout, stderr } of [typo, fromEnv, badEnvAddress]) {
      expect(stdout + stderr).not.toContain(key);
      expect(stdout + stderr).not.toContain('0123456789');
    }
    expect(badEnvAddress.stdout).toContain('[REDACTED]');
  });

  it('never prints an API key in a usage error: a stray space, "=" inside the key, a key in the wrong flag', async () => {
    const key = 'tsk-0123456789abcdef';
    const stray = await runWith(['check', '--api-key=', key]);
    expect(stray.code).toBe(EXIT.failed);
    expect(stray.stderr).toMatch(/^unavailable: usage: --api-key= is empty/);
    // Base64 keys end in "=" and may hold one anywhere: the whole value is the secret, not the part before it.
    const padded = 'tsk-0123=456789abcdef==';
    const wrongFlag = await runWith(['wait', `--api-key=${padded}`, '--address', padded]);
    expect(wrongFlag.code).toBe(EXIT.usage);
    expect(wrongFlag.stderr).toBe(
      'error: --address expects HOST:PORT with a port from 1 to 65535; got "[REDACTED]". Pass e.g. --address temporal:7233 (no scheme, no path).\n',
    );
    const spaced = await runWith(['wait', '--api-key', padded, '--address', padded]);
    expect(spaced.stderr).toContain('got "[REDACTED]"');
    for (const { stdout, stderr } of [stray, wrongFlag, spaced]) {
      expect(stdout + stderr).not.toContain('0123');
      expect(stdout + stderr).not.toContain('456789');
    }
  });

  it('prints a JSON error object on stdout for a usage error under --json', async () => {
    const wait = await runWith(['wait', '--json', '--timeout', 'soon']);
    expect(wait.code).toBe(EXIT.usage);
    const message =
      '--timeout expects a duration such as 500ms, 3s, 2m or 1h (a bare number is seconds); got "soon".';
    expect(wait.stderr).toBe(`error: ${message}\n`);
    expect(wait.stdout.endsWith('\n') && wait.stdout.split('\n').length).toBe(2);
    expect(JSON.parse(wait.stdout)).toEqual({
      status: 'usage',
      ok: false,
      command: 'wait',
      failure: { kind: 'permanent', code: 'USAGE', name: 'UsageError', message },
    });
    const check = await runWith(['check', '--bogus', '--json']);
    expect(check.code).toBe(EXIT.failed);
    expect(JSON.parse(check.stdout)).toMatchObject({ status: 'usage', ok: false, command: 'check' });
    const noCommand = await runWith(['wiat', '--json']);
    expect(JSON.parse(noCommand.stdout)).toMatchObject({ status: 'usage', failure: { code: 'USAGE' } });
    // After "--", --json is not a flag.
    expect((await runWith(['wait', '--', '--json'])).stdout).toBe('');
  });

  it('scrubs a secret from JSON before escaping it (a key with a quote or a backslash)', async () => {
    const key = 'tsk-"quoted\\0123456789';
    const { stdout } = await runWith(['check', '--json', `--api-key=${key}`, '--address', key]);
    expect(JSON.parse(stdout).failure.message).toContain('got "[REDACTED]"');
    expect(stdout).not.toContain('0123456789');
  });

  it('warns that --api-key shows in the process list', async () => {
    // Against an environment whose address is invalid, so that nothing is dialled.
    const { stderr } = await runWith(['wait', '--api-key', 'abcd1234'], {
      ...NO_FILE,
      TEMPORAL_ADDRESS: 'bad',
    });
    expect(stderr.split('\n')[0]).toBe(
      'warning: --api-key is visible to other users in the process list and shell history; set TEMPORAL_API_KEY instead.',
    );
  });

  it('exits 3 on configuration that cannot work (bad variable, unknown profile), worded for the shell', async () => {
    const badAddress = await runWith(['wait', '--json'], { ...NO_FILE, TEMPORAL_ADDRESS: 'no-port' });
    expect(badAddress.code).toBe(EXIT.misconfigured);
    const result = JSON.parse(badAddress.stdout);
    expect(result).toMatchObject({
      status: 'misconfigured',
      ok: false,
      attempts: 0,
      failure: { code: 'CONFIGURATION' },
    });
    expect(result.failure.message).toBe(
      'Invalid connection settings (TEMPORAL_* variables or the config profile): expected an address of the form \'host:port\' in TEMPORAL_ADDRESS or the config profile, received "no-port". Set e.g. TEMPORAL_ADDRESS=localhost:7233, or pass --address localhost:7233.',
    );

    const dir = mkdtempSync(join(tmpdir(), 'cli-args-'));
    const file = join(dir, 'temporal.toml');
    writeFileSync(file, '[profile.dev]\naddress = "dev:7233"\n');
    const profile = await runWith(['wait', '--profile', 'nope', '--config-file', file]);
    rmSync(dir, { recursive: true, force: true });
    expect(profile.code).toBe(EXIT.misconfigured);
    expect(profile.stdout).toBe(
      "misconfigured: Temporal - CONFIGURATION: Could not load Temporal's environment configuration (TEMPORAL_* variables, the TOML profile): Profile 'nope' not found in config data. Fix the variable or file it names, or override it with a flag (see --help). Waiting will not fix this.\n",
    );
    expect(profile.stdout).not.toContain('envConfig: false');

    const check = await runWith(['check'], { ...NO_FILE, TEMPORAL_ADDRESS: 'no-port' });
    expect(check.code).toBe(EXIT.failed);
    expect(check.stdout).toMatch(/^misconfigured: Temporal - CONFIGURATION: Invalid connection settings/);
    expect(check.stdout.trimEnd().split('\n')).toHaveLength(1);
  });
});

describe('demo', () => {
  it('is a command: --help and `help demo` print its usage, a bad flag exits 2 naming it', async () => {
    for (const argv of [
      ['demo', '--help'],
      ['help', 'demo'],
    ]) {
      const { code, stdout } = await runWith(argv);
      expect(code).toBe(EXIT.ok);
      expect(stdout).toContain('Usage: temporal-supervisor demo [--tour]');
    }
    const bad = await runWith(['demo', '--bogus']);
    expect(bad.code).toBe(EXIT.usage);
    expect(bad.stderr).toContain('--bogus');
    expect((await runWith(['--help'])).stdout).toMatch(/\n {2}demo {2,}Start a dev server/);
  });
});
