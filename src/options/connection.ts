import { loadClientConnectConfig } from '@temporalio/envconfig';
import { SupervisorOptionsError } from '../errors.js';
import type { ApiKeyProvider } from '../runtime/api-key-source.js';
import type { TlsFiles } from '../temporal/tls-files.js';
import { fail, isPlainObject, objectOption } from './check.js';
import { DEFAULTS } from './defaults.js';
import { apiKeyRefreshMs, isTlsFilesOption, resolveTlsFiles } from './tls-files.js';
import type { EnvConfigOptions, ResolvedTls, SupervisorOptions } from './types.js';

/** The connection settings every connection (the client's, each worker's native one) is made with. */
export interface ConnectionSettings {
  readonly address: string;
  readonly namespace: string;
  readonly apiKey: string | undefined;
  /** An `apiKey` function: then `apiKey` is undefined (its answers are redacted as they come). */
  readonly apiKeyProvider: ApiKeyProvider | undefined;
  readonly apiKeyRefreshMs: number;
  readonly tls: ResolvedTls | undefined;
  /** The files of the files form of `tls`, to reload. */
  readonly tlsFiles: TlsFiles | undefined;
  readonly metadata: Readonly<Record<string, string>>;
  /** Every secret in the settings, for redaction. */
  readonly secrets: readonly string[];
}

const ENV_CONFIG_KEYS = ['profile', 'configFile', 'env'] satisfies readonly (keyof EnvConfigOptions)[];
const SECRET_METADATA_KEY = /authorization|token|secret|password|api[-_]?key|cookie/i;
/** gRPC header names (grpc-js lowers them); `-bin` ones take binary values, `grpc-` ones are reserved. */
const HEADER_KEY = /^(?!grpc-)[0-9a-zA-Z_.-]+(?<!-bin)$/;
/** Printable ASCII and tab: what HTTP/2 lets a header value carry as text. */
const HEADER_VALUE = /^[\t\x20-\x7e]*$/;

function isPem(value: unknown): boolean {
  return (typeof value === 'string' || value instanceof Uint8Array) && value.length > 0;
}

/** One metadata entry: a legal header name and a string value a header can carry (secret ones never shown). */
function checkMetadataEntry(key: string, value: unknown): void {
  const shown = SECRET_METADATA_KEY.test(key) ? '[hidden]' : value;
  if (!HEADER_KEY.test(key)) {
    fail(
      `metadata.${key}`,
      'a header name of letters, digits, `-`, `_` and `.` (not ending in `-bin`, not starting with `grpc-`)',
      key,
      "Rename the key, e.g. `metadata: { 'x-team': 'payments' }`.",
    );
  }
  if (typeof value !== 'string')
    fail(`metadata.${key}`, 'a string', shown, 'gRPC metadata values are strings.');
  if (!HEADER_VALUE.test(value)) {
    fail(
      `metadata.${key}`,
      'a value that can travel in a header (no CR, LF or other control character)',
      shown,
      'Check for a trailing newline and trim it.',
    );
  }
}

function validAddress(field: string, address: unknown): string {
  if (typeof address !== 'string' || !/^(\[[0-9a-fA-F:.]+\]|[^\s:/[\]]+):(\d{1,5})$/.test(address)) {
    fail(
      field,
      field === 'envConfig'
        ? "an address of the form 'host:port' in TEMPORAL_ADDRESS or the config profile"
        : "an address of the form 'host:port'",
      address,
      "Pass e.g. `address: 'localhost:7233'` or set TEMPORAL_ADDRESS.",
    );
  }
  const port = Number(address.slice(address.lastIndexOf(':') + 1));
  if (port < 1 || port > 65_535) {
    fail(field, 'a port from 1 to 65535', address, "Pass e.g. `address: 'localhost:7233'`.");
  }
  return address;
}

interface FromEnv {
  address?: string;
  namespace?: string;
  apiKey?: string;
  tls?: ResolvedTls;
  metadata?: Record<string, string>;
}

function loadEnvConfig(option: SupervisorOptions['envConfig']): FromEnv {
  if (option === false) return {};
  const settings =
    option === true || option === undefined ? {} : objectOption('envConfig', option, ENV_CONFIG_KEYS);
  let loaded: ReturnType<typeof loadClientConnectConfig>;
  try {
    loaded = loadClientConnectConfig({
      ...(settings.profile !== undefined ? { profile: settings.profile } : {}),
      ...(settings.configFile !== undefined ? { configSource: { path: settings.configFile } } : {}),
      ...(settings.env !== undefined ? { overrideEnvVars: settings.env } : {}),
    });
  } catch (error) {
    throw new SupervisorOptionsError(
      'envConfig',
      // Only the first line: parsers quote the offending lines of the file, which may hold an API key.
      `Could not load Temporal's environment configuration (TEMPORAL_* variables, the TOML profile): ${
        (error instanceof Error ? error.message : String(error)).split('\n', 1)[0]
      }. Fix the variable or file it names, or pass \`envConfig: false\` and give the options directly.`,
    );
  }
  const c = loaded.connectionOptions;
  const out: FromEnv = {};
  if (c.address) out.address = c.address;
  if (loaded.namespace) out.namespace = loaded.namespace;
  if (c.apiKey && typeof c.apiKey === 'string') out.apiKey = c.apiKey;
  if (c.tls !== undefined && c.tls !== false) out.tls = c.tls as ResolvedTls;
  if (c.metadata) out.metadata = { ...(c.metadata as Record<string, string>) };
  return out;
}

