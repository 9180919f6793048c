/** Reading gRPC status codes out of the errors the Temporal client throws. */
import { isGrpcServiceError } from '@temporalio/client';

/** gRPC status codes used by the tests (subset of `@grpc/grpc-js` `status`). */
export const GrpcStatus = { DEADLINE_EXCEEDED: 4, NOT_FOUND: 5, UNAVAILABLE: 14 } as const;

/** The gRPC status code of `error` or of its `cause` (the client wraps some), else undefined. */
export function grpcCodeOf(error: unknown): number | undefined {
  if (isGrpcServiceError(error)) return error.code;
  if (error instanceof Error && error.cause !== undefined) return grpcCodeOf(error.cause);
  return undefined;
}
