/**
 * `temporal-supervisor demo`: one command that starts a Temporal dev server (or uses `--address`), a fault
 * proxy in front of it, a sample orders service that embeds the supervisor (a worker and a workflow creator,
 * `POST /orders`), and the live inspector with buttons to kill, restart and cut off the server. It says what
 * happens to each order, and stops cleanly on Ctrl-C. `tour` plays a scripted lifecycle and exits. See
 * docs/demo.md.
 */
import { randomBytes } from 'node:crypto';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { compactLogger, faultsOf, firstLine, narrate } from '../demo/narration.js';
import { type OrderService, startOrderService } from '../demo/service.js';
import { playTour, type TourResult } from '../demo/tour.js';
import { type Inspector, type InspectorAction, startInspector } from '../inspector/server.js';
import type { Disposable } from '../runtime/transition-hub.js';
import { DevServer } from '../testing/dev-server.js';
import { FaultProxy } from '../testing/fault-proxy.js';
import {
  findTemporalCli,
  resolveTemporalCli,
  TEMPORAL_CLI_MODULE,
  TEMPORAL_CLI_VERSION,
  temporalCliCacheDir,
} from '../testing/temporal-cli.js';
import { banner, DEFAULT_DEMO_PORT, DEFAULT_INSPECTOR_PORT, type DemoOptions } from './demo-args.js';

export {
  DEFAULT_DEMO_PORT,
  DEFAULT_INSPECTOR_PORT,
  DEMO_HELP,
  type DemoOptions,
  parseDemoArgs,
} from './demo-args.js';

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
  // Stops a build of the temporal CLI on Ctrl-C or SIGTERM (a SIGTERM reaches only this process, not `go`).
  const building = new AbortController();
  const releaseSignals = io.onSignal((signal) => {
    if (stopSignal !== undefined) {
      fail(`${signal} again: exiting now, without a clean stop.`);
      (io.exit ?? ((code: number) => process.exit(code)))(130);
      return;
    }
    stopSignal = signal;
    building.abort();
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
      const cliPath = await temporalCli(say, fail, building.signal);
      if (cliPath === undefined) return stopSignal === undefined ? 1 : interruptedCode(stopSignal);
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

const WITH_ADDRESS =
  'temporal-supervisor demo --address 127.0.0.1:7233 (npm run demo -- --address … in a checkout)';

/**
 * The `temporal` CLI for the demo's dev server. When none is there it is built with `go install`, which takes
 * minutes: say so before, and how to skip it. Resolves `undefined` after saying why there is none.
 */
async function temporalCli(
  say: (line: string) => void,
  fail: (line: string) => void,
  signal: AbortSignal,
): Promise<string | undefined> {
  try {
    const found = await findTemporalCli(say);
    if (found !== undefined) return found;
    say(
      `no \`temporal\` CLI found (TEMPORAL_CLI, PATH, ${temporalCliCacheDir()}): building it once with \`go install ${TEMPORAL_CLI_MODULE}@${TEMPORAL_CLI_VERSION}\`. A cold build takes a few minutes; later runs use the cached binary.`,
    );
    say(`to skip the build, stop it (Ctrl-C) and use a Temporal server you already have: ${WITH_ADDRESS}`);
    return await resolveTemporalCli({ log: say, signal });
  } catch (error) {
    if (signal.aborted) {
      say(
        'stopped the build of the temporal CLI: nothing was started. Go keeps what it compiled, so the next run resumes it.',
      );
      return undefined;
    }
    fail(`error: ${(error as Error).message}`);
    fail(`Or run the demo against a Temporal server you already have: ${WITH_ADDRESS}`);
    return undefined;
  }
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
