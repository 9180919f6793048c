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
