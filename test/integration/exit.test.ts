/**
 * After stop(), nothing of the supervisor keeps the process alive: a child process that ran a worker, a
 * creator and a workflow against the real server, then stopped, exits by itself.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { useCleanups } from '../harness/cleanups.js';
import { DevServer } from '../harness/dev-server.js';

const script = fileURLToPath(new URL('../fixtures/exit-after-stop.ts', import.meta.url));
const defer = useCleanups();

describe('stop() leaves nothing behind', () => {
  it('a process that ran a supervised worker and creator exits by itself after stop()', async () => {
    const server = await DevServer.start();
    defer(() => server.dispose());
    const child = spawn(process.execPath, ['--import', 'tsx', script, server.address], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    const exit = await new Promise<{ code: number | null; stoppedToExitMs: number | undefined }>(
      (resolve) => {
        let stoppedAt: number | undefined;
        child.stdout.on('data', () => {
          if (stoppedAt === undefined && output.includes('stopped:')) stoppedAt = performance.now();
        });
        const timer = setTimeout(() => {
          child.kill('SIGKILL');
          resolve({ code: null, stoppedToExitMs: undefined });
        }, 60_000);
        child.on('exit', (code) => {
          clearTimeout(timer);
          resolve({
            code,
            stoppedToExitMs: stoppedAt === undefined ? undefined : performance.now() - stoppedAt,
          });
        });
      },
    );
    expect(output).toContain('stopped: {"worker:greeter":"stopped","creator:api":"stopped"}');
    expect(exit.code, output.slice(-2000)).toBe(0);
    console.log(`stop() → process exited by itself after ${exit.stoppedToExitMs?.toFixed(0)} ms`);
  });
});
