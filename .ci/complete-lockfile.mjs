#!/usr/bin/env node
// The npm registry reachable from this workplace answers 404 for other platforms' builds of native tools
// (@biomejs/cli-darwin-arm64, @swc/core-win32-x64-msvc, ...). npm then leaves them out when it writes
// package-lock.json, and `npm ci` refuses the lock: "Missing: @biomejs/cli-darwin-arm64@2.6.8 from lock
// file". This puts every missing optional dependency back into the lock, as the optional entry it is: with
// the registry's integrity and platform fields where the registry has them, else with its version only
// (npm ci skips an optional package it cannot fetch). Run it after any `npm install` that rewrites the lock:
// `node .ci/complete-lockfile.mjs` (idempotent; `--check` only reports and exits 1 if anything is missing).
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';

const path = new URL('../package-lock.json', import.meta.url);
const lock = JSON.parse(readFileSync(path, 'utf8'));
const check = process.argv.includes('--check');
const missing = [];
for (const [key, entry] of Object.entries(lock.packages)) {
  for (const [name, version] of Object.entries(entry.optionalDependencies ?? {})) {
    const nested = `${key ? `${key}/` : ''}node_modules/${name}`;
    if (lock.packages[nested] || lock.packages[`node_modules/${name}`]) continue;
    missing.push({ at: `node_modules/${name}`, name, version, dev: entry.dev === true });
  }
}
if (check) {
  for (const m of missing) console.log(`missing: ${m.name}@${m.version}`);
  process.exit(missing.length ? 1 : 0);
}
function view(name, version) {
  try {
    return JSON.parse(
      execFileSync('npm', ['view', `${name}@${version}`, '--json'], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
      }),
    );
  } catch {
    return undefined; // 404 here: this platform's build is not served
  }
}
for (const m of missing) {
  const meta = view(m.name, m.version) ?? { version: m.version };
  const entry = { version: meta.version };
  if (meta.dist?.integrity) entry.integrity = meta.dist.integrity;
  for (const field of ['cpu', 'libc', 'os']) if (meta[field]) entry[field] = meta[field];
  if (m.dev) entry.dev = true;
  if (meta.license) entry.license = meta.license;
  entry.optional = true;
  if (meta.engines) entry.engines = meta.engines;
  lock.packages[m.at] = entry;
}
lock.packages = Object.fromEntries(
  Object.entries(lock.packages).sort(([a], [b]) => (a === '' ? -1 : b === '' ? 1 : a.localeCompare(b))),
);
writeFileSync(path, `${JSON.stringify(lock, null, 2)}\n`);
console.log(`added ${missing.length} optional platform packages to package-lock.json`);
