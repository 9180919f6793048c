import { createHealthHandler } from 'temporal-supervisor';
import { closeServer, createOrdersService, PORT, READINESS_DELAY_MS } from './kubernetes-app.js';

const { supervisor, server } = createOrdersService((supervisor) => ({
  '/livez': createHealthHandler(supervisor, 'live'),
  '/readyz': createHealthHandler(supervisor, 'ready'),
}));
supervisor.start();
server.listen(PORT);

process.once('SIGTERM', () => {
  // /readyz answers 503 at once; after the delay the server closes, then the supervisor stops.
  void supervisor.shutdown({ readinessDelay: READINESS_DELAY_MS, beforeStop: () => closeServer(server) });
});
