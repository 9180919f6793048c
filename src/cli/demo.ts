/**
 * `temporal-supervisor demo`: one command that starts a Temporal dev server (or uses `--address`), a fault
 * proxy in front of it, a sample orders service that embeds the supervisor (a worker and a workflow creator,
 * `POST /orders`), and the live inspector with buttons to kill, restart and cut off the server. It says what
 * happens to each order, and stops cleanly on Ctrl-C. `tour` plays a scripted lifecycle and exits. See
 * docs/demo.md.
 */
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { compactLogger, faultsOf, firstLine, narrate } from '../demo/narration.js';
import { type OrderService, startOrderService } from '../demo/service.js';
import { playTour, type TourResult } from '../demo/tour.js';
import { type Inspector, type InspectorAction, startInspector } from '../inspector/server.js';
import type { Disposable } from '../runtime/transition-hub.js';
import { DevServer } from '../testing/dev-server.js';
import { FaultProxy } from '../testing/fault-proxy.js';
import { resolveTemporalCli } from '../testing/temporal-cli.js';

export interface DemoOptions {
  /** An existing Temporal frontend (`host:port`); without it the demo starts a dev server of its own. */
  address?: string;
  /** @default 'default' */
  namespace?: string;
  /** The orders service's HTTP port; 0 picks a free one. @default 3000, or a free one if 3000 is taken */
  port?: number;
  /** The inspector's port; 0 picks a free one. @default 9233, or a free one if 9233 is taken */
  inspectorPort?: number;
  /** Play the tour, then stop and exit: 0 if every order was accounted for. @default false */
  tour?: boolean;
  /** How long each workflow sleeps on its durable timer. @default 3000 */
  packingMs?: number;
  /** Print the supervisor's own log lines (info and above) too. @default false */
  verbose?: boolean;
}

export type DemoSignal = 'SIGINT' | 'SIGTERM';

/** Where the demo writes, and how it hears signals: the process by default, buffers in tests. */
export interface DemoIo {
  readonly stdout: { write(text: string): unknown };
  readonly stderr: { write(text: string): unknown };
  /** Calls `handler` on SIGINT or SIGTERM until the returned function is called. */
  onSignal(handler: (signal: DemoSignal) => void): () => void;
  /** Ends the process at once: on a second Ctrl-C. @default process.exit */
  exit?(code: number): void;
}

export const DEFAULT_DEMO_PORT = 3000;
export const DEFAULT_INSPECTOR_PORT = 9233;

export const DEMO_HELP = `Usage: temporal-supervisor demo [--tour] [--address host:port] [--port N] [--inspector-port N]

Starts a Temporal dev server (or uses --address), a sample orders service that embeds the supervisor (a worker
and a workflow creator, POST /orders), and the live inspector with buttons to kill, restart and cut off the
server. It prints where to look, says what happens to each order, and stops cleanly on Ctrl-C.

  --tour                 play a scripted lifecycle (about a minute), then exit: 0 if every order was
                         accounted for (started and completed, or rejected with TemporalUnavailableError)
  --address host:port    use this Temporal server instead of starting one (no kill/restart buttons)
  --namespace NAME       with --address (default: default)
  --port N               the orders service's HTTP port (default ${DEFAULT_DEMO_PORT}; 0: any free port)
  --inspector-port N     the inspector's port (default ${DEFAULT_INSPECTOR_PORT}; 0: any free port)
  --verbose              print the supervisor's own log lines too
  -h, --help             this text

The dev server is the \`temporal\` CLI: TEMPORAL_CLI, else \`temporal\` on PATH, else the cached build in
~/.cache/temporal-supervisor, else built once with \`go install\` (needs Go >= 1.23).
`;

