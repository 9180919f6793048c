/** A Node program run by a test: its output collected, its exit awaited, and killed after the test if alive. */
import { type ChildProcess, spawn } from 'node:child_process';

export interface Program {
  readonly child: ChildProcess;
  /** Resolves with how it ended. */
  readonly exit: Promise<{ code: number | null; signal: string | null; at: number }>;
  stdout(): string;
  stderr(): string;
  /** Its stdout lines that are JSON objects (pino's, and the program's own), parsed. */
  jsonLines<T = Record<string, unknown>>(): T[];
}

/**
 * Runs `node <args>` with `env` added to this process's environment; `defer` (from useCleanups) gets a
 * cleanup that SIGKILLs it if it still runs when the test ends.
 */
export function runProgram(
  args: readonly string[],
  options: { env: Record<string, string>; cwd?: string },
  defer: (cleanup: () => Promise<unknown>) => void,
): Program {
  const child = spawn(process.execPath, args, {
    cwd: options.cwd,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout?.on('data', (chunk: Buffer) => (out += chunk));
  child.stderr?.on('data', (chunk: Buffer) => (err += chunk));
  const exit = new Promise<{ code: number | null; signal: string | null; at: number }>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal, at: Date.now() }));
  });
  defer(async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  return {
    child,
    exit,
    stdout: () => out,
    stderr: () => err,
    jsonLines: <T>() =>
      out
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line) as T),
  };
}
