/** Ports on 127.0.0.1 for the harness's servers: free ones, and starts that race someone else for a port. */
import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

const HOST = '127.0.0.1';
/** What a Go or PostgreSQL server prints when its port is taken. */
export const ADDRESS_IN_USE = /address already in use/i;

/**
 * A port that was free a moment ago on 127.0.0.1, below the ephemeral range (see `findFreePorts`). Not what
 * binding :0 gives: that is an ephemeral port, and the next process asking the kernel for one may get the same
 * (seen in a loaded CI run: the dev server's own "random free port" for its HTTP API was the gRPC port the
 * harness had picked a moment before, and it exited with "address already in use"); the local ports of
 * outgoing connections come from that range too, so a port held for a restart could be taken meanwhile.
 */
export async function findFreePort(): Promise<number> {
  const [port] = await findFreePorts(1);
  return port!;
}

/**
 * `count` distinct ports in `min..max` that were free a moment ago (each bound until all are found, then
 * released), picked at random. Below 32768 by default: Temporal stores membership ports in a PostgreSQL
 * `smallint`, and Linux hands out ephemeral ports (what binding :0 gives) from 32768 up.
 */
export async function findFreePorts(count: number, { min = 10_000, max = 32_767 } = {}): Promise<number[]> {
  const held: ReturnType<typeof createServer>[] = [];
  const ports: number[] = [];
  try {
    for (let tries = 0; ports.length < count; tries++) {
      if (tries > count * 50)
        throw new Error(`Could not find ${count} free ports in ${min}..${max} on ${HOST}.`);
      const port = min + Math.floor(Math.random() * (max - min + 1));
      if (ports.includes(port)) continue;
      const server = createServer();
      const bound = await new Promise<boolean>((resolve) => {
        server.once('error', () => resolve(false));
        server.listen(port, HOST, () => resolve(true));
      });
      if (!bound) continue;
      held.push(server);
      ports.push(port);
    }
    return ports;
  } finally {
    await Promise.all(held.map((server) => new Promise((resolve) => server.close(resolve))));
  }
}

async function canBind(port: number): Promise<boolean> {
  const server = createServer();
  const bound = await new Promise<boolean>((resolve) => {
    server.once('error', () => resolve(false));
    server.listen(port, HOST, () => resolve(true));
  });
  if (bound) await new Promise<void>((resolve) => server.close(() => resolve()));
  return bound;
}

/** Waits until `port` can be bound on 127.0.0.1, or `deadline` (epoch ms) has passed. */
export async function waitForPortFree(port: number, deadline: number): Promise<void> {
  while (!(await canBind(port)) && Date.now() < deadline) await sleep(100);
}

/**
 * Starts a server again on the port its previous process held: waits (up to 10 s) for the port to be free,
 * runs `start`, and runs it again (5 attempts in all, after `cleanup`) while `output()` says the address is
 * still in use: the previous process may hold it a moment after its exit was seen.
 */
export async function startOnSamePort(
  port: number,
  start: () => Promise<void>,
  output: () => string,
  cleanup: () => Promise<void> = async () => {},
): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (let attempt = 1; ; attempt++) {
    await waitForPortFree(port, deadline);
    try {
      await start();
      return;
    } catch (error) {
      await cleanup();
      if (attempt >= 5 || !ADDRESS_IN_USE.test(output())) throw error;
      await sleep(200 * attempt);
    }
  }
}
