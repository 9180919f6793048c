/**
 * One side of the `peers` benchmark (peers.ts) in a process of its own, so that no side slows another:
 * argv[2] names it (`sdk`, `nest`, `us`), argv[3] is its SideConfig (JSON). It sets the side up (connection,
 * worker, one start that succeeds) and says `ready`; on `go` (a line on stdin) it issues a start every
 * 1000 / startsPerSecond ms, each with a unique workflow id and the deadline the side is given, until `stop`;
 * then it waits until every start has settled, at most SETTLE_MS after the last was issued, says `done` with
 * those still unsettled, stops the side (bounded) and exits.
 *
 * Every event is a JSON line on stdout (peers-protocol.ts), with wall-clock times; anything else on stdout,
 * and stderr, is the side's own logging, which the parent keeps in a log file.
 */
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  type ChildEvent,
  describeRejection,
  now,
  type PeerSide,
  type SideConfig,
  type SideName,
} from './peers-protocol.js';

/** A start unsettled this long after it was issued is hung; waiting a little longer tells them apart. */
const SETTLE_MS = 31_000;
const STOP_MS = 20_000;

const sideName = process.argv[2] as SideName;
const config = JSON.parse(process.argv[3] ?? '{}') as SideConfig;

function emit(event: ChildEvent): void {
  process.stdout.write(`${JSON.stringify(event)}\n`);
}

async function load(): Promise<PeerSide> {
  switch (sideName) {
    case 'sdk':
      return (await import('./peer-sides/sdk.js')).sdkSide(config);
    case 'us':
      return (await import('./peer-sides/us.js')).usSide(config);
    case 'nest':
      return (await import('./peer-sides/nest.js')).nestSide(config);
    default:
      throw new Error(`Unknown side \`${String(sideName)}\`: expected sdk, nest or us.`);
  }
}

/** Starts once, retrying for up to a minute: the side is ready when a start goes through. */
async function warmUp(side: PeerSide): Promise<void> {
  const began = performance.now();
  for (let attempt = 1; ; attempt++) {
    try {
      await side.start(`${config.idPrefix}-warmup-${attempt}`);
      return;
    } catch (error) {
      if (performance.now() - began > 60_000) throw error;
      await sleep(500);
    }
  }
}

const pending = new Map<string, Promise<void>>();
let sequence = 0;

function issue(side: PeerSide): void {
  const id = `${config.idPrefix}-${++sequence}`;
  emit({ type: 'issued', id, at: now() });
  const settled = side.start(id).then(
    () => emit({ type: 'started', id, at: now() }),
    (error: unknown) => {
      const rejection = { ...describeRejection(error), ...side.classify?.(error) };
      emit({ type: 'rejected', id, at: now(), rejection });
    },
  );
  pending.set(
    id,
    settled.finally(() => pending.delete(id)),
  );
}

async function main(): Promise<void> {
  const began = performance.now();
  const side = await load();
  await warmUp(side);
  let lastStatus = '';
  const statusTimer = setInterval(() => {
    let status: Record<string, unknown>;
    try {
      status = side.status();
    } catch (error) {
      status = { statusError: error instanceof Error ? error.message : String(error) };
    }
    const text = JSON.stringify(status);
    if (text !== lastStatus) emit({ type: 'status', at: now(), status });
    lastStatus = text;
  }, 100);
  emit({ type: 'ready', at: now(), setupMs: Math.round(performance.now() - began) });

  const lines = createInterface({ input: process.stdin });
  let stream: NodeJS.Timeout | undefined;
  const stopped = new Promise<void>((resolve) => {
    lines.on('line', (line) => {
      if (line === 'go' && stream === undefined) {
        stream = setInterval(() => issue(side), 1000 / config.startsPerSecond);
      } else if (line === 'stop') {
        clearInterval(stream);
        resolve();
      }
    });
    // The parent went away: stop as if told to.
    lines.once('close', () => resolve());
  });
  await stopped;
  clearInterval(stream);
  await Promise.race([Promise.all(pending.values()), sleep(SETTLE_MS)]);
  emit({ type: 'done', at: now(), unsettled: [...pending.keys()] });
  clearInterval(statusTimer);
  await Promise.race([side.stop().catch(() => {}), sleep(STOP_MS)]);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    emit({
      type: 'failed',
      at: now(),
      message: error instanceof Error ? (error.stack ?? error.message) : String(error),
    });
    process.exit(1);
  },
);
