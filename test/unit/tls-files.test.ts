/**
 * TLS files reloaded on change: the watcher polls (manual clock), decides a change by content, applies only a
 * valid pair (the key is the certificate's), keeps a half-written or mismatched pair out and reports it once,
 * and tries again at the next change. The options: the files form read and checked at construction, with typed
 * errors naming the field; and an `apiKey` that is neither a string nor a function refused.
 */
import { renameSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSupervisor } from '../../src/index.js';
import {
  readTlsFilesSync,
  type TlsFiles,
  TlsFileWatcher,
  type TlsMaterial,
  tlsMaterialProblem,
} from '../../src/temporal/tls-files.js';
import { ManualClock } from '../support/manual-clock.js';
import { type IssuedPair, TestCa } from '../support/test-ca.js';

let ca: TestCa;
let a: IssuedPair;
let b: IssuedPair;
beforeAll(() => {
  ca = new TestCa();
  a = ca.issue('client-a');
  b = ca.issue('client-b');
});
afterAll(() => ca.dispose());

const settle = async () => {
  for (let i = 0; i < 10; i++) await Promise.resolve();
};

function watcherRig(initial: TlsMaterial) {
  const clock = new ManualClock();
  let onDisk: TlsMaterial | Error = initial;
  const applied: TlsMaterial[] = [];
  const faults: string[] = [];
  const files: TlsFiles = {
    crtFile: 'c',
    keyFile: 'k',
    caFile: undefined,
    serverNameOverride: undefined,
    reloadMs: 5_000,
  };
  const watcher = new TlsFileWatcher(files, initial, {
    clock,
    changed: (material) => applied.push(material),
    fault: (error) => faults.push(error.message),
    read: async () => {
      if (onDisk instanceof Error) throw onDisk;
      return onDisk;
    },
  });
  return {
    clock,
    watcher,
    applied,
    faults,
    write: (next: TlsMaterial | Error) => {
      onDisk = next;
    },
    tick: async () => {
      clock.advance(5_000);
      await settle();
    },
  };
}

const pairOf = (p: IssuedPair): TlsMaterial => ({ crt: p.crt, key: p.key, ca: undefined });

describe('tlsMaterialProblem', () => {
  it('accepts a matching pair, and names what is wrong otherwise (never the content)', () => {
    expect(tlsMaterialProblem(pairOf(a))).toBeUndefined();
    expect(tlsMaterialProblem({ ...pairOf(a), ca: ca.ca })).toBeUndefined();
    expect(tlsMaterialProblem({ crt: a.crt, key: b.key, ca: undefined })).toMatch(
      /not hold the key of the certificate/,
    );
    expect(tlsMaterialProblem({ crt: a.crt.subarray(0, 200), key: a.key, ca: undefined })).toMatch(
      /certificate file/,
    );
    expect(tlsMaterialProblem({ crt: a.crt, key: a.key.subarray(0, 60), ca: undefined })).toMatch(/key file/);
    expect(tlsMaterialProblem({ ...pairOf(a), ca: Buffer.from('nope') })).toMatch(/CA file/);
    const problem = tlsMaterialProblem({ crt: a.crt, key: b.key, ca: undefined }) ?? '';
    expect(problem).not.toContain('PRIVATE KEY');
  });
});

