import {
  InterceptingCall,
  type InterceptingListener,
  type Interceptor,
  Metadata,
  type NextCall,
  status,
} from '@grpc/grpc-js';

type InterceptingCallInterface = ReturnType<NextCall>;

/**
 * The SDK's retry interceptor (`@temporalio/client` grpc-retry.js) schedules each retry with a bare
 * `setTimeout` that calls `nextCall()`; when the connection was closed in the meantime, grpc-js throws
 * `Error('Channel has been shut down')` from that timer: an uncaught exception that takes the process
 * down. The supervisor closes connections whenever it drops one, so it puts this guard innermost on every
 * connection it makes: a call started on a closed channel ends with status CANCELLED (which the retry
 * interceptor does not retry) instead of throwing.
 */
export const closedChannelGuard: Interceptor = (options, nextCall) => {
  try {
    return new InterceptingCall(nextCall(options));
  } catch (error) {
    return new InterceptingCall(cancelledCall(error instanceof Error ? error.message : String(error)));
  }
};

/**
 * Counts the calls in flight on a connection (placed outermost: a call and all its retries count once), so
 * that a connection replaced at a TLS reload is closed only once nothing runs on it.
 */
export function countInFlight(counter: { count: number }): Interceptor {
  return (options, nextCall) =>
    new InterceptingCall(nextCall(options), {
      start(metadata, _listener, next) {
        counter.count++;
        let ended = false;
        // A plain Listener (methods taking `next`): grpc-js chains it in front of the caller's listener.
        next(metadata, {
          onReceiveStatus(status, nextStatus) {
            if (!ended) {
              ended = true;
              counter.count--;
            }
            nextStatus(status);
          },
        });
      },
    });
}

function cancelledCall(details: string): InterceptingCallInterface {
  return {
    start(_metadata: Metadata, listener?: Partial<InterceptingListener>) {
      process.nextTick(() =>
        listener?.onReceiveStatus?.({ code: status.CANCELLED, details, metadata: new Metadata() }),
      );
    },
    cancelWithStatus() {},
    getPeer: () => '',
    sendMessageWithContext() {},
    sendMessage() {},
    startRead() {},
    halfClose() {},
    getAuthContext: () => null,
  };
}