export function secretsOf(
  apiKey: string | undefined,
  tls: ResolvedTls | undefined,
  metadata: Record<string, string>,
) {
  const secrets: string[] = [];
  if (apiKey) secrets.push(apiKey);
  if (tls && typeof tls === 'object' && tls.clientCertPair?.key) {
    const pem = Buffer.from(tls.clientCertPair.key).toString('utf8');
    secrets.push(pem);
    // Each line of the key body too, in case a line is quoted on its own.
    for (const line of pem.split(/\r?\n/))
      if (line.length >= 16 && !line.startsWith('-----')) secrets.push(line);
  }
  for (const [key, value] of Object.entries(metadata)) {
    if (SECRET_METADATA_KEY.test(key) && value) {
      secrets.push(value);
      const bearer = value.replace(/^bearer\s+/i, '');
      if (bearer !== value) secrets.push(bearer);
    }
  }
  return secrets;
}

/** Address, namespace and credentials: explicit options first, then envconfig, then the defaults. */
export function resolveConnectionSettings(options: SupervisorOptions): ConnectionSettings {
  const fromEnv = loadEnvConfig(options.envConfig);
  const address = validAddress(
    options.address !== undefined ? 'address' : fromEnv.address !== undefined ? 'envConfig' : 'address',
    options.address ?? fromEnv.address ?? DEFAULTS.address,
  );
  const namespace = options.namespace ?? fromEnv.namespace ?? DEFAULTS.namespace;
  if (typeof namespace !== 'string' || namespace.trim().length === 0 || namespace.trim() !== namespace) {
    fail(
      'namespace',
      'a non-empty string without surrounding spaces',
      namespace,
      "Pass e.g. `namespace: 'default'`.",
    );
  }
  const given = options.apiKey ?? fromEnv.apiKey;
  const apiKeyProvider = typeof given === 'function' ? (given as ApiKeyProvider) : undefined;
  const apiKey = apiKeyProvider ? undefined : (given as string | undefined);
  if (apiKey !== undefined && (typeof apiKey !== 'string' || apiKey.length < 4)) {
    fail(
      'apiKey',
      'a string of at least 4 characters, or a function returning one (or a promise of one)',
      '[hidden]',
      'Pass the API key as a string or `() => key`, or leave it out.',
    );
  }
  if (apiKey !== undefined && !HEADER_VALUE.test(apiKey)) {
    fail(
      'apiKey',
      'a key that can travel in a header (no CR, LF or other control character)',
      '[hidden]',
      'Check for a trailing newline, e.g. from a file or an environment variable, and trim it.',
    );
  }
  const refreshMs = apiKeyRefreshMs(options.apiKeyRefreshInterval);
  if (options.apiKeyRefreshInterval !== undefined && !apiKeyProvider) {
    fail(
      'apiKeyRefreshInterval',
      'an `apiKey` function to call again',
      options.apiKeyRefreshInterval,
      'It applies only when `apiKey` is a function: drop it, or pass `apiKey: () => key`.',
    );
  }
  const tlsGiven = options.tls ?? fromEnv.tls;
  if (
    tlsGiven !== undefined &&
    typeof tlsGiven !== 'boolean' &&
    (typeof tlsGiven !== 'object' || tlsGiven === null)
  ) {
    fail('tls', 'true, false or a TLS config object', tlsGiven, 'Pass `tls: true` for system roots.');
  }
  const fromFiles = isTlsFilesOption(tlsGiven) ? resolveTlsFiles(tlsGiven) : undefined;
  // As the SDK does: an API key turns TLS on when `tls` is left out (a function counts from the start).
  const tls: ResolvedTls | undefined =
    fromFiles?.tls ??
    (tlsGiven === undefined && apiKeyProvider ? true : (tlsGiven as ResolvedTls | undefined));
  if (typeof tls === 'object' && tls.clientCertPair !== undefined) {
    const pair = tls.clientCertPair as { crt?: unknown; key?: unknown };
    const missing = (['crt', 'key'] as const).filter((part) => !isPem(pair[part]));
    if (missing.length > 0) {
      fail(
        `tls.clientCertPair.${missing[0]}`,
        'a PEM certificate and its private key, both (Buffer or string)',
        missing[0] === 'key' ? '[hidden]' : pair.crt,
        'mTLS needs the pair: pass `clientCertPair: { crt, key }` with both, or neither.',
      );
    }
  }
  if (options.metadata !== undefined && !isPlainObject(options.metadata)) {
    fail(
      'metadata',
      'an object of string values',
      options.metadata,
      "Pass e.g. `metadata: { 'x-team': 'payments' }`.",
    );
  }
  const metadata = { ...(fromEnv.metadata ?? {}), ...(options.metadata ?? {}) };
  for (const [key, value] of Object.entries(metadata)) checkMetadataEntry(key, value);
  if (given !== undefined && Object.keys(metadata).some((key) => key.toLowerCase() === 'authorization')) {
    fail(
      'apiKey',
      'either an API key or an `authorization` metadata entry, not both',
      '[hidden]',
      'The API key is sent as `authorization: Bearer <key>`: drop one of them.',
    );
  }
  return {
    address,
    namespace,
    apiKey,
    apiKeyProvider,
    apiKeyRefreshMs: refreshMs,
    tls,
    tlsFiles: fromFiles?.files,
    metadata,
    secrets: secretsOf(apiKey, tls, metadata),
  };
}

/**
 * Whether connections use TLS, as the SDK decides it (`normalizeTlsConfig` of @temporalio/common 1.24.0): an
 * explicit `tls` wins; left out, an API key turns TLS on (Temporal Cloud), else it is off.
 */
export function tlsEnabled(settings: {
  readonly tls: ResolvedTls | undefined;
  readonly apiKey: string | undefined;
}) {
  return settings.tls === undefined ? settings.apiKey !== undefined : settings.tls !== false;
}
