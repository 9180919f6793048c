/**
 * Installs the `peers` benchmark's nestjs-temporal-core side (test/bench/peer-nest: a package.json and its
 * committed package-lock.json: Nest 11, which the package's peer range allows, while the root has Nest 12) into a cache
 * directory outside the clone, `<cacheRoot>/peer-nest-<hash of the lock>`, with
 * `npm ci --no-audit --no-fund --ignore-scripts`, once; later runs reuse it. Install scripts are off as in
 * the root (whose `allowScripts` denies the few that exist; @temporalio/core-bridge has none and ships its
 * prebuilt binaries in the package). Not part of `npm test`: CI never installs it.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { cp, mkdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cacheRoot } from '../../../src/testing/go-build.js';

const PACKAGE = fileURLToPath(new URL('../peer-nest/', import.meta.url));
const FILES = ['package.json', 'package-lock.json'];

function run(command: string, args: readonly string[], cwd: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (chunk: Buffer) => {
      err = (err + chunk.toString()).slice(-4_000);
    });
    child.once('error', reject);
    child.once('exit', (code, signal) =>
      code === 0
        ? resolve()
        : reject(new Error(`${command} ${args.join(' ')} in ${cwd} ended with ${code ?? signal}: ${err}`)),
    );
  });
}

/** The install directory (its node_modules complete), installing it first if need be. */
export async function installPeerNest(log: (line: string) => void): Promise<string> {
  const lock = readFileSync(join(PACKAGE, 'package-lock.json'));
  const hash = createHash('sha256').update(lock).digest('hex').slice(0, 12);
  const dir = join(cacheRoot(), `peer-nest-${hash}`);
  // npm ci writes node_modules/.package-lock.json last; a directory is only renamed into place when complete.
  const marker = join(dir, 'node_modules', '.package-lock.json');
  if (existsSync(marker)) return dir;
  const staging = `${dir}.tmp-${process.pid}`;
  log(`  installing nestjs-temporal-core's side into ${dir} (npm ci --ignore-scripts)`);
  await rm(staging, { recursive: true, force: true });
  await mkdir(staging, { recursive: true });
  for (const file of FILES) await cp(join(PACKAGE, file), join(staging, file));
  try {
    await run('npm', ['ci', '--no-audit', '--no-fund', '--ignore-scripts'], staging);
    // Another run may have finished the same install meanwhile: keep its directory (it may be in use).
    if (existsSync(marker)) await rm(staging, { recursive: true, force: true });
    else {
      await rm(dir, { recursive: true, force: true });
      await rename(staging, dir);
    }
  } catch (error) {
    await rm(staging, { recursive: true, force: true });
    throw error;
  }
  return dir;
}
