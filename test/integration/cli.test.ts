/**
 * The `temporal-supervisor` command as a child process (through tsx, so no build is needed; `npm run
 * check:package` runs the built one), against a real dev server and against a closed port.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT } from '../../src/cli/exit-codes.js';
import type { CliIo } from '../../src/cli/io.js';
import { run } from '../../src/cli/run.js';
import { COMMAND_NAMES } from '../../src/cli/spec.js';
import { useCleanups } from '../harness/cleanups.js';
import { DevServer, findFreePort } from '../harness/dev-server.js';
import { FaultProxy } from '../harness/fault-proxy.js';
import { waitUntil } from '../harness/wait.js';

const MAIN = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));
const defer = useCleanups();

interface CliRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** The environment of the child: no TEMPORAL_* of this machine, no config file. */
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env))
    if (!name.startsWith('TEMPORAL_')) env[name] = value;
  return { ...env, TEMPORAL_CONFIG_FILE: '/nonexistent/temporal.toml', ...extra };
}

function startCli(
  args: string[],
  env: Record<string, string> = {},
): { child: ChildProcess; done: Promise<CliRun>; stderrSoFar: () => string } {
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN, ...args], {
    env: cleanEnv(env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const done = new Promise<CliRun>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
  defer(async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  return { child, done, stderrSoFar: () => stderr };
}

function cli(args: string[], env: Record<string, string> = {}): Promise<CliRun> {
  return startCli(args, env).done;
}

/** The lines of a stream, without the last newline. */
function lines(text: string): string[] {
  return text.replace(/\n$/, '').split('\n');
}

let server: DevServer;
/** A port nothing listens on. */
let closedAddress: string;

beforeAll(async () => {
  server = await DevServer.start();
  closedAddress = `127.0.0.1:${await findFreePort()}`;
});

afterAll(async () => {
  await server?.dispose();
});

describe('check', () => {
  it('exits 0 with one "ok" line against a live server', async () => {
    const run = await cli(['check', '--address', server.address]);
    expect(run.code).toBe(EXIT.ok);
    expect(lines(run.stdout)).toHaveLength(1);
    expect(run.stdout).toMatch(
      new RegExp(`^ok: ${server.address.replace(/\./g, '\\.')} namespace default serving \\(\\d+ ms\\)\\n$`),
    );
    expect(run.stderr).toBe('');
  });

  it('exits 1 with one "unavailable" line against a closed port', async () => {
    const run = await cli(['check', '--address', closedAddress, '--timeout', '5s']);
    expect(run.code).toBe(EXIT.failed);
    expect(lines(run.stdout)).toHaveLength(1);
    expect(run.stdout).toMatch(
      new RegExp(`^unavailable: ${closedAddress.replace(/\./g, '\\.')} namespace default - UNAVAILABLE: `),
    );
    expect(run.stderr).toBe('');
  });

  it('exits 1 naming the namespace when it does not exist', async () => {
    const run = await cli(['check', '--address', server.address, '--namespace', 'no-such-namespace']);
    expect(run.code).toBe(EXIT.failed);
    expect(run.stdout).toMatch(/^unavailable: .* namespace no-such-namespace - NAMESPACE_NOT_FOUND: /);
  });

  it('reads TEMPORAL_ADDRESS and TEMPORAL_NAMESPACE, and prints JSON with --json', async () => {
    const ok = await cli(['check', '--json'], {
      TEMPORAL_ADDRESS: server.address,
      TEMPORAL_NAMESPACE: 'default',
    });
    expect(ok.code).toBe(EXIT.ok);
    expect(JSON.parse(ok.stdout)).toEqual({
      status: 'ok',
      ok: true,
      address: server.address,
      namespace: 'default',
      tls: false,
      latencyMs: expect.any(Number),
    });
    // The flag wins over the variable.
    const down = await cli(['check', '--json', '--address', closedAddress], {
      TEMPORAL_ADDRESS: server.address,
    });
    expect(down.code).toBe(EXIT.failed);
    expect(JSON.parse(down.stdout)).toMatchObject({
      status: 'unavailable',
      ok: false,
      address: closedAddress,
      failure: { kind: 'transient', code: 'UNAVAILABLE' },
    });
  });

  it('ends at --timeout against a server that accepts TCP and never answers', async () => {
    const proxy = await FaultProxy.start({ target: { host: '127.0.0.1', port: server.port } });
    defer(() => proxy.close());
    await proxy.blackhole();
    const run = await cli(['check', '--address', proxy.address, '--timeout', '1s', '--json']);
    expect(run.code).toBe(EXIT.failed);
    expect(JSON.parse(run.stdout)).toMatchObject({
      status: 'unavailable',
      failure: { kind: 'transient', code: 'DEADLINE_EXCEEDED' },
    });
  });

  it('says "misconfigured" for TLS against a plaintext server, and never prints the API key', async () => {
    const key = 'tsk-secret-0123456789abcdef';
    const run = await cli(['check', '--address', server.address], { TEMPORAL_API_KEY: key });
    expect(run.code).toBe(EXIT.failed);
    expect(run.stdout).toMatch(/^misconfigured: .* - TLS_ERROR: /);
    expect(run.stdout + run.stderr).not.toContain(key);
  });
});

describe('wait', () => {
  it('waits for a server that starts after it, then exits 0', async () => {
    const port = await findFreePort();
    const waiting = startCli(['wait', '--address', `127.0.0.1:${port}`, '--timeout', '150s', '--json']);
    // It has tried and failed at least once before the server exists.
    await waitUntil(() => /UNAVAILABLE/.test(waiting.stderrSoFar()), {
      timeoutMs: 30_000,
      what: 'a failed attempt reported by wait',
    });
    const late = await DevServer.start({ port });
    defer(() => late.dispose());
    const run = await waiting.done;
    expect(run.code).toBe(EXIT.ok);
    const result = JSON.parse(run.stdout);
    expect(result).toMatchObject({
      status: 'ready',
      ok: true,
      address: `127.0.0.1:${port}`,
      namespace: 'default',
    });
    expect(result.attempts).toBeGreaterThan(1);
    expect(result.failure).toBeUndefined();
    // Not a terminal: progress as plain lines on stderr.
    expect(lines(run.stderr)[0]).toBe(`waiting: 127.0.0.1:${port} namespace default (timeout 2 min 30 s)`);
    expect(run.stderr).not.toContain('\r');
  });

  it('exits 0 at once against a live server, with a "ready" line', async () => {
    const run = await cli(['wait', '--address', server.address, '--quiet']);
    expect(run.code).toBe(EXIT.ok);
    expect(run.stdout).toMatch(/^ready: .* namespace default \(\d+ ms, 1 attempt\)\n$/);
    expect(run.stderr).toBe('');
  });

  it('times out with exit 1 against nothing', async () => {
    const run = await cli(['wait', '--address', closedAddress, '--timeout', '2s', '--interval', '200ms']);
    expect(run.code).toBe(EXIT.failed);
    expect(lines(run.stdout)).toHaveLength(1);
    expect(run.stdout).toMatch(/^timeout: .* not ready after 2 s \(\d+ attempts\) - last: UNAVAILABLE: /);
    expect(lines(run.stderr).length).toBeGreaterThanOrEqual(2);
  });

  it('keeps waiting while the namespace does not exist (a setup job may create it)', async () => {
    const run = await cli(['wait', '--address', server.address, '-n', 'not-yet', '-t', '3s', '--json']);
    expect(run.code).toBe(EXIT.failed);
    const result = JSON.parse(run.stdout);
    expect(result).toMatchObject({ status: 'timeout', failure: { code: 'NAMESPACE_NOT_FOUND' } });
    expect(result.attempts).toBeGreaterThan(1);
  });

  it('exits 3 at once for TLS against a plaintext server, well before --timeout', async () => {
    const run = await cli(['wait', '--address', server.address, '--tls', '--timeout', '10m', '--json']);
    expect(run.code).toBe(EXIT.misconfigured);
    const result = JSON.parse(run.stdout);
    expect(result).toMatchObject({
      status: 'misconfigured',
      ok: false,
      tls: true,
      attempts: 1,
      failure: { kind: 'permanent', code: 'TLS_ERROR' },
    });
  });

  it('draws progress as one line redrawn in place on a terminal', async () => {
    let stdout = '';
    let stderr = '';
    const io: CliIo = {
      stdout: { write: (text: string) => (stdout += text) },
      stderr: { write: (text: string) => (stderr += text), isTTY: true, columns: 60 },
      env: cleanEnv() as Record<string, string>,
      onSignal: () => () => {},
    };
    const code = await run(['wait', '--address', closedAddress, '--timeout', '1500ms'], io);
    expect(code).toBe(EXIT.failed);
    expect(stdout).toMatch(/^timeout: /);
    // Only carriage returns and erase-line sequences, no newline: one line, redrawn; erased at the end.
    expect(stderr).not.toContain('\n');
    const frames = stderr.split('\r\x1b[2K').filter(Boolean);
    expect(frames.length).toBeGreaterThan(1);
    for (const frame of frames) {
      expect(frame).toMatch(/^[|/\\-] waiting: \[/);
      expect(frame.length).toBeLessThanOrEqual(59);
    }
    expect(stderr.endsWith('\r\x1b[2K')).toBe(true);
  });

  it('exits 143 on SIGTERM while waiting', async () => {
    const waiting = startCli(['wait', '--address', closedAddress, '--timeout', '0']);
    await waitUntil(() => /UNAVAILABLE/.test(waiting.stderrSoFar()), {
      timeoutMs: 30_000,
      what: 'an attempt',
    });
    waiting.child.kill('SIGTERM');
    const run = await waiting.done;
    expect(run.code).toBe(EXIT.terminated);
    expect(run.stdout).toMatch(/^interrupted: .* \(SIGTERM\) - last: UNAVAILABLE: /);
  });
});

describe('--help', () => {
  it.each([[[]], ...COMMAND_NAMES.map((name) => [[name]])])('of %j exits 0 with usage', async (command) => {
    const run = await cli([...command, '--help']);
    expect(run.code).toBe(EXIT.ok);
    expect(run.stdout).toContain('Usage: temporal-supervisor');
    expect(run.stderr).toBe('');
  });

  it('diagram prints a Graphviz graph of the connection machine', async () => {
    const run = await cli(['diagram', '--format', 'dot']);
    expect(run.code).toBe(EXIT.ok);
    expect(run.stdout).toMatch(/^digraph "connection" \{\n[\s\S]*"cluster_connection\.backoff"[\s\S]*\}\n$/);
    // Its substates (docs/states.md, "backoff"), drawn from the machine itself.
    expect(run.stdout).toContain('"connection.backoff.spreading" [label="spreading"]');
    expect(run.stderr).toBe('');
  });

  it('a bad flag exits 2 with the flag named', async () => {
    const run = await cli(['wait', '--adress', server.address]);
    expect(run.code).toBe(EXIT.usage);
    expect(run.stderr).toBe(
      'error: Unknown flag --adress for `wait`. Did you mean --address? Run `temporal-supervisor wait --help` for its flags.\n',
    );
  });
});

describe('demo with no server and no temporal CLI', () => {
  /**
   * A machine with Go and nothing else: PATH holds node and a fake `go` whose "build" never ends (it records
   * its pid), TEMPORAL_CLI is unset and the cache is empty, so the demo would build the CLI.
   */
  function withoutCli(): { env: Record<string, string>; goPid: () => number | undefined } {
    const dir = mkdtempSync(join(tmpdir(), 'demo-no-cli-'));
    defer(async () => rmSync(dir, { recursive: true, force: true }));
    const pidFile = join(dir, 'go.pid');
    writeFileSync(
      join(dir, 'go'),
      `#!/bin/sh\necho $$ > ${pidFile}\necho "go: downloading github.com/temporalio/cli v1.5.1" >&2\nexec sleep 60\n`,
    );
    chmodSync(join(dir, 'go'), 0o755);
    return {
      env: {
        PATH: `${dir}:${dirname(process.execPath)}`,
        TEMPORAL_SUPERVISOR_CACHE: join(dir, 'cache'),
      },
      goPid: () => {
        try {
          return Number(readFileSync(pidFile, 'utf8'));
        } catch {
          return undefined;
        }
      },
    };
  }

  /** Whether `pid` still runs: a zombie (exited, not yet reaped by its new parent) has stopped. */
  function alive(pid: number): boolean {
    try {
      process.kill(pid, 0);
    } catch {
      return false;
    }
    try {
      return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
    } catch {
      return false;
    }
  }

  it('says it will build the CLI and how to skip that, before the build starts', async () => {
    const { env, goPid } = withoutCli();
    const demo = startCli(['demo', '--port', '0', '--inspector-port', '0'], env);
    let stdout = '';
    demo.child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    const pid = await waitUntil(goPid, { timeoutMs: 30_000, what: 'the fake go install' });
    expect(stdout).toMatch(
      /no `temporal` CLI found .*building it once with `go install github\.com\/temporalio\/cli\/cmd\/temporal@v1\.5\.1`\. A cold build takes a few minutes/,
    );
    expect(stdout).toContain(
      'to skip the build, stop it (Ctrl-C) and use a Temporal server you already have: temporal-supervisor demo --address 127.0.0.1:7233',
    );
    // The hint comes before the build's own first line.
    expect(stdout.indexOf('--address')).toBeLessThan(stdout.indexOf('building the temporal CLI: '));
    // SIGTERM reaches the demo only (not `go`, unlike Ctrl-C in a terminal): the demo stops the build itself.
    demo.child.kill('SIGTERM');
    const run = await demo.done;
    expect(run.stdout).toContain('stopped the build of the temporal CLI: nothing was started.');
    expect(run.stderr).not.toMatch(/Install Go/);
    expect(run.code).toBe(0);
    await waitUntil(() => !alive(pid), { timeoutMs: 20_000, what: 'the build to be stopped' });
  });

  it('on Ctrl-C (SIGINT to the whole process group, go included) says it was stopped, not "Install Go"', async () => {
    const { env, goPid } = withoutCli();
    const child = spawn(process.execPath, ['--import', 'tsx', MAIN, 'demo', '--port', '0'], {
      env: cleanEnv(env),
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    defer(async () => {
      if (child.exitCode === null && child.signalCode === null) process.kill(-child.pid!, 'SIGKILL');
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const code = new Promise<number | null>((resolve) => child.on('close', resolve));
    await waitUntil(goPid, { timeoutMs: 30_000, what: 'the fake go install' });
    process.kill(-child.pid!, 'SIGINT');
    expect(await code).toBe(0);
    expect(stdout).toContain('stopped the build of the temporal CLI: nothing was started.');
    expect(stderr).not.toMatch(/Install Go|failed/);
  });
});
