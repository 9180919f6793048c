/**
 * Runs a harness "owner" script (child-dev-server.ts, child-postgres.ts: start one server, print one JSON line,
 * idle) in its own Node process, so that a test can kill the owner and check that its server dies with it.
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

export interface Owner<T> {
  /** The JSON line the script printed once its server was ready. */
  info: T;
  /** Sends `signal` to the owner and waits for its exit. */
  kill(signal: NodeJS.Signals): Promise<void>;
}

/** Starts `script` under tsx and waits for its first stdout line; rejects with its stderr if it exits first. */
export async function startOwner<T>(script: string): Promise<Owner<T>> {
  const child = spawn(process.execPath, ['--import', 'tsx', script], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  try {
    const line = await new Promise<string>((resolve, reject) => {
      createInterface({ input: child.stdout }).once('line', resolve);
      child.once('exit', (code) =>
        reject(new Error(`${script} exited (${code}) before printing: ${stderr}`)),
      );
    });
    return {
      info: JSON.parse(line) as T,
      kill: async (signal) => {
        child.kill(signal);
        await exited;
      },
    };
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
}