/** Parses the demo's flags. @throws Error naming the flag and the fix. */
export function parseDemoArgs(argv: readonly string[]): DemoOptions | 'help' {
  const { values } = parseArgs({
    args: [...argv],
    strict: true,
    allowPositionals: false,
    options: {
      tour: { type: 'boolean' },
      address: { type: 'string' },
      namespace: { type: 'string' },
      port: { type: 'string' },
      'inspector-port': { type: 'string' },
      verbose: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return 'help';
  const port = (flag: string, value: string | undefined) => {
    if (value === undefined) return undefined;
    const n = Number(value);
    if (!/^\d+$/.test(value) || n > 65_535) {
      throw new Error(
        `Expected ${flag} to be a port number from 0 to 65535 (0: any free port), got '${value}'.`,
      );
    }
    return n;
  };
  if (values.namespace !== undefined && values.address === undefined) {
    throw new Error(
      '--namespace applies to a server given with --address; the demo’s own server has only "default".',
    );
  }
  const options: DemoOptions = { tour: values.tour === true, verbose: values.verbose === true };
  const servicePort = port('--port', values.port);
  const inspectorPort = port('--inspector-port', values['inspector-port']);
  if (servicePort !== undefined) options.port = servicePort;
  if (inspectorPort !== undefined) options.inspectorPort = inspectorPort;
  if (values.address !== undefined) options.address = values.address;
  if (values.namespace !== undefined) options.namespace = values.namespace;
  return options;
}
const PORT_IN_USE = 'EADDRINUSE';

/** The process's streams and signals. */
export const processIo: DemoIo = {
  stdout: process.stdout,
  stderr: process.stderr,
  onSignal(handler) {
    const signals: DemoSignal[] = ['SIGINT', 'SIGTERM'];
    const listeners = signals.map((signal) => [signal, () => handler(signal)] as const);
    for (const [signal, listener] of listeners) process.on(signal, listener);
    return () => {
      for (const [signal, listener] of listeners) process.off(signal, listener);
    };
  },
  exit: (code) => process.exit(code),
};

/**
 * Runs the demo until Ctrl-C (or SIGTERM), or, with `tour`, until the tour ends. Resolves with the exit code:
 * 0 after a clean stop on a signal, or a tour with every order accounted for; 130 (SIGINT) or 143 (SIGTERM)
 * when a signal stopped a tour before its end; 1 on a failure (a tour's, the start-up's, or a stop's).
 */
export async function runDemo(options: DemoOptions = {}, io: DemoIo = processIo): Promise<number> {
  const t0 = Date.now();
  const say = (line: string) => {
    const at = ((Date.now() - t0) / 1000).toFixed(1).padStart(5);
    io.stdout.write(`[${at}s] ${line}\n`);
  };
  const fail = (line: string) => io.stderr.write(`${line}\n`);

  let stopSignal: DemoSignal | undefined;
  // Stopped by a signal: a clean stop is a success, except for a tour, which did not get to its end.
  const interruptedCode = (signal: DemoSignal) => (!options.tour ? 0 : signal === 'SIGINT' ? 130 : 143);
  let onStop: () => void = () => {};
  const stopped = new Promise<void>((resolve) => {
    onStop = resolve;
  });
  const releaseSignals = io.onSignal((signal) => {
    if (stopSignal !== undefined) {
      fail(`${signal} again: exiting now, without a clean stop.`);
      (io.exit ?? ((code: number) => process.exit(code)))(130);
      return;
    }
    stopSignal = signal;
    io.stdout.write('\n');
    say(
      `${signal}: stopping the inspector, the service, the supervisor, the proxy and the server… (again to force)`,
    );
    onStop();
  });

  // The demo owns its signals: without this the Temporal SDK would shut the worker down on Ctrl-C by itself,
  // behind the supervisor's back. It must happen before any worker exists.
  // Its own log lines (worker state changes, core's retry warnings) go through the narration, errors only
  // unless --verbose.
  try {
    Runtime.install({
      shutdownSignals: [],
      logger: new DefaultLogger(options.verbose ? 'INFO' : 'ERROR', ({ level, message, meta }) =>
        say(
          `  sdk ${level.toLowerCase()}: ${firstLine(message)}${meta?.taskQueue ? ` (task queue ${meta.taskQueue})` : ''}`,
        ),
      ),
      telemetryOptions: {
        logging: { filter: { core: options.verbose ? 'WARN' : 'ERROR', other: 'ERROR' }, forward: {} },
      },
    });
  } catch {
    say(
      'note: the Temporal SDK runtime was already installed by this process; its own signal handlers stay.',
    );
  }

  let server: DevServer | undefined;
  let proxy: FaultProxy | undefined;
  let service: OrderService | undefined;
  let inspector: Inspector | undefined;
  let narration: Disposable | undefined;
  let code = 0;
  try {
    // 1. Temporal: the given server, or a dev server of our own.
    let target: { host: string; port: number };
    if (options.address !== undefined) {
      target = parseAddress(options.address);
      say(
        `using the Temporal server at ${options.address} (the kill and restart buttons need the demo's own server)`,
      );
    } else {
      let cliPath: string;
      try {
        cliPath = await resolveTemporalCli({ log: (line) => say(line) });
      } catch (error) {
        fail(`error: ${(error as Error).message}`);
        fail(
          'Or run the demo against a Temporal server you already have: npm run demo -- --address 127.0.0.1:7233',
        );
        return 1;
      }
      say('starting a Temporal dev server…');
      server = await DevServer.start({ cliPath });
      say(
        `Temporal dev server ready on ${server.address} (pid ${server.pid}) in ${((server.timings.startToReadyMs ?? 0) / 1000).toFixed(1)} s`,
      );
      target = { host: '127.0.0.1', port: server.port };
    }
    if (stopSignal !== undefined) throw new Error('stopped during start-up');

    // 2. The network between the service and Temporal, which the buttons cut off and restore.
    proxy = await FaultProxy.start({ target });

    // 3. The service, with its supervisor.
    const session = randomBytes(3).toString('hex');
    const logger = options.verbose ? compactLogger(say) : undefined;
    const serviceOptions = {
      address: proxy.address,
      session,
      say,
      ...(options.namespace !== undefined ? { namespace: options.namespace } : {}),
      ...(options.packingMs !== undefined ? { packingMs: options.packingMs } : {}),
      ...(logger !== undefined ? { logger } : {}),
    };
    service = await listenWithFallback(options.port, DEFAULT_DEMO_PORT, '--port', say, (port) =>
      startOrderService({ ...serviceOptions, port }),
    );
    narration = narrate(service.supervisor, say);
    const supervisor = service.supervisor;
    const ownService = service;
    const ownProxy = proxy;

    // 4. The inspector and its buttons.
    const faults = faultsOf(server, ownProxy, say);
    let tours = 0;
    let tourRunning = false;
    const tour = async (): Promise<TourResult> => {
      tourRunning = true;
      try {
        return await playTour({ service: ownService, faults, say, tourNumber: ++tours, stopped });
      } finally {
        tourRunning = false;
      }
    };
    const actions: Record<string, InspectorAction> = {};
    if (server !== undefined) {
      const own = server;
      actions.kill = { label: 'Kill Temporal server (SIGKILL)', run: () => faults.outage() };
      actions.restart = {
        label: 'Restart Temporal server',
        run: async () => {
          if (own.running) {
            say(
              `restarting the Temporal server (SIGTERM, then start on port ${own.port} with the same database)…`,
            );
            await own.restart();
            say(
              `Temporal server back (pid ${own.pid}) in ${((own.timings.restartToReadyMs ?? 0) / 1000).toFixed(1)} s`,
            );
          } else {
            await faults.recover();
          }
        },
      };
    }
    actions.retry = {
      label: 'Retry now (skip the backoff)',
      run: () => {
        say(`retry now (the inspector button; the supervisor was ${supervisor.state})`);
        supervisor.retryNow();
      },
    };
    actions.cutoff = { label: 'Cut off the network', run: () => faults.cutOff() };
    actions.restore = { label: 'Restore the network', run: () => faults.restore() };
    actions.orders = {
      label: 'Start 5 workflows',
      run: () => {
        say('starting 5 workflows (the inspector button)');
        for (let i = 0; i < 5; i++) void ownService.place();
      },
    };
    actions.tour = {
      label: 'Play the tour (about a minute)',
      run: () => {
        if (tourRunning) throw new Error('The tour is already playing.');
        void tour().then((result) => say(result.summary));
      },
    };
    inspector = await listenWithFallback(
      options.inspectorPort,
      DEFAULT_INSPECTOR_PORT,
      '--inspector-port',
      say,
      (port) => startInspector(supervisor, { port, title: 'temporal-supervisor demo', actions }),
    );

    // 5. Where to look.
    io.stdout.write(
      banner({
        inspector: inspector.url,
        service: ownService.url,
        temporal: server
          ? `${server.address} (dev server pid ${server.pid}, started by the demo)`
          : `${target.host}:${target.port}`,
        proxy: ownProxy.address,
        tour: options.tour === true,
        ownServer: server !== undefined,
      }),
    );

    // 6. The tour, or wait for Ctrl-C.
    if (options.tour) {
      const result = await tour();
      say(result.summary);
      code = stopSignal !== undefined ? interruptedCode(stopSignal) : result.ok ? 0 : 1;
    } else {
      await stopped;
    }
  } catch (error) {
    if (stopSignal !== undefined) {
      // Stopped during start-up: whatever was starting failed because of it (the dev server was killed).
      code = interruptedCode(stopSignal);
    } else {
      fail(`error: ${(error as Error).message}`);
      code = 1;
    }
  } finally {
    narration?.dispose();
    const steps: Array<[string, () => Promise<unknown> | undefined]> = [
      ['inspector', () => inspector?.close()],
      ['service and supervisor', () => service?.close()],
      ['proxy', () => proxy?.close()],
      ['dev server', () => server?.dispose()],
    ];
    for (const [what, stop] of steps) {
      try {
        await stop();
      } catch (error) {
        fail(`stopping the ${what} failed: ${(error as Error).message}`);
        code = 1;
      }
    }
    releaseSignals();
    say(
      `stopped${server ? `: the dev server (pid ${server.pid}) is gone` : ''}; ${code === 0 ? 'bye' : `exit code ${code}`}.`,
    );
  }
  return code;
}

/**
 * Listens on `given`, or on `fallback` when no port was given; if `fallback` is taken, on any free port
 * (and says so). A port the user gave that is taken is an error naming the flag.
 */
async function listenWithFallback<T>(
  given: number | undefined,
  fallback: number,
  flag: string,
  say: (line: string) => void,
  listen: (port: number) => Promise<T>,
): Promise<T> {
  try {
    return await listen(given ?? fallback);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== PORT_IN_USE) throw error;
    if (given !== undefined) {
      throw new Error(`port ${given} (${flag}) is in use: choose another, or ${flag} 0 for any free port.`);
    }
    say(`port ${fallback} is in use: using a free port instead (choose one with ${flag})`);
    return await listen(0);
  }
}

function parseAddress(address: string): { host: string; port: number } {
  const match = /^(?<host>\[[0-9a-fA-F:]+\]|[^:\s]+):(?<port>\d{1,5})$/.exec(address);
  const port = Number(match?.groups?.port);
  if (!match?.groups?.host || !(port > 0 && port < 65_536)) {
    throw new Error(
      `Expected --address to be host:port, e.g. 127.0.0.1:7233, got ${JSON.stringify(address)}.`,
    );
  }
  return { host: match.groups.host.replace(/^\[|\]$/g, ''), port };
}

function banner(where: {
  inspector: string;
  service: string;
  temporal: string;
  proxy: string;
  tour: boolean;
  ownServer: boolean;
}): string {
  const curl = `curl -i -X POST ${where.service}/orders -H 'content-type: application/json' -d '{"orderId":"42"}'`;
  const lines = [
    '',
    '  temporal-supervisor demo: an orders service that embeds a supervisor (one worker, one workflow creator)',
    '',
    `  inspector        ${where.inspector}   <- open this: the statecharts live, a timeline, and buttons`,
    `  orders service   ${where.service}/orders   (POST to place an order, GET to list them)`,
    `  Temporal         ${where.temporal}`,
    `  network          the service reaches Temporal through a fault proxy on ${where.proxy}`,
    '',
  ];
  if (where.tour) {
    lines.push(
      '  The tour plays by itself (about a minute) and then exits; watch it in the inspector. Ctrl-C stops it.',
    );
  } else {
    lines.push(
      '  Place an order:',
      `    ${curl}`,
      where.ownServer
        ? '  Then click "Kill Temporal server" in the inspector and place another: it waits. Click "Restart" and it runs.'
        : '  Then click "Cut off the network" in the inspector and place another: it waits. "Restore" and it runs.',
      '  Or click "Play the tour". Press Ctrl-C to stop everything.',
    );
  }
  lines.push('', '');
  return lines.join('\n');
}
