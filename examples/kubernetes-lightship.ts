import { createLightship } from 'lightship';
import { healthOf } from 'temporal-supervisor';
import { closeServer, createOrdersService, PORT, READINESS_DELAY_MS } from './kubernetes-app.js';

const { supervisor, server } = createOrdersService();
// Lightship serves /live and /ready on its own port (LIGHTSHIP_PORT, default 9000).
const lightship = await createLightship({ detectKubernetes: false, shutdownDelay: READINESS_DELAY_MS });
supervisor.onStateChange(() => {
  if (healthOf(supervisor).ready) lightship.signalReady();
  else if (lightship.isServerReady()) lightship.signalNotReady();
});
// On SIGTERM lightship fails /ready at once, waits shutdownDelay, then runs these in order.
lightship.registerShutdownHandler(() => closeServer(server));
lightship.registerShutdownHandler(() => supervisor.stop());
supervisor.start();
server.listen(PORT);
