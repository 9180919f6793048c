import { AsyncLocalStorage } from 'node:async_hooks';
import { InterceptingCall, type Interceptor } from '@grpc/grpc-js';
// CommonJS: Node's ESM loader sees no named exports in it.
import proto from '@temporalio/proto';

/**
 * The request id a creator wants its signal-with-start to carry. The SDK gives every
 * `signalWithStart` a random request id of its own and offers no way to set it; the server deduplicates
 * SignalWithStartWorkflowExecution by request id (measured: a repeat with the same id delivers no second
 * signal), so a stable id across retries is what makes a retried signal-with-start exactly-once.
 */
export const signalWithStartRequestId = new AsyncLocalStorage<string>();

const SIGNAL_WITH_START = '/temporal.api.workflowservice.v1.WorkflowService/SignalWithStartWorkflowExecution';
const Request = proto.temporal.api.workflowservice.v1.SignalWithStartWorkflowExecutionRequest;

/**
 * On the supervisor's connections: rewrites the request id of a SignalWithStartWorkflowExecution call made
 * inside `signalWithStartRequestId.run(id, …)` (every attempt, retries of the SDK's interceptor included).
 * Any other call passes untouched.
 */
export const requestIdInterceptor: Interceptor = (options, nextCall) => {
  const requestId = signalWithStartRequestId.getStore();
  if (requestId === undefined || options.method_definition.path !== SIGNAL_WITH_START) {
    return new InterceptingCall(nextCall(options));
  }
  return new InterceptingCall(nextCall(options), {
    sendMessage(message: Uint8Array, next: (message: Uint8Array) => void) {
      const request = Request.decode(message);
      request.requestId = requestId;
      next(Buffer.from(Request.encode(request).finish()));
    },
  });
};
