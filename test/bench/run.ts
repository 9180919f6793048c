/**
 * The benchmarks against a real Temporal dev server.
 *
 *   npm run bench -- [--quick] [--json FILE] [--only NAME[,NAME…]] [--svg FILE]
 *
 * Starts one dev server (the harness's; TEMPORAL_CLI or the cached build), runs each benchmark in turn
 * (each may kill and restart the server), prints a Markdown table of the figures with their targets and
 * the notes each benchmark wrote, writes the figures under exactly the keys of `FIGURE_KEYS` with `--json`
 * (`null` for a figure not measured), and writes the chaos run's SVG timeline (default
 * docs/performance-timeline.svg). Targets are goals, not assertions: the exit code is 1 only when a
 * benchmark failed to run.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { DevServer } from '../harness/dev-server.js';
import { BENCHMARKS } from './benchmarks.js';
import type { BenchContext, Benchmark } from './context.js';
import { ensureServerUp, sdkLogTail } from './context.js';
import { completeFigures, type Figures, renderTable } from './figures.js';

const USAGE = `Usage: npm run bench -- [--quick] [--json FILE] [--only NAME[,NAME…]] [--svg FILE]
  --quick        fewer trials and requests (CI smoke run)
  --json FILE    write the figures as JSON (every key; null when not measured)
  --only NAMES   run only these benchmarks: ${BENCHMARKS.map((b) => b.name).join(', ')}
  --svg FILE     where the chaos run's timeline goes (default docs/performance-timeline.svg)`;

function parse() {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      json: { type: 'string' },
      only: { type: 'string', multiple: true },
      svg: { type: 'string', default: 'docs/performance-timeline.svg' },
      help: { type: 'boolean', default: false },
    },
    strict: true,
  });
  const names = (values.only ?? []).flatMap((value) => value.split(',')).filter(Boolean);
  for (const name of names) {
    if (!BENCHMARKS.some((b) => b.name === name)) {
      throw new Error(
        `Unknown benchmark \`${name}\` in --only. Known: ${BENCHMARKS.map((b) => b.name).join(', ')}.`,
      );
    }
  }
  return { ...values, names };
}

function log(line: string): void {
  process.stderr.write(`${line}\n`);
}

async function runOne(benchmark: Benchmark, base: Omit<BenchContext, 'defer'>) {
  const cleanups: (() => Promise<unknown> | unknown)[] = [];
  const started = performance.now();
  log(`▶ ${benchmark.name}`);
  try {
    return await benchmark.run({ ...base, defer: (cleanup) => cleanups.push(cleanup) });
  } finally {
    for (const cleanup of cleanups.reverse()) {
      try {
        await cleanup();
      } catch (error) {
        log(`  cleanup failed: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
    await ensureServerUp(base.server);
    log(`  ${benchmark.name} took ${((performance.now() - started) / 1000).toFixed(1)} s`);
  }
}

async function main(): Promise<number> {
  let args: ReturnType<typeof parse>;
  try {
    args = parse();
  } catch (error) {
    log(`${error instanceof Error ? error.message : String(error)}\n${USAGE}`);
    return 2;
  }
  if (args.help) {
    log(USAGE);
    return 0;
  }
  const selected = args.names.length ? BENCHMARKS.filter((b) => args.names.includes(b.name)) : BENCHMARKS;
  const server = await DevServer.start({ readyTimeoutMs: 120_000 });
  const runId = Date.now().toString(36);
  log(
    `dev server ${server.address} ready in ${server.timings.startToReadyMs} ms; run ${runId}${args.quick ? ' (quick)' : ''}`,
  );
  const figures: Partial<Figures> = {};
  const notes: string[] = [];
  let failed = 0;
  const started = performance.now();
  try {
    for (const benchmark of selected) {
      try {
        const result = await runOne(benchmark, { quick: args.quick, server, runId, log });
        Object.assign(figures, result.figures);
        notes.push(...result.notes.map((note) => `${benchmark.name}: ${note}`));
        if (result.svg !== undefined) {
          const file = resolve(args.svg);
          mkdirSync(dirname(file), { recursive: true });
          writeFileSync(file, result.svg);
          log(`  timeline written to ${args.svg}`);
        }
      } catch (error) {
        failed++;
        const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
        log(`  ${benchmark.name} FAILED: ${message}`);
        notes.push(`${benchmark.name}: FAILED: ${error instanceof Error ? error.message : String(error)}`);
        if (sdkLogTail.length) log(`  last SDK log lines:\n${sdkLogTail.join('\n')}`);
      }
    }
  } finally {
    await server.dispose();
  }
  const complete = completeFigures(figures);
  const minutes = ((performance.now() - started) / 60_000).toFixed(1);
  process.stdout.write(
    `\n${renderTable(complete)}\n\n` +
      `Run ${runId}: ${args.quick ? '--quick, ' : ''}${selected.map((b) => b.name).join(', ')}; ${minutes} min; ` +
      `node ${process.version}, ${process.platform}/${process.arch}.\n\n` +
      `${notes.map((note) => `- ${note}`).join('\n')}\n`,
  );
  if (args.json) {
    const file = resolve(args.json);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, `${JSON.stringify(complete, null, 2)}\n`);
    log(`figures written to ${args.json}`);
  }
  return failed ? 1 : 0;
}

const code = await main().catch((error: unknown) => {
  log(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  return 1;
});
process.exitCode = code;
// Everything was stopped and closed; if something still holds the loop, say what and leave anyway.
setTimeout(() => {
  log(`still running after 10 s: ${process.getActiveResourcesInfo().join(', ')}; exiting`);
  process.exit(code);
}, 10_000).unref();
