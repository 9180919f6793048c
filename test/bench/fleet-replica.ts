/**
 * One replica of the `fleet-real` benchmark, in a process of its own: a supervisor with the defaults and one
 * creator (no worker), against the address in argv[2]; argv[3], if given, is a JSON object of options over the
 * defaults (`reachabilityInterval`, `reconnectSpread`).
 *
 * Prints one JSON line per event on stdout: `{ type: 'state', at, from, to, failure }` for every change of the
 * coarse state (`at`: `performance.timeOrigin + performance.now()`, comparable with the parent's clock on the
 * same machine; `failure`: the code of the last failure), and `{ type: 'refused', at }` for every TCP connect of this process that failed (the port refused:
 * a reachability dial or an attempt while the server is down), which no proxy can count. Stops the supervisor
 * and exits when stdin ends (the parent closes it, or dies).
 */
import { subscribe } from 'node:diagnostics_channel';
import type { Socket } from 'node:net';
import { createSupervisor, type SupervisorOptions } from '../../src/index.js';

const address = process.argv[2] ?? '';
const overrides = JSON.parse(process.argv[3] ?? '{}') as Pick<
  SupervisorOptions,
  'reachabilityInterval' | 'reconnectSpread'
>;

const supervisor = createSupervisor({
  address,
  envConfig: false,
  creators: { bench: {} },
  ...overrides,
});
const print = (event: Record<string, unknown>) => process.stdout.write(`${JSON.stringify(event)}\n`);
const now = () => performance.timeOrigin + performance.now();

// Every client socket this process opens (the supervisor's dials, grpc-js's connections) has its `emit`
// wrapped, which passes every event on unchanged: a listener would not do, the dial removes every listener
// of its socket before destroying it.
subscribe('net.client.socket', (message) => {
  const { socket } = message as { socket: Socket };
  let connected = false;
  const emit = socket.emit;
  socket.emit = function (this: Socket, event: string | symbol, ...args: unknown[]) {
    if (event === 'connect') connected = true;
    else if (event === 'close' && !connected) print({ type: 'refused', at: now() });
    return Reflect.apply(emit, this, [event, ...args]) as boolean;
  } as Socket['emit'];
});
supervisor.onStateChange(({ from, to }) =>
  print({ type: 'state', at: now(), from, to, failure: supervisor.snapshot().lastFailure?.code }),
);
supervisor.start();

process.stdin.resume();
process.stdin.once('end', () => {
  void supervisor.stop().finally(() => process.exit(0));
});
