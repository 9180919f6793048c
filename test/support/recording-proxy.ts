/**
 * An HTTP/2 proxy for gRPC that records the path and `authorization` header of every call on its way (the dev
 * server ignores API keys, so what it would receive is read here): plaintext (h2c) to an h2c upstream, or, with
 * `tls`, a TLS-terminating proxy that requires a client certificate signed by `tls.ca`, records the one each
 * connection presented (its SHA-256 fingerprint) and each call's, and refuses those listed in `refused`.
 */
import { X509Certificate } from 'node:crypto';
import http2 from 'node:http2';
import type { TLSSocket } from 'node:tls';

export interface Call {
  readonly path: string;
  readonly authorization: string | undefined;
  readonly at: number;
  /** SHA-256 fingerprint of the client certificate of the call's TLS connection (TLS proxy only). */
  readonly clientCert?: string | undefined;
}

export interface TlsProxyOptions {
  readonly cert: Buffer;
  readonly key: Buffer;
  /** The CA client certificates must be signed by. */
  readonly ca: Buffer;
}

export interface RecordingProxy {
  readonly address: string;
  readonly calls: Call[];
  /** TLS proxy: every TLS connection that completed its handshake, with its client certificate. */
  readonly handshakes: { readonly clientCert: string; readonly at: number }[];
  /** TLS proxy: client certificates (fingerprints) refused from now on, on new connections and on calls. */
  readonly refused: Set<string>;
  close(): void;
}

export function fingerprintOf(crt: Buffer): string {
  return new X509Certificate(crt).fingerprint256;
}

/** A proxy to the h2c `upstream` (e.g. the dev server) that records each call. */
export async function recordingProxy(upstream: string, tls?: TlsProxyOptions): Promise<RecordingProxy> {
  const calls: Call[] = [];
  const handshakes: { clientCert: string; at: number }[] = [];
  const refused = new Set<string>();
  const session = http2.connect(`http://${upstream}`);
  session.on('error', () => {});
  const server = tls
    ? http2.createSecureServer({
        cert: tls.cert,
        key: tls.key,
        ca: tls.ca,
        requestCert: true,
        rejectUnauthorized: true,
      })
    : http2.createServer();
  const certOf = (socket: unknown): string | undefined => {
    const peer = (socket as TLSSocket).getPeerCertificate?.();
    return peer?.fingerprint256 || undefined;
  };
  if (tls) {
    server.on('secureConnection', (socket: TLSSocket) => {
      const clientCert = certOf(socket) ?? 'none';
      handshakes.push({ clientCert, at: Date.now() });
      if (refused.has(clientCert)) socket.destroy();
    });
    server.on('tlsClientError', () => {});
  }
  server.on('stream', (stream, headers) => {
    const authorization = headers.authorization;
    const clientCert = tls ? certOf(stream.session?.socket) : undefined;
    calls.push({
      path: String(headers[':path']),
      authorization: typeof authorization === 'string' ? authorization : undefined,
      at: Date.now(),
      ...(tls ? { clientCert } : {}),
    });
    if (clientCert !== undefined && refused.has(clientCert)) {
      // As a server that no longer trusts the certificate: the call is refused, with UNAUTHENTICATED (16).
      stream.respond(
        { ':status': 200, 'content-type': 'application/grpc', 'grpc-status': '16' },
        { endStream: true },
      );
      return;
    }
    const forwarded = { ...headers };
    delete forwarded[':authority'];
    delete forwarded[':scheme'];
    const out = session.request(forwarded);
    let trailers: http2.OutgoingHttpHeaders = {};
    out.on('response', (response) => {
      // The caller may have gone (a long poll cancelled at the stop).
      if (!stream.destroyed) stream.respond({ ...response }, { waitForTrailers: true });
    });
    out.on('trailers', (received) => {
      trailers = { ...received };
    });
    stream.on('wantTrailers', () => {
      if (!stream.destroyed) stream.sendTrailers(trailers);
    });
    stream.pipe(out);
    out.pipe(stream);
    out.on('error', () => stream.close(http2.constants.NGHTTP2_CANCEL));
    stream.on('error', () => out.close(http2.constants.NGHTTP2_CANCEL));
  });
  server.on('sessionError', () => {});
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    address: `127.0.0.1:${port}`,
    calls,
    handshakes,
    refused,
    close() {
      server.close();
      session.close();
    },
  };
}