describe('TlsFileWatcher', () => {
  it('applies a changed valid pair once, and nothing while the files stay the same', async () => {
    const r = watcherRig(pairOf(a));
    r.watcher.start();
    await r.tick();
    expect(r.applied).toEqual([]);
    r.write(pairOf(b));
    await r.tick();
    expect(r.applied.map((m) => m.crt)).toEqual([b.crt]);
    await r.tick();
    await r.tick();
    expect(r.applied).toHaveLength(1);
    expect(r.faults).toEqual([]);
    r.watcher.stop();
    expect(r.clock.pending).toBe(0);
  });

  it('keeps a half-written or mismatched pair out, reports it once, and applies the completed pair', async () => {
    const r = watcherRig(pairOf(a));
    r.watcher.start();
    // The certificate was replaced first, the key not yet: a mismatched pair.
    r.write({ crt: b.crt, key: a.key, ca: undefined });
    await r.tick();
    await r.tick();
    expect(r.applied).toEqual([]);
    expect(r.faults).toEqual([
      'the TLS files changed but the key file does not hold the key of the certificate; kept the pair in use',
    ]);
    // Half of the key written.
    r.write({ crt: b.crt, key: b.key.subarray(0, 80), ca: undefined });
    await r.tick();
    expect(r.faults).toHaveLength(2);
    expect(r.faults[1]).toMatch(/key file does not hold an unencrypted private key/);
    // The write completed: applied.
    r.write(pairOf(b));
    await r.tick();
    expect(r.applied.map((m) => m.key)).toEqual([b.key]);
    expect(r.faults).toHaveLength(2);
    expect(r.faults.join('\n')).not.toMatch(/BEGIN|PRIVATE KEY/);
  });

  it('reports a read that fails (files missing mid-swap) and keeps the pair; back to the old pair is no change', async () => {
    const r = watcherRig(pairOf(a));
    r.watcher.start();
    r.write(Object.assign(new Error('ENOENT: no such file, open /etc/tls/tls.key'), { code: 'ENOENT' }));
    await r.tick();
    expect(r.faults).toEqual(['reading the TLS files failed (ENOENT); kept the pair in use']);
    r.write(pairOf(a));
    await r.tick();
    expect(r.applied).toEqual([]);
  });

  it('reload: false reads once (no timer)', () => {
    const clock = new ManualClock();
    const files: TlsFiles = {
      crtFile: a.crtFile,
      keyFile: a.keyFile,
      caFile: undefined,
      serverNameOverride: undefined,
      reloadMs: false,
    };
    const watcher = new TlsFileWatcher(files, readTlsFilesSync(files), {
      clock,
      changed: () => {},
      fault: () => {},
    });
    watcher.start();
    expect(clock.pending).toBe(0);
  });

  it('follows a Kubernetes-style ..data symlink swap on disk', async () => {
    // secret/tls.crt -> ..data/tls.crt, ..data -> ..v1; the update writes ..v2 and renames a new ..data link.
    const dir = join(ca.dir, 'secret');
    const { mkdirSync } = await import('node:fs');
    for (const [version, pair] of [
      ['..v1', a],
      ['..v2', b],
    ] as const) {
      mkdirSync(join(dir, version), { recursive: true });
      writeFileSync(join(dir, version, 'tls.crt'), pair.crt);
      writeFileSync(join(dir, version, 'tls.key'), pair.key);
    }
    symlinkSync('..v1', join(dir, '..data'));
    symlinkSync('..data/tls.crt', join(dir, 'tls.crt'));
    symlinkSync('..data/tls.key', join(dir, 'tls.key'));
    const files: TlsFiles = {
      crtFile: join(dir, 'tls.crt'),
      keyFile: join(dir, 'tls.key'),
      caFile: undefined,
      serverNameOverride: undefined,
      reloadMs: 1_000,
    };
    const applied: Buffer[] = [];
    const watcher = new TlsFileWatcher(files, readTlsFilesSync(files), {
      clock: new ManualClock(),
      changed: (material) => applied.push(material.crt),
      fault: (error) => applied.push(Buffer.from(error.message)),
    });
    await watcher.check();
    expect(applied).toEqual([]);
    symlinkSync('..v2', join(dir, '..data_tmp'));
    renameSync(join(dir, '..data_tmp'), join(dir, '..data'));
    await watcher.check();
    expect(applied).toEqual([b.crt]);
  });
});

describe('options: TLS files and apiKey', () => {
  const base = { envConfig: false as const, address: '127.0.0.1:1' };

  it('reads the files at construction', async () => {
    const supervisor = createSupervisor({
      ...base,
      tls: {
        clientCertPair: { crtFile: a.crtFile, keyFile: a.keyFile },
        serverRootCACertificateFile: ca.caFile,
      },
    });
    expect(supervisor.snapshot().state).toBe('disconnected');
    await supervisor.stop();
  });

  it.each([
    [
      { clientCertPair: { crtFile: '/nonexistent/tls.crt', keyFile: '/nonexistent/tls.key' } },
      'tls',
      /ENOENT/,
    ],
    [{ clientCertPair: { crtFile: '', keyFile: 'x' } }, 'tls.clientCertPair.crtFile', /a file path/],
    [{ clientCertPair: { crtFile: 'x' } }, 'tls.clientCertPair.keyFile', /a file path/],
    [
      { clientCertPair: { crtFile: 'x', keyFile: 'y', crt: 'z' } },
      'tls.clientCertPair.crt',
      /Unknown option/,
    ],
    [{ reload: 'often', clientCertPair: { crtFile: 'x', keyFile: 'y' } }, 'tls.reload', /true, false/],
    [
      { reload: { interval: 5 }, clientCertPair: { crtFile: 'x', keyFile: 'y' } },
      'tls.reload.interval',
      /at least 100 ms/,
    ],
  ])('refuses %j with a SupervisorOptionsError naming %s', (tls, field, message) => {
    expect(() => createSupervisor({ ...base, tls: tls as never })).toThrow(
      expect.objectContaining({
        name: 'SupervisorOptionsError',
        field,
        message: expect.stringMatching(message),
      }),
    );
  });

  it('refuses a mismatched pair at construction, without showing the key', () => {
    let error: unknown;
    try {
      createSupervisor({ ...base, tls: { clientCertPair: { crtFile: a.crtFile, keyFile: b.keyFile } } });
    } catch (e) {
      error = e;
    }
    expect(error).toMatchObject({ name: 'SupervisorOptionsError', field: 'tls.clientCertPair' });
    expect(String((error as Error).message)).toMatch(/not hold the key of the certificate/);
    expect(String((error as Error).message)).not.toContain(b.key.toString().split('\n')[1]);
  });

  it.each([[42], [{ key: 'abcd' }], [['abcd']], [true]])(
    'refuses apiKey %j (neither a string nor a function)',
    (apiKey) => {
      expect(() => createSupervisor({ ...base, apiKey: apiKey as never })).toThrow(
        expect.objectContaining({ name: 'SupervisorOptionsError', field: 'apiKey' }),
      );
    },
  );

  it('accepts an apiKey function; apiKeyRefreshInterval needs one', async () => {
    const supervisor = createSupervisor({
      ...base,
      apiKey: () => 'function-key',
      apiKeyRefreshInterval: '5s',
    });
    await supervisor.stop();
    expect(() => createSupervisor({ ...base, apiKey: 'string-key', apiKeyRefreshInterval: '5s' })).toThrow(
      expect.objectContaining({ field: 'apiKeyRefreshInterval' }),
    );
  });
});
