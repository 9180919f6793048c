/**
 * What the demo tells and does: the faults its buttons and tour inflict on Temporal, and one line per change of
 * the supervisor's state (for `temporal-supervisor demo`, src/cli/demo.ts).
 */
import type { LogFields, MessageMetaLogger } from '../logging/logger.js';
import type { Disposable } from '../runtime/transition-hub.js';
import { runtimeOf } from '../supervisor/internals.js';
import type { Supervisor } from '../supervisor/supervisor.js';
import type { DevServer } from '../testing/dev-server.js';
import type { FaultProxy } from '../testing/fault-proxy.js';
import type { TourFaults } from './tour.js';

/** What the buttons and the tour do to Temporal. */
export function faultsOf(
  server: DevServer | undefined,
  proxy: FaultProxy,
  say: (line: string) => void,
): TourFaults {
  const cutOff = async () => {
    await proxy.blackhole();
    say('network cut off: the proxy holds every byte between the service and Temporal (a black hole)');
  };
  const restore = async () => {
    await proxy.pass();
    say('network restored: the proxy forwards again');
  };
  if (server === undefined) {
    return {
      outageLabel: 'refuse every connection to Temporal and reset the open ones (as if it had died)',
      async outage() {
        await proxy.refuse();
        proxy.resetAll();
        say('Temporal unreachable: connections refused, open ones reset');
      },
      recoverLabel: 'let connections through again',
      restore,
      async recover() {
        await proxy.pass();
        say('Temporal reachable again');
      },
      cutOff,
    };
  }
  return {
    get outageLabel() {
      return `SIGKILL the Temporal server (pid ${server.pid})`;
    },
    async outage() {
      if (!server.running) {
        say('the Temporal server is not running');
        return;
      }
      const pid = server.pid;
      await server.kill();
      say(`Temporal server killed (SIGKILL, pid ${pid})`);
    },
    recoverLabel: 'restart the server on the same port and database',
    async recover() {
      if (server.running) {
        say('the Temporal server is already running');
        return;
      }
      say('starting the Temporal server again (same port, same database)…');
      await server.startAgain();
      say(
        `Temporal server back (pid ${server.pid}), ready in ${((server.timings.startToReadyMs ?? 0) / 1000).toFixed(1)} s`,
      );
    },
    cutOff,
    restore,
  };
}

/** One line per lifecycle change of the connection and per state change of the worker and creator. */
export function narrate(supervisor: Supervisor, say: (line: string) => void): Disposable {
  const lifecycle = supervisor.onStateChange(({ from, to, snapshot }) => {
    const failure = snapshot.lastFailure;
    const why = failure ? `: ${failure.code}, ${firstLine(failure.message)}` : '';
    const waiting =
      snapshot.pendingRequests > 0 ? `; ${plural(snapshot.pendingRequests, 'request')} waiting` : '';
    switch (to) {
      case 'connected':
        say(`supervisor: connected${from === 'degraded' ? ' (health checks pass again)' : ''}`);
        break;
      case 'degraded':
        say(`supervisor: degraded, health checks failing${why}`);
        break;
      case 'backoff':
        say(
          `supervisor: ${from === 'connecting' ? `connect attempt ${snapshot.attempt} failed` : `lost the connection (${from})`}${why}; next attempt in ${(snapshot.retryDelayMs / 1000).toFixed(1)} s${waiting}`,
        );
        break;
      case 'connecting':
        if (from === 'disconnected') say(`supervisor: connecting to ${runtimeOf(supervisor).address}`);
        break;
      default:
        say(`supervisor: ${from} → ${to}`);
    }
  });
  const children = supervisor.onTransition((transition) => {
    if (transition.actor === 'connection' || transition.from === transition.to) return;
    const [kind, name] = transition.actor.split(':');
    say(`supervisor: ${kind} ${name} ${transition.from} → ${transition.to}`);
  });
  return {
    dispose() {
      lifecycle.dispose();
      children.dispose();
    },
  };
}

function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

export function firstLine(text: string): string {
  const line = text.split('\n', 1)[0] ?? '';
  return line.length > 120 ? `${line.slice(0, 117)}…` : line;
}

/** The supervisor's own log lines (info and above), one compact line each. */
export function compactLogger(say: (line: string) => void): MessageMetaLogger {
  const line = (level: string) => (message: string, meta?: LogFields) =>
    say(
      `  log ${level}: ${message}${meta && Object.keys(meta).length > 0 ? ` ${JSON.stringify(meta)}` : ''}`,
    );
  return { debug: () => {}, info: line('info'), warn: line('warn'), error: line('error') };
}
