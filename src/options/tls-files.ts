import type { TLSConfig } from '@temporalio/client';
import { type Duration, durationMs } from '../temporal/duration.js';
import { readTlsFilesSync, type TlsFiles, tlsConfigOf, tlsMaterialProblem } from '../temporal/tls-files.js';
import { checkKeys, duration, fail, isPlainObject } from './check.js';

/**
 * mTLS from files, re-read while the supervisor runs: a renewed certificate (cert-manager, a Kubernetes secret
 * volume, Vault agent) is applied without a restart.
 */
export interface TlsFilesOption {
  /** Paths of the client certificate (PEM, a chain allowed) and of its private key (PEM, unencrypted). */
  clientCertPair: { crtFile: string; keyFile: string };
  /** Path of the CA that signs the server's certificate (PEM). @default the system roots */
  serverRootCACertificateFile?: string;
  /** The name the server's certificate must carry, when it differs from the address's host. */
  serverNameOverride?: string;
  /**
   * Read the files again every `interval` (default 10 s) and, when they changed and hold a valid pair (the key
   * is the certificate's), apply it to the client connection and to every worker's, nothing in flight dropped.
   * `false`: read once, at construction. @default true
   */
  reload?: boolean | { interval?: Duration };
}

const KEYS = ['clientCertPair', 'serverRootCACertificateFile', 'serverNameOverride', 'reload'];
const DEFAULT_RELOAD_MS = 10_000;

/** Whether a `tls` option is the files form (it names a `crtFile` or `keyFile`, or a CA file). */
export function isTlsFilesOption(tls: unknown): tls is TlsFilesOption {
  if (!isPlainObject(tls)) return false;
  const pair = tls.clientCertPair;
  return (
    (isPlainObject(pair) && ('crtFile' in pair || 'keyFile' in pair)) ||
    'serverRootCACertificateFile' in tls ||
    'reload' in tls
  );
}

function path(field: string, value: unknown): string {
  if (typeof value !== 'string' || value.length === 0) {
    fail(field, 'a file path', value, `Pass e.g. \`${field}: '/etc/temporal/tls/tls.crt'\`.`);
  }
  return value;
}

/** Validates the files form, reads the files once (they must hold a valid pair now) and says how to reload. */
export function resolveTlsFiles(tls: TlsFilesOption): { files: TlsFiles; tls: TLSConfig } {
  checkKeys('tls', tls, KEYS, 'Inline PEM (`clientCertPair: { crt, key }`) and files do not mix.');
  if (!isPlainObject(tls.clientCertPair)) {
    fail(
      'tls.clientCertPair',
      'an object `{ crtFile, keyFile }`',
      tls.clientCertPair,
      'Name both files of the pair.',
    );
  }
  checkKeys('tls.clientCertPair', tls.clientCertPair, ['crtFile', 'keyFile']);
  const crtFile = path('tls.clientCertPair.crtFile', tls.clientCertPair.crtFile);
  const keyFile = path('tls.clientCertPair.keyFile', tls.clientCertPair.keyFile);
  const caFile =
    tls.serverRootCACertificateFile === undefined
      ? undefined
      : path('tls.serverRootCACertificateFile', tls.serverRootCACertificateFile);
  if (tls.serverNameOverride !== undefined && typeof tls.serverNameOverride !== 'string') {
    fail('tls.serverNameOverride', 'a host name', tls.serverNameOverride, 'Pass it as a string.');
  }
  let reloadMs: number | false = DEFAULT_RELOAD_MS;
  if (tls.reload === false) reloadMs = false;
  else if (isPlainObject(tls.reload)) {
    checkKeys('tls.reload', tls.reload, ['interval']);
    reloadMs = duration('tls.reload.interval', tls.reload.interval, DEFAULT_RELOAD_MS, 100);
    if (reloadMs > 3_600_000) {
      fail('tls.reload.interval', 'at most 1 hour', tls.reload.interval, "Pass e.g. `interval: '10s'`.");
    }
  } else if (tls.reload !== undefined && tls.reload !== true) {
    fail(
      'tls.reload',
      "true, false or `{ interval: '10s' }`",
      tls.reload,
      'Leave it out to reload every 10 s.',
    );
  }
  const files: TlsFiles = { crtFile, keyFile, caFile, serverNameOverride: tls.serverNameOverride, reloadMs };
  let material: ReturnType<typeof readTlsFilesSync>;
  try {
    material = readTlsFilesSync(files);
  } catch (error) {
    const e = error as { code?: unknown; path?: unknown };
    fail(
      'tls',
      'readable certificate, key and CA files',
      `${typeof e.code === 'string' ? e.code : 'an error'} on ${typeof e.path === 'string' ? e.path : 'a file'}`,
      'Check the paths and the permissions of the files.',
    );
  }
  const problem = tlsMaterialProblem(material);
  if (problem !== undefined) {
    fail('tls.clientCertPair', 'a certificate and its private key', '[hidden]', `Now ${problem}.`);
  }
  return { files, tls: tlsConfigOf(files, material) };
}

/** `apiKeyRefreshInterval`, in ms. */
export function apiKeyRefreshMs(value: Duration | undefined): number {
  const ms = duration('apiKeyRefreshInterval', value, 60_000, 100);
  if (ms > 86_400_000 || !Number.isFinite(durationMs(value ?? ms))) {
    fail('apiKeyRefreshInterval', 'at most 1 day', value, "Pass e.g. `apiKeyRefreshInterval: '1 min'`.");
  }
  return ms;
}
