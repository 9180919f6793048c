/**
 * One `grpc.health.v1.Health/Check` call, with the two one-field messages encoded by hand (no proto loader):
 * `HealthCheckRequest { string service = 1; }` and `HealthCheckResponse { ServingStatus status = 1; }`.
 * Every Temporal service registers it: frontends for `temporal.api.workflowservice.v1.WorkflowService`,
 * history for `temporal.api.workflowservice.v1.HistoryService`, matching for
 * `temporal.api.workflowservice.v1.MatchingService` (the server's own names).
 */
import { Client, credentials, type ServiceError, status } from '@grpc/grpc-js';

export type ServingStatus = 'UNKNOWN' | 'SERVING' | 'NOT_SERVING' | 'SERVICE_UNKNOWN';
const STATUSES: ServingStatus[] = ['UNKNOWN', 'SERVING', 'NOT_SERVING', 'SERVICE_UNKNOWN'];

function encodeRequest(service: string): Buffer {
  const name = Buffer.from(service, 'utf8');
  if (name.length === 0) return Buffer.alloc(0);
  return Buffer.concat([Buffer.from([0x0a]), varint(name.length), name]);
}

function varint(value: number): Buffer {
  const bytes: number[] = [];
  let rest = value;
  while (rest > 0x7f) {
    bytes.push((rest & 0x7f) | 0x80);
    rest >>>= 7;
  }
  bytes.push(rest);
  return Buffer.from(bytes);
}

/** Reads field 1 (varint) of a HealthCheckResponse; a missing field is its default, UNKNOWN. */
function decodeResponse(data: Buffer): ServingStatus {
  let offset = 0;
  while (offset < data.length) {
    const tag = data[offset++] ?? 0;
    let value = 0;
    let shift = 0;
    for (;;) {
      const byte = data[offset++] ?? 0;
      value |= (byte & 0x7f) << shift;
      shift += 7;
      if ((byte & 0x80) === 0 || offset >= data.length) break;
    }
    if (tag === 0x08) return STATUSES[value] ?? 'UNKNOWN';
  }
  return 'UNKNOWN';
}

/**
 * Asks `address` (host:port, plaintext) for the health of `service`. Resolves with the status, or with the
 * gRPC error's code name (e.g. `UNAVAILABLE` when nothing listens, `DEADLINE_EXCEEDED`) prefixed by `error:`.
 */
export async function checkHealth(
  address: string,
  service: string,
  timeoutMs = 2000,
): Promise<ServingStatus | `error: ${string}`> {
  const client = new Client(address, credentials.createInsecure());
  try {
    return await new Promise((resolve) => {
      client.makeUnaryRequest(
        '/grpc.health.v1.Health/Check',
        encodeRequest,
        decodeResponse,
        service,
        { deadline: Date.now() + timeoutMs },
        (error: ServiceError | null, serving?: ServingStatus) => {
          if (error !== null) resolve(`error: ${grpcStatusName(error.code)}`);
          else resolve(serving ?? 'UNKNOWN');
        },
      );
    });
  } finally {
    client.close();
  }
}

function grpcStatusName(code: number): string {
  return status[code] ?? `code ${code}`;
}
