import { createHash, createPrivateKey, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { TLSConfig } from '@temporalio/client';
import type { Clock } from '../runtime/clock.js';

/** Where the client certificate, its key and (optionally) the server's root CA are read from. */
export interface TlsFiles {
  readonly crtFile: string;
  readonly keyFile: string;
  readonly caFile: string | undefined;
  readonly serverNameOverride: string | undefined;
  /** How often the files are read again; false: read once, at construction. */
  readonly reloadMs: number | false;
}

export interface TlsMaterial {
  readonly crt: Buffer;
  readonly key: Buffer;
  readonly ca: Buffer | undefined;
}

/** The SDK's TLS config for some material. */
export function tlsConfigOf(files: TlsFiles, material: TlsMaterial): TLSConfig {
  return {
    ...(files.serverNameOverride !== undefined ? { serverNameOverride: files.serverNameOverride } : {}),
    ...(material.ca !== undefined ? { serverRootCACertificate: material.ca } : {}),
    clientCertPair: { crt: material.crt, key: material.key },
  };
}

/** Reads the files now (at construction); throws the fs error (ENOENT, EACCES) as it is. */
export function readTlsFilesSync(files: TlsFiles): TlsMaterial {
  return {
    crt: readFileSync(files.crtFile),
    key: readFileSync(files.keyFile),
    ca: files.caFile === undefined ? undefined : readFileSync(files.caFile),
  };
}

async function readTlsFiles(files: TlsFiles): Promise<TlsMaterial> {
  const [crt, key, ca] = await Promise.all([
    readFile(files.crtFile),
    readFile(files.keyFile),
    files.caFile === undefined ? undefined : readFile(files.caFile),
  ]);
  return { crt, key, ca };
}

/**
 * Why the material is not a usable pair, or undefined when it is: the certificate (the first of a chain) and
 * the CA parse as X.509, the key as a private key, and the key is the certificate's. A file caught half-written
 * fails here. The messages name the file's role only: never its content.
 */
export function tlsMaterialProblem(material: TlsMaterial): string | undefined {
  let certificate: X509Certificate;
  try {
    certificate = new X509Certificate(material.crt);
  } catch {
    return 'the certificate file does not hold a PEM or DER X.509 certificate';
  }
  let key: ReturnType<typeof createPrivateKey>;
  try {
    key = createPrivateKey(material.key);
  } catch {
    return 'the key file does not hold an unencrypted private key (PEM or DER)';
  }
  if (!certificate.checkPrivateKey(key)) return 'the key file does not hold the key of the certificate';
  if (material.ca !== undefined) {
    try {
      new X509Certificate(material.ca);
    } catch {
      return 'the CA file does not hold a PEM or DER X.509 certificate';
    }
  }
  return undefined;
}

function hashOf(material: TlsMaterial): string {
  const hash = createHash('sha256');
  for (const part of [material.crt, material.key, material.ca ?? Buffer.alloc(0)]) {
    hash.update(String(part.length)).update(':').update(part);
  }
  return hash.digest('hex');
}

export interface TlsFileWatcherHooks {
  readonly clock: Clock;
  /** A valid pair that differs from the one in use. Must not throw. */
  readonly changed: (material: TlsMaterial) => void;
  /** A read that failed, or a pair that is not valid: reported (rate-limited by the caller), never thrown. */
  readonly fault: (error: Error) => void;
  /** Reads the files (tests pass their own). @default the files, with node:fs */
  readonly read?: (files: TlsFiles) => Promise<TlsMaterial>;
}

/**
 * Polls the TLS files every `reloadMs` and applies a changed, valid pair. Polling, not `fs.watch`: a
 * Kubernetes secret volume updates by swapping its `..data` symlink, and on such a layout (measured, Node 20 on
 * Linux) a watch on `tls.crt` reports nothing at the swap, one event when the old directory is deleted, then
 * nothing again; network and FUSE filesystems send no events for remote changes. Reading two small files every
 * few seconds costs ~0.2 ms a check, works on every filesystem, and follows
 * symlinks. A change is decided by the SHA-256 of the contents (an mtime may stay the same across a copy); a
 * pair that is not valid (half-written, mismatched) is kept out and reported once, and its hash remembered, so
 * that the next change (the rest of the write) is tried again.
 */
export class TlsFileWatcher {
  #applied: string;
  #rejected: string | undefined;
  #timer: unknown;
  #reading = false;
  #stopped = false;

  constructor(
    private readonly files: TlsFiles,
    initial: TlsMaterial,
    private readonly hooks: TlsFileWatcherHooks,
  ) {
    this.#applied = hashOf(initial);
  }

  start(): void {
    const { reloadMs } = this.files;
    if (reloadMs === false || this.#stopped || this.#timer !== undefined) return;
    const tick = () => {
      this.#timer = this.hooks.clock.setTimeout(tick, reloadMs);
      void this.check();
    };
    this.#timer = this.hooks.clock.setTimeout(tick, reloadMs);
  }

  stop(): void {
    this.#stopped = true;
    this.hooks.clock.clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /** One read and comparison (one at a time); settles when done, never rejects. */
  async check(): Promise<void> {
    if (this.#reading || this.#stopped) return;
    this.#reading = true;
    try {
      let material: TlsMaterial;
      try {
        material = await (this.hooks.read ?? readTlsFiles)(this.files);
      } catch (error) {
        const code = (error as { code?: unknown } | null)?.code;
        this.hooks.fault(
          new Error(
            `reading the TLS files failed (${typeof code === 'string' ? code : 'error'}); kept the pair in use`,
          ),
        );
        return;
      }
      if (this.#stopped) return;
      const hash = hashOf(material);
      if (hash === this.#applied || hash === this.#rejected) return;
      const problem = tlsMaterialProblem(material);
      if (problem !== undefined) {
        this.#rejected = hash;
        this.hooks.fault(new Error(`the TLS files changed but ${problem}; kept the pair in use`));
        return;
      }
      this.#applied = hash;
      this.#rejected = undefined;
      this.hooks.changed(material);
    } finally {
      this.#reading = false;
    }
  }
}
