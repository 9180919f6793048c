import { connect as netConnect } from 'node:net';

/** The HTTP/2 client connection preface, then an empty SETTINGS frame (RFC 9113 §3.4, §6.5). */
const PREFACE = Buffer.concat([
  Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1'),
  Buffer.from([0, 0, 0, 4, 0, 0, 0, 0, 0]),
]);
/** The type of a SETTINGS frame, the first frame every HTTP/2 server sends. */
const SETTINGS = 4;

/** What answers on a plaintext port: HTTP/2 (gRPC can run there), something else, or nothing in time. */
export type ProtocolAnswer =
  | { readonly kind: 'http2' }
  | { readonly kind: 'other'; readonly what: string }
  | { readonly kind: 'silent' };

/**
 * Opens a TCP connection, sends the HTTP/2 preface and reads the first bytes back. An HTTP/2 server (every gRPC
 * server, a Temporal frontend included) answers with a SETTINGS frame; an HTTP/1.1 server answers with a status
 * line; other servers with their own bytes. Nothing within `timeoutMs`, or a close without a byte, is `silent`: a
 * black hole, an overloaded server, or a TCP load balancer whose backends are all down (it accepts, fails to
 * reach one, and closes): not evidence of anything.
 */
export function probeProtocol(host: string, port: number, timeoutMs: number): Promise<ProtocolAnswer> {
  return new Promise((resolve) => {
    const socket = netConnect({ host, port });
    let received = Buffer.alloc(0);
    const done = (answer: ProtocolAnswer) => {
      socket.removeAllListeners();
      socket.on('error', () => {});
      socket.destroy();
      resolve(answer);
    };
    socket.setTimeout(timeoutMs, () => done(received.length > 0 ? classify(received) : { kind: 'silent' }));
    socket.once('connect', () => socket.write(PREFACE));
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      if (received.length >= 9 || received.subarray(0, 5).toString('latin1') === 'HTTP/')
        done(classify(received));
    });
    socket.once('end', () => done(classify(received)));
    socket.once('error', () => done(received.length > 0 ? classify(received) : { kind: 'silent' }));
  });
}

function classify(bytes: Buffer): ProtocolAnswer {
  if (bytes.length === 0) return { kind: 'silent' };
  if (bytes.length >= 9 && bytes[3] === SETTINGS) return { kind: 'http2' };
  const text = bytes.subarray(0, 40).toString('latin1');
  if (text.startsWith('HTTP/'))
    return { kind: 'other', what: `answered as an HTTP/1 server (${firstLine(text)})` };
  return { kind: 'other', what: `answered ${bytes.length} byte(s) that are not HTTP/2` };
}

function firstLine(text: string): string {
  return (text.split(/\r?\n/, 1)[0] ?? '').replace(/[^\x20-\x7e]/g, '?');
}
