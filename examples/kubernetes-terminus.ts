import { setTimeout as delay } from 'node:timers/promises';
import { createTerminus, HealthCheckError } from '@godaddy/terminus';
import { healthOf } from 'temporal-supervisor';
import { createOrdersService, PORT, READINESS_DELAY_MS } from './kubernetes-app.js';

const { supervisor, server } = createOrdersService();
const check = (probe: 'live' | 'ready') => async () => {
  const report = healthOf(supervisor);
  if (!report[probe]) throw new HealthCheckError(`not ${probe}`, report);
  return report;
};
// On SIGTERM terminus fails every health check at once, waits in beforeShutdown, closes the server, then
// calls onSignal: the supervisor stops after the last request was answered.
createTerminus(server, {
  healthChecks: { '/livez': check('live'), '/readyz': check('ready') },
  beforeShutdown: () => delay(READINESS_DELAY_MS),
  onSignal: () => supervisor.stop(),
  signals: ['SIGTERM'],
  useExit0: true,
});
supervisor.start();
server.listen(PORT);
