/**
 * Vitest global setup of the `browser` project: fails the whole project at once, loudly, when Chromium is
 * missing (the browser tests never skip), then resolves the `temporal` CLI as the integration project does.
 */

import { assertChromium } from '../harness/chromium.js';
import temporalSetup from '../harness/global-setup.js';

export default async function setup(): Promise<void> {
  assertChromium();
  await temporalSetup();
}
