/**
 * Never leave a harness process behind: the processes (or process groups) and temp dirs the harness starts are
 * registered here. Live ones are SIGKILLed, and their temp dirs removed, on `exit`, SIGINT, SIGTERM and SIGHUP;
 * and each process has a reaper (`sh`) watching a pipe held by this process: if this process dies, even by
 * SIGKILL, the pipe closes and the reaper SIGKILLs the process and removes its temp dir.
 *
 * A target is a pid, or a negative number naming a process group (`-pgid`), as for `kill(2)`. A target tracked
 * as a tree (a pid) is killed with its direct children: SIGSTOP first, so that it forks no new one meanwhile.
 * PostgreSQL needs it: each backend of a postmaster calls setsid(), so no process group holds them all.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { Socket } from 'node:net';

/** Target → whether its direct children die with it. */
const liveTargets = new Map<number, boolean>();
const tempDirs = new Set<string>();
let hooksInstalled = false;

/** A started process (or `-pgid`) killed if this process ends. Call {@link untrackProcess} once it exited. */
export function trackProcess(target: number, { tree = false }: { tree?: boolean } = {}): void {
  liveTargets.set(target, tree);
  installExitHooks();
}

export function untrackProcess(target: number): void {
  liveTargets.delete(target);
}

/** A temp dir removed if this process ends before {@link untrackTempDir}. */
export function trackTempDir(dir: string): void {
  tempDirs.add(dir);
  installExitHooks();
}

export function untrackTempDir(dir: string): void {
  tempDirs.delete(dir);
}

function killAllSync(): void {
  for (const [target, tree] of liveTargets) {
    if (tree) killTree(target);
    else signal(target, 'SIGKILL');
  }
  liveTargets.clear();
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
  tempDirs.clear();
}

function signal(target: number, name: NodeJS.Signals): boolean {
  try {
    process.kill(target, name);
    return true;
  } catch {
    return false; // already gone (or not ours)
  }
}

/**
 * SIGSTOPs `pid` (so it forks no new child), SIGKILLs its direct children, then `pid` itself. Returns every pid
 * it signalled, `pid` first; empty if `pid` was gone already.
 */
export function killTree(pid: number): number[] {
  if (!signal(pid, 'SIGSTOP')) return [];
  const children = childPids(pid);
  for (const child of children) signal(child, 'SIGKILL');
  signal(pid, 'SIGKILL');
  return [pid, ...children];
}

/** Direct children of `pid`, from /proc (Linux); empty without /proc. */
export function childPids(pid: number): number[] {
  let entries: string[];
  try {
    entries = readdirSync('/proc').filter((name) => /^\d+$/.test(name));
  } catch {
    return [];
  }
  const children: number[] = [];
  for (const entry of entries) {
    try {
      // pid (comm) state ppid …; comm may contain spaces and parentheses.
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) children.push(Number(entry));
    } catch {
      // gone in between
    }
  }
  return children;
}

function installExitHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  process.on('exit', killAllSync);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    const handler = (): void => {
      killAllSync();
      // Alone on this signal, our listener has replaced Node's default (exit): restore it and re-raise.
      if (process.listenerCount(signal) === 1) {
        process.removeListener(signal, handler);
        process.kill(process.pid, signal);
      }
    };
    process.on(signal, handler);
  }
}

/**
 * `sh` blocks reading a pipe whose write end only this process holds. A line on it ("disarm") lets the
 * reaper exit quietly; end of file (this process died, however) makes it SIGKILL `target` (with its direct
 * children if `tree`, found with procps' `ps`) and remove `tempDir`, if given. The reaper and its pipe are
 * unref'd: they never keep the event loop alive.
 */
export function spawnReaper(
  target: number,
  tempDir: string | undefined,
  { name = 'temporal-supervisor-reaper', tree = false }: { name?: string; tree?: boolean } = {},
): ChildProcess | undefined {
  // dash's `kill` takes no `--`: a negative target after `-9` is a process group all the same.
  const kill = tree ? 'kill -STOP "$1"; kill -9 "$1" $(ps -o pid= --ppid "$1" 2>/dev/null)' : 'kill -9 "$1"';
  const script = `read line || { ${kill}; [ -n "$2" ] && sleep 0.2 && rm -rf "$2"; } 2>/dev/null`;
  try {
    const reaper = spawn('/bin/sh', ['-c', script, name, String(target), tempDir ?? ''], {
      stdio: ['pipe', 'ignore', 'ignore'],
      // Own session: a Ctrl-C to the terminal's process group does not reach it before it has done its job.
      detached: true,
    });
    reaper.on('error', () => {});
    reaper.stdin?.on('error', () => {});
    reaper.unref();
    if (reaper.stdin instanceof Socket) reaper.stdin.unref();
    return reaper;
  } catch {
    return undefined;
  }
}

/** Lets a reaper exit without killing anything (its process exited and was cleaned up). */
export function disarmReaper(reaper: ChildProcess | undefined): void {
  if (reaper === undefined || reaper.exitCode !== null || reaper.signalCode !== null) return;
  reaper.stdin?.end('disarm\n');
}

/** Whether `pid` names a live process: false if it is gone or a zombie (dead, not yet reaped by its parent). */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    // Linux: a zombie whose parent died is reaped by pid 1, which may take a while (or never, in a container
    // whose init does not reap). It is dead all the same.
    return !/^\d+ \(.*\) Z/s.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch (error) {
    // No /proc (macOS): trust kill(0). /proc/<pid> vanished in between: it is gone.
    return (error as NodeJS.ErrnoException).code !== 'ENOENT' || !existsSync('/proc/self/stat');
  }
}
