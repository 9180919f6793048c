/**
 * `temporal-supervisor record` against a real inspector server (on a supervisor with a fake Temporal): the
 * file it writes holds the first `hello` and everything streamed after it, reopens a stream the inspector
 * closed without recording anything twice, never contains the token, and fails with a clear line on a
 * wrong token, no inspector, or a bad command line.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseRecordArgs } from '../../src/cli/record.js';
import { run } from '../../src/cli/run.js';
import type { RequestEvent } from '../../src/inspector/model.js';
import { DEFAULT_SSE_LIMITS } from '../../src/inspector/sse.js';
import { flush } from '../support/fake-connector.js';
import { inspectedSupervisor } from '../support/inspected.js';

const TOKEN = 'record-token-abcdefghijklmnopq';
const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => {});
});

async function setup(lifetimeMs = DEFAULT_SSE_LIMITS.lifetimeMs) {
  const inspected = await inspectedSupervisor(
    cleanups,
    { token: TOKEN },
    { ...DEFAULT_SSE_LIMITS, lifetimeMs },
  );
  const dir = await mkdtemp(join(tmpdir(), 'record-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  const emit = (event: RequestEvent) => inspected.requests.emit(event);
  return { ...inspected, emit, out: join(dir, 'session.html') };
}

function io(env: Record<string, string> = {}) {
  const stdout: string[] = [];
  const stderr: string[] = [];
  let stop: (() => void) | undefined;
  return {
    stdout,
    stderr,
    interrupt: () => stop?.(),
    io: {
      stdout: { write: (text: string) => stdout.push(text) },
      stderr: { write: (text: string) => stderr.push(text) },
      env,
      onSignal(handler: (signal: 'SIGINT') => void) {
        stop = () => handler('SIGINT');
        return () => {
          stop = undefined;
        };
      },
    },
  };
}

function recordingOf(html: string): {
  hello: { timeline: { at: number }[] };
  events: { event: string; data: { at?: number } }[];
} {
  const json = /<script type="application\/json" id="recording">(.*?)<\/script>/s.exec(html)?.[1];
  if (json === undefined) throw new Error('no recording in the file');
  return JSON.parse(json);
}

describe('temporal-supervisor record', () => {
  it('writes the first hello and every event after it, across a stream the inspector closed, without the token', async () => {
    const { inspector, emit, out, supervisor, connector } = await setup(1_000);
    emit({ source: 'client', outcome: 'started', at: 1 });
    const term = io({ TEMPORAL_SUPERVISOR_INSPECTOR_TOKEN: TOKEN });
    const running = run(['record', '--url', inspector.url, '-o', out], term.io);
    await new Promise((r) => setTimeout(r, 200));
    emit({ source: 'creator:orders', outcome: 'rejected', reason: 'deadline', at: 2 });
    supervisor.start();
    await flush();
    connector.fail();
    await flush();
    // The stream is closed after 1 s and reopened by the recorder 1 s later; in the gap:
    await new Promise((r) => setTimeout(r, 1_200));
    emit({ source: 'client', outcome: 'late', at: 3 });
    await new Promise((r) => setTimeout(r, 900));
    emit({ source: 'client', outcome: 'started', at: 4 });
    await new Promise((r) => setTimeout(r, 200));
    term.interrupt();
    expect(await running).toBe(0);
    expect(term.stdout.join('')).toMatch(/^wrote .*session\.html: \d+ entries, \d+ bytes\n$/);
    const html = await readFile(out, 'utf8');
    expect(html).not.toContain(TOKEN);
    const { hello, events } = recordingOf(html);
    expect(hello.timeline.map((e) => e.at)).toEqual([1]);
    const requests = events.filter((e) => e.event === 'request').map((e) => e.data.at);
    // Each once: the one missed while the stream was closed (3) came with the next hello.
    expect(requests).toEqual([2, 3, 4]);
    expect(events.filter((e) => e.event === 'transition').length).toBeGreaterThanOrEqual(2);
  });

  it('fails with one line, writing nothing, on a wrong token or no inspector', async () => {
    const { inspector, out } = await setup();
    const wrong = io({ TEMPORAL_SUPERVISOR_INSPECTOR_TOKEN: 'not-the-token-at-all-0000' });
    expect(await run(['record', '--url', inspector.url, '--out', out, '--duration', '5s'], wrong.io)).toBe(1);
    expect(wrong.stderr.join('')).toMatch(/refused the token \(401\)/);
    expect(wrong.stderr.join('')).not.toContain('not-the-token-at-all-0000');
    await inspector.close();
    const gone = io();
    expect(await run(['record', '--url', inspector.url, '--out', out], gone.io)).toBe(1);
    expect(gone.stderr.join('')).toMatch(/could not reach the inspector at .*ECONNREFUSED/);
    await expect(readFile(out)).rejects.toThrow(/ENOENT/);
  });

  it('reads its flags: the token from the URL or the environment, and typed usage errors', () => {
    const now = new Date('2026-01-02T03:04:05.678Z');
    expect(parseRecordArgs(['--url', `http://127.0.0.1:9233/?token=${TOKEN}`], {}, now)).toEqual({
      url: new URL('http://127.0.0.1:9233/'),
      token: TOKEN,
      out: 'inspector-recording-2026-01-02T03-04-05-678Z.html',
      durationMs: undefined,
    });
    const fromEnv = parseRecordArgs(['--url', 'http://localhost:1/x', '--duration', '2m'], {
      TEMPORAL_SUPERVISOR_INSPECTOR_TOKEN: TOKEN,
    });
    expect(fromEnv).toMatchObject({ token: TOKEN, durationMs: 120_000 });
    expect(fromEnv !== 'help' && fromEnv.url.href).toBe('http://localhost:1/x/');
    expect(parseRecordArgs(['--help'], {})).toBe('help');
    expect(() => parseRecordArgs([], {})).toThrow(/--url is required/);
    expect(() => parseRecordArgs(['--url', 'ftp://x/'], {})).toThrow(/http: or https:/);
    expect(() => parseRecordArgs(['--url', 'http://x/', '--duration', 'soon'], {})).toThrow(
      /--duration expects/,
    );
    // A token after a stray space is not echoed back.
    expect(() => parseRecordArgs(['--url', 'http://x/', '--token=', 'sk-secret-value'], {})).toThrow(
      /^(?!.*sk-secret-value).*takes only flags/,
    );
  });

  it('has a --help from its spec, and is listed in the top-level help', async () => {
    const help = io();
    expect(await run(['record', '--help'], help.io)).toBe(0);
    expect(help.stdout.join('')).toMatch(/Usage: temporal-supervisor record --url URL/);
    expect(help.stdout.join('')).toContain('TEMPORAL_SUPERVISOR_INSPECTOR_TOKEN');
    const top = io();
    expect(await run(['--help'], top.io)).toBe(0);
    expect(top.stdout.join('')).toMatch(/\n {2}record +Record a running service's inspector/);
    const bad = io();
    expect(await run(['record', '--nope'], bad.io)).toBe(2);
    expect(bad.stderr.join('')).toMatch(/^error: .*--nope/);
  });
});
