/**
 * The demo (`npm run demo`, src/cli/demo-main.ts) as a user runs it: a child process with its own real dev
 * server. `--tour` must play the whole lifecycle and exit 0 with every order accounted for; an interactive
 * run must serve its printed URLs, let an order wait through a SIGKILL of the server triggered by the
 * inspector's own button, complete it after the restart button, and stop on SIGINT leaving no server behind.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { useCleanups } from '../harness/cleanups.js';
import { isProcessAlive, waitUntil } from '../harness/wait.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const defer = useCleanups();

interface Demo {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function startDemo(args: string[], env: NodeJS.ProcessEnv = process.env): Demo {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/demo-main.ts', ...args], {
    cwd: root,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    out += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    err += chunk.toString();
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  defer(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await exited;
    }
  });
  return { child, stdout: () => out, stderr: () => err, exited };
}

/** Every dev server pid the demo printed (at the start, after each restart, in its last line). */
function serverPids(stdout: string): number[] {
  return [...stdout.matchAll(/pid (\d+)/g)].map((match) => Number(match[1]));
}

async function json(url: string | URL, init?: RequestInit): Promise<{ status: number; body: unknown }> {
  const response = await fetch(url, init);
  return { status: response.status, body: await response.json() };
}

const post = (url: string, body: unknown, headers: Record<string, string> = {}) =>
  json(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });

interface Order {
  orderId: string;
  status: string;
}

describe('npm run demo', () => {
  it('--tour plays the lifecycle and exits 0 with every order accounted for', async () => {
    const demo = startDemo(['--tour', '--port', '0', '--inspector-port', '0']);
    const { code } = await demo.exited;
    const out = demo.stdout();
    expect(code, `stdout:\n${out}\nstderr:\n${demo.stderr()}`).toBe(0);
    for (let step = 1; step <= 7; step++) expect(out).toContain(`tour ${step}/7:`);
    expect(out).toMatch(/Temporal server killed \(SIGKILL, pid \d+\)/);
    expect(out).toMatch(/order tour-\d+ received while Temporal is unavailable/);
    expect(out).toMatch(/order tour-\d+ started after waiting/);
    expect(out).toMatch(/order tour-\d+ rejected after .*: HTTP 503 UNAVAILABLE \(deadline\)/);
    const accounting =
      /tour done in [\d.]+ s: (\d+) orders: (\d+) started and completed, (\d+) rejected with TemporalUnavailableError \(HTTP 503\); every request accounted for/.exec(
        out,
      );
    expect(accounting, out).not.toBeNull();
    const [, total, completed, rejected] = accounting!.map(Number);
    expect(completed! + rejected!).toBe(total);
    expect(rejected).toBeGreaterThanOrEqual(1);
    // Step 7: the second service, SIGKILLed with 5 orders in its outbox during an outage, loses none of them.
    expect(out).toMatch(
      /service pid \d+ accepted 5 orders into its outbox while Temporal is down \(5 pending\)/,
    );
    expect(out).toMatch(/service killed; restarted as pid \d+: its outbox still holds 5 pending orders/);
    expect(out).toContain(
      'visibility: 5 executions for 5 of 5 orders accepted before the kill — 0 lost, 0 duplicates',
    );
    expect(out).toContain('outbox: 5 accepted before the service was killed, 5 started once');
    // One completion line per completed order.
    expect(out.match(/order tour-\d+ completed:/g)?.length).toBe(completed);
    expect(out).toMatch(/stopped: the dev server \(pid \d+\) is gone; bye\.\n$/);
    for (const pid of serverPids(out)) expect(isProcessAlive(pid), `dev server pid ${pid}`).toBe(false);
  });

  it('serves its printed URLs; an order waits through the kill button and runs after the restart button; SIGINT stops it all', async () => {
    const demo = startDemo(['--port', '0', '--inspector-port', '0']);
    const urls = await waitUntil(
      () => {
        const out = demo.stdout();
        const inspector = /inspector +(http:\/\/127\.0\.0\.1:\d+\/)/.exec(out)?.[1];
        const service = /orders service +(http:\/\/127\.0\.0\.1:\d+)\/orders/.exec(out)?.[1];
        if (demo.child.exitCode !== null) throw new Error(`the demo exited: ${out}\n${demo.stderr()}`);
        return inspector && service && out.includes('Ctrl-C') ? { inspector, service } : undefined;
      },
      { timeoutMs: 90_000, what: 'the demo to print its URLs' },
    );
    const state = async () =>
      (
        (await json(new URL('state.json', urls.inspector))).body as {
          actors: { id: string; state: string }[];
        }
      ).actors;
    const connection = async () => (await state()).find((actor) => actor.id === 'connection')?.state;
    const orders = async () => (await json(`${urls.service}/orders`)).body as Order[];

    const first = await post(`${urls.service}/orders`, { orderId: 'first' }, { 'x-timeout-ms': '60000' });
    expect(first.status, JSON.stringify(first.body)).toBe(202);
    expect(await connection()).toBe('connected');

    const kill = await post(new URL('actions/kill', urls.inspector).href, {});
    expect(kill).toEqual({ status: 200, body: { ok: true } });
    // `degraded` still serves (a request would be tried on the old connection); `backoff` and `connecting` wait.
    await waitUntil(async () => ['backoff', 'connecting'].includes((await connection()) ?? ''), {
      timeoutMs: 30_000,
      what: 'the inspector to show the connection leave connected for backoff',
    });

    const during = post(`${urls.service}/orders`, { orderId: 'during' }, { 'x-timeout-ms': '120000' });
    during.catch(() => {});
    await waitUntil(async () => (await orders()).find((o) => o.orderId === 'during')?.status === 'waiting', {
      timeoutMs: 30_000,
      what: 'the order placed during the outage to be waiting',
    });

    const restart = await post(new URL('actions/restart', urls.inspector).href, {});
    expect(restart).toEqual({ status: 200, body: { ok: true } });
    const answer = await during;
    expect(answer.status, JSON.stringify(answer.body)).toBe(202);
    await waitUntil(
      async () => {
        const all = await orders();
        return ['first', 'during'].every((id) => all.find((o) => o.orderId === id)?.status === 'completed');
      },
      { timeoutMs: 90_000, what: 'both orders to complete' },
    );
    expect(await connection()).toBe('connected');

    demo.child.kill('SIGINT');
    const exit = await waitUntil(
      () =>
        demo.child.exitCode !== null || demo.child.signalCode !== null
          ? { code: demo.child.exitCode, signal: demo.child.signalCode }
          : undefined,
      { timeoutMs: 10_000, what: 'the demo to exit after SIGINT' },
    );
    const out = demo.stdout();
    expect(exit, `stdout:\n${out}\nstderr:\n${demo.stderr()}`).toEqual({ code: 0, signal: null });
    expect(out).toMatch(/SIGINT: stopping/);
    expect(out).toMatch(/stopped: the dev server \(pid \d+\) is gone; bye\.\n$/);
    const pids = serverPids(out);
    expect(new Set(pids).size, 'a pid before and after the restart').toBeGreaterThanOrEqual(2);
    for (const pid of pids) expect(isProcessAlive(pid), `dev server pid ${pid}`).toBe(false);
  });

  it('without a temporal CLI, says what to install or to use --address, and exits 1', async () => {
    const demo = startDemo(['--tour'], { ...process.env, TEMPORAL_CLI: '/nonexistent/temporal' });
    const { code } = await demo.exited;
    expect(code).toBe(1);
    expect(demo.stderr()).toContain('TEMPORAL_CLI is set to "/nonexistent/temporal"');
    expect(demo.stderr()).toContain('--address');
  });
});
