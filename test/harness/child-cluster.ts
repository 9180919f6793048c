/**
 * A process that starts one TemporalCluster, prints `{"pids":[…],"postgresPid":…,"dirs":[…]}` on stdout and idles until
 * it is killed. cluster.test.ts kills it to prove that no process of its cluster survives it.
 */
import { TemporalCluster } from './cluster.js';

const cluster = await TemporalCluster.start();
const pids = Object.values(cluster.services).map((service) => service.pid);
const dirs = [cluster.dir, cluster.postgres.dataDir];
process.stdout.write(`${JSON.stringify({ pids, postgresPid: cluster.postgres.pid, dirs })}\n`);
setInterval(() => {}, 60_000);
