import { beforeAll, describe, expect, it } from 'vitest';
import { loadWorkerPackage } from '../../src/temporal/worker-package.js';
import { MODELS } from './models.js';

// @temporalio/worker is loaded lazily, on the first worker; load it before the manual clock runs the paths.
beforeAll(() => loadWorkerPackage());

for (const model of MODELS) {
  const { paths, all, unreached } = model.generate();

  describe(`${model.name} statechart: one generated path per transition, replayed on the real runtime`, () => {
    it('reaches every transition of the machine with the model events', () => {
      expect(unreached.map((t) => t.key)).toEqual([]);
      expect(paths).toHaveLength(all.length);
    });

    for (const path of paths) {
      const route = path.steps.map((s) => (s.event as { type: string }).type).join(' → ');
      it(`${path.transition.key}: ${route}`, async () => {
        expect(await model.replay(path)).toBeUndefined();
      });
    }
  });
}
