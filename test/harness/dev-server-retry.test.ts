/**
 * A dev server that exits before it is ready (seen in CI under load: exit code 2 after 675 ms, a Go panic in
 * dependency injection) is reported with the first lines of its output, and retried on a new port. The
 * `temporal` here is a fake: a shell script that panics like the real one on the runs it is told to, and
 * runs the real CLI otherwise.
 */
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Connection } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useCleanups } from './cleanups.js';
import { DevServer, DevServerStartError } from './dev-server.js';
import { resolveTemporalCli } from './temporal-cli.js';
import { isProcessAlive } from './wait.js';

const defer = useCleanups();
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fake-temporal-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** The first line of the fake's panic, and more goroutine frames than any tail of the output would show. */
const PANIC_FIRST_LINE =
  'panic: could not build arguments for function "go.temporal.io/server/temporal".ServerLifetimeHooks';
const FRAMES = 300;

interface Fake {
  path: string;
  /** The --port of every run, in order. */
  ports(): Promise<number[]>;
  /** The pid of every run, in order. */
  pids(): Promise<number[]>;
}

/** A fake `temporal` that panics (exit 2, Go-like output) on the runs numbered in `panicRuns` (1-based). */
async function fakeTemporal(name: string, panicRuns: number[]): Promise<Fake> {
  const real = await resolveTemporalCli();
  const state = join(dir, name);
  const frames = Array.from(
    { length: FRAMES },
    (_, i) => `go.uber.org/fx.(*App).start(0xc000${i})\\n\\t/go/pkg/mod/go.uber.org/fx@v1.23.0/app.go:${i}`,
  ).join('\\n');
  const script = `#!/bin/sh
n=$(cat '${state}.count' 2>/dev/null || echo 0); n=$((n + 1)); echo "$n" > '${state}.count'
prev=; for arg in "$@"; do [ "$prev" = --port ] && echo "$arg" >> '${state}.ports'; prev=$arg; done
echo "$$" >> '${state}.pids'
case " ${panicRuns.join(' ')} " in *" $n "*)
  echo 'time=2026-12-01T10:00:00.000Z level=INFO msg="Starting server" service=frontend'
  echo '${PANIC_FIRST_LINE}' >&2
  printf '\\tcould not build value group: context deadline exceeded\\n\\ngoroutine 1 [running]:\\n' >&2
  printf '${frames}\\n' >&2
  exit 2;;
esac
exec '${real}' "$@"
`;
  const path = join(dir, `${name}.sh`);
  await writeFile(path, script);
  await chmod(path, 0o755);
  const numbers = async (suffix: string) =>
    (await readFile(`${state}.${suffix}`, 'utf8').catch(() => ''))
      .split('\n')
      .filter((line) => line !== '')
      .map(Number);
  return { path, ports: () => numbers('ports'), pids: () => numbers('pids') };
}

async function describeDefault(server: DevServer): Promise<string | undefined> {
  const connection = await Connection.connect({ address: server.address, interceptors: [] });
  try {
    const response = await connection.workflowService.describeNamespace({ namespace: 'default' });
    return response.namespaceInfo?.name ?? undefined;
  } finally {
    await connection.close();
  }
}

describe('DevServer start that exits before ready', () => {
  it('panics once: reported to log with its first lines, retried on a new port, and the retry serves', async () => {
    const fake = await fakeTemporal('once', [1]);
    const log: string[] = [];

    const server = await DevServer.start({ cliPath: fake.path, log: (line) => log.push(line) });
    defer(() => server.dispose());

    const ports = await fake.ports();
    expect(ports).toHaveLength(2);
    expect(ports[0]).not.toBe(ports[1]);
    expect(server.port).toBe(ports[1]);
    expect(await describeDefault(server)).toBe('default');
    expect(log).toHaveLength(1);
    expect(log[0]).toMatch(
      new RegExp(
        `^start attempt 1 on port ${ports[0]} failed \\(exit code 2 after \\d+ ms\\); first lines:\\n`,
      ),
    );
    expect(log[0]).toContain(PANIC_FIRST_LINE);
    expect(log[0]).toMatch(/retrying on a new port$/);
  });

  it('panics every time: fails after 3 attempts on 3 ports, showing the first lines of the panic and every attempt', async () => {
    const fake = await fakeTemporal('always', [1, 2, 3, 4]);
    const log: string[] = [];

    const error = await DevServer.start({ cliPath: fake.path, log: (line) => log.push(line) }).then(
      () => undefined,
      (e: unknown) => e,
    );

    expect(error).toBeInstanceOf(DevServerStartError);
    const failure = error as DevServerStartError;
    const ports = await fake.ports();
    expect(ports).toHaveLength(3);
    expect(new Set(ports).size).toBe(3);
    expect(failure.attempts).toBe(3);
    expect(failure.port).toBe(ports[2]);
    expect(failure.exit).toEqual({ code: 2, signal: null });
    // The first line of the panic, although FRAMES lines followed it; and the last frame too.
    expect(failure.message).toContain(PANIC_FIRST_LINE);
    expect(failure.message).toContain(`app.go:${FRAMES - 1}`);
    expect(failure.message).toMatch(/left out/);
    expect(failure.message).toMatch(
      /exited before it was ready \(exit code 2, after \d+ ms\)[\s\S]*Attempt 3 of 3/,
    );
    for (const port of ports.slice(0, 2)) expect(failure.message).toContain(`on port ${port} failed`);
    expect(log).toHaveLength(2);
    for (const pid of await fake.pids()) expect(isProcessAlive(pid)).toBe(false);
  });

  it('startAgain after a kill: a run that panics is retried on the same port', async () => {
    const fake = await fakeTemporal('restart', [2]);
    const log: string[] = [];
    const server = await DevServer.start({ cliPath: fake.path, log: (line) => log.push(line) });
    defer(() => server.dispose());
    await server.kill();

    await server.startAgain();

    expect(await fake.ports()).toEqual([server.port, server.port, server.port]);
    expect(await describeDefault(server)).toBe('default');
    expect(log).toHaveLength(1);
    expect(log[0]).toContain(PANIC_FIRST_LINE);
    expect(log[0]).toMatch(/retrying on the same port$/);
  });

  it('a readiness timeout is not retried (it would only triple the wait)', async () => {
    const fake = await fakeTemporal('slow', []);
    await expect(DevServer.start({ cliPath: fake.path, readyTimeoutMs: 50 })).rejects.toThrow(
      /was not ready after \d+ ms \(readyTimeoutMs 50\)/,
    );
    expect(await fake.ports()).toHaveLength(1);
  });

  it('a log that is not a function is a TypeError naming `log`', async () => {
    await expect(DevServer.start({ log: 'stderr' as never })).rejects.toThrow(/`log`/);
  });
});
