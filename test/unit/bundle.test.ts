/**
 * The workflow bundle is built in a worker thread (src/temporal/bundle.ts): webpack never loads on this
 * thread, and this thread's timers keep firing while it builds. On this thread, the same bundle held the
 * event loop 0.65–3.5 s in one piece (docs/performance.md); a 20 ms timer would show a gap that long.
 */
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { bundleOffThread } from '../../src/temporal/bundle.js';
import { workflowsPath } from '../fixtures/index.js';

const require = createRequire(import.meta.url);
const webpackModulesHere = () =>
  Object.keys(require.cache).filter((path) => path.includes('/node_modules/webpack/')).length;

describe('bundleOffThread', () => {
  it('builds the fixtures’ bundle in another thread while this thread’s 20 ms timer keeps firing', async () => {
    // Precondition: nothing in this process has loaded webpack (else the check below could not fail).
    expect(webpackModulesHere()).toBe(0);
    const gaps: number[] = [];
    let last = performance.now();
    const timer = setInterval(() => {
      const now = performance.now();
      gaps.push(now - last);
      last = now;
    }, 20);
    try {
      const { code } = await bundleOffThread(workflowsPath).bundle;
      // (Booleans: a failed toContain would print the whole 1.6 MB bundle.)
      expect(code.includes('greetAfterSleep')).toBe(true);
      expect(code.includes('//# sourceMappingURL=data:application/json')).toBe(true);
    } finally {
      clearInterval(timer);
    }
    expect(webpackModulesHere()).toBe(0);
    // Bundling takes seconds here: the timer fired throughout, never held for the bundler's ~1 s set-up.
    expect(gaps.length).toBeGreaterThan(20);
    expect(Math.max(...gaps)).toBeLessThan(500);
  }, 120_000);

  it('builds again, and again, in the same process (a thread per bundle died of SIGSEGV at the second)', async () => {
    for (let i = 0; i < 3; i++) {
      const { code } = await bundleOffThread(workflowsPath).bundle;
      expect(code.includes('greetAfterSleep')).toBe(true);
    }
  }, 180_000);

  it('rejects with the bundler’s own error for a workflows file that does not exist', async () => {
    const job = bundleOffThread('/nonexistent/workflows.ts');
    await expect(job.bundle).rejects.toThrow(/nonexistent/);
  }, 120_000);

  it('cancel() rejects the bundle at once', async () => {
    const job = bundleOffThread(workflowsPath);
    job.cancel();
    job.cancel();
    await expect(job.bundle).rejects.toThrow(/abandoned/);
  });
});
