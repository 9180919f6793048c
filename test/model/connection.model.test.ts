import { describe, expect, it } from 'vitest';
import { connectionPaths, describeEvent, replay } from './connection.model.js';

const { paths, all, unreached } = connectionPaths();

describe('connection statechart: one generated path per transition, replayed on the real runtime', () => {
  it('reaches every transition of the machine with the model events', () => {
    expect(unreached.map((t) => t.key)).toEqual([]);
    expect(paths).toHaveLength(all.length);
  });

  for (const path of paths) {
    const route = path.steps.map((s) => describeEvent(s.event)).join(' → ');
    it(`${path.transition.key}: ${route}`, async () => {
      expect(await replay(path)).toBeUndefined();
    });
  }
});
