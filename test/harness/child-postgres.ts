/**
 * A process that starts one PostgresServer, prints `{"pid":…,"port":…,"dataDir":…}` on stdout and idles until
 * it is killed. postgres.test.ts kills it (SIGKILL, SIGTERM) to prove that its server does not survive it.
 */
import { PostgresServer } from './postgres.js';

const server = await PostgresServer.start();
process.stdout.write(`${JSON.stringify({ pid: server.pid, port: server.port, dataDir: server.dataDir })}\n`);
setInterval(() => {}, 60_000);
