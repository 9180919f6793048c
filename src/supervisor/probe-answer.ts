import type { ProbeResult } from '../../machines/connection.types.js';
import type { Clock } from '../runtime/clock.js';

/**
 * A timer that fires this much after its time was late because the event loop was held (a GC pause, a
 * synchronous stretch of the host application): the answer may be waiting in the socket, unread. It gets one
 * more turn of the loop, in which pending I/O is read before timers run again, before the probe counts as
 * unanswered. A stalled client is not evidence against the server.
 */
export const LATE_TIMER_MS = 20;

/**
 * `call` (one health check), or `{ unanswered: true }` once `withinMs` has passed and the server has not
 * answered at all (`answered()` false: a draining frontend answering NOT_SERVING has answered, and its probe is
 * waited for while it renews the connection). The call given up is left to end on its own deadline, unreported:
 * the probe that `degraded` sends at once reports what the server does. Stops waiting when `signal` aborts.
 */
export function answeredWithin(
  call: Promise<ProbeResult>,
  withinMs: number,
  context: {
    readonly clock: Clock;
    readonly signal: AbortSignal;
    readonly started: number;
    readonly answered: () => boolean;
  },
): Promise<ProbeResult> {
  const { clock, signal, started, answered } = context;
  return new Promise<ProbeResult>((resolve, reject) => {
    let timer: unknown;
    const settle = () => {
      clock.clearTimeout(timer);
      signal.removeEventListener('abort', settle);
    };
    const giveUp = (lateChecked: boolean) => {
      if (answered()) return;
      const waited = clock.now() - started;
      if (!lateChecked && waited > withinMs + LATE_TIMER_MS) {
        timer = clock.setTimeout(() => giveUp(true), 0);
        return;
      }
      settle();
      resolve({ latencyMs: Math.round(waited * 10) / 10, unanswered: true });
    };
    signal.addEventListener('abort', settle);
    timer = clock.setTimeout(() => giveUp(false), withinMs);
    call.then(
      (result) => {
        settle();
        resolve(result);
      },
      (error: unknown) => {
        settle();
        reject(error);
      },
    );
  });
}
