/**
 * One server process of the harness: spawned with its output captured ({@link ProcessOutput}), killed by the
 * reaper if this process dies (reaper.ts), and stoppable by SIGTERM (with a SIGKILL after a timeout) or SIGKILL.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { ProcessOutput } from './output.js';
import { disarmReaper, spawnReaper, trackProcess, untrackProcess } from './reaper.js';
import type { DevServerExit } from './start-error.js';

export type ProcessExit = DevServerExit;

export interface ManagedProcessOptions {
  /** For the reaper's process title and messages. */
  name: string;
  /** Removed by the reaper if this process dies while the child runs. */
  tempDir?: string;
  /** Receives every output line. */
  onLine?: (line: string) => void;
}

export class ManagedProcess {
  /** -1 when the spawn itself failed (ENOENT, EACCES); `exit` follows at once. */
  readonly pid: number;
  readonly command: string;
  readonly args: readonly string[];
  readonly output = new ProcessOutput();
  /** Settles with how the process ended. */
  readonly exited: Promise<ProcessExit>;
  readonly #child: ChildProcess;
  readonly #reaper: ChildProcess | undefined;
  readonly #outputDone: Promise<void>;
  #exit: ProcessExit | undefined;

  constructor(command: string, args: string[], options: ManagedProcessOptions) {
    this.command = command;
    this.args = args;
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.#child = child;
    this.#outputDone = new Promise((resolve) => child.once('close', () => resolve()));
    const record = (line: string): void => {
      this.output.push(line);
      try {
        options.onLine?.(line);
      } catch {
        // a throwing callback must not break the harness
      }
    };
    for (const stream of [child.stdout, child.stderr]) {
      if (stream !== null) createInterface({ input: stream }).on('line', record);
    }
    let resolveExit: (exit: ProcessExit) => void = () => {};
    this.exited = new Promise((resolve) => {
      resolveExit = resolve;
    });
    const pid = child.pid;
    this.pid = pid ?? -1;
    if (pid === undefined) {
      this.#reaper = undefined;
      child.once('error', (error) => {
        record(`spawn ${command} failed: ${error.message}`);
        this.#exit = { code: null, signal: null };
        resolveExit(this.#exit);
      });
      return;
    }
    trackProcess(pid);
    this.#reaper = spawnReaper(pid, options.tempDir, { name: `${options.name}-reaper` });
    child.on('error', (error) => record(`[harness] process error: ${error.message}`));
    child.once('exit', (code, signal) => {
      untrackProcess(pid);
      disarmReaper(this.#reaper);
      this.#exit = { code, signal };
      resolveExit(this.#exit);
    });
  }

  /** How the process ended, once it has. */
  get exit(): ProcessExit | undefined {
    return this.#exit;
  }

  get running(): boolean {
    return this.#exit === undefined;
  }

  /** Waits (at most `timeoutMs`) until stdout and stderr are closed: every line is in `output`. */
  async outputComplete(timeoutMs = 1000): Promise<void> {
    await Promise.race([this.#outputDone, sleep(timeoutMs, undefined, { ref: false })]);
  }

  /** SIGKILL and wait for the exit. */
  async kill(): Promise<void> {
    if (this.#exit !== undefined) return;
    this.#child.kill('SIGKILL');
    await this.exited;
  }

  /** `signal` (SIGTERM by default), wait for the exit, SIGKILL if it takes longer than `timeoutMs`. */
  async stop({ timeoutMs = 10_000, signal = 'SIGTERM' as NodeJS.Signals } = {}): Promise<void> {
    if (this.#exit !== undefined) return;
    this.#child.kill(signal);
    const exited = await Promise.race([this.exited, sleep(timeoutMs, undefined, { ref: false })]);
    if (exited === undefined) await this.kill();
  }
}
