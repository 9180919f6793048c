/**
 * A process that starts one DevServer, prints `{"pid":…,"port":…,"dbFile":…}` on stdout and idles until it
 * is killed. dev-server.test.ts kills it (SIGKILL, SIGTERM) to prove that its server does not survive it.
 */
import { DevServer } from './dev-server.js';

const server = await DevServer.start();
process.stdout.write(`${JSON.stringify({ pid: server.pid, port: server.port, dbFile: server.dbFile })}\n`);
setInterval(() => {}, 60_000);
