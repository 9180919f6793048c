/**
 * gRPC status codes by name, as `@grpc/grpc-js` exports them (`grpc.status.UNAVAILABLE`…), kept here so that the
 * SDK-free runtime can name them without importing grpc-js. A unit test checks this table against grpc-js's own
 * enum, so the two cannot drift (https://grpc.github.io/grpc/core/md_doc_statuscodes.html).
 */
export const status = {
  OK: 0,
  CANCELLED: 1,
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  ABORTED: 10,
  OUT_OF_RANGE: 11,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  DATA_LOSS: 15,
  UNAUTHENTICATED: 16,
} as const;

export type GrpcStatusName = keyof typeof status;
export type GrpcStatus = (typeof status)[GrpcStatusName];

const NAMES = new Map<number, GrpcStatusName>(
  Object.entries(status).map(([name, code]) => [code, name as GrpcStatusName]),
);

/** The name of a status code (`14` → `UNAVAILABLE`), or `undefined` for a number that is not one. */
export function statusName(code: number): GrpcStatusName | undefined {
  return NAMES.get(code);
}

/** The code of a status name (`UNAVAILABLE` → 14), or `undefined`. */
export function statusCode(name: string): GrpcStatus | undefined {
  return (status as Record<string, GrpcStatus>)[name];
}
