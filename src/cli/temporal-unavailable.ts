/**
 * Whether an error means Temporal could not be reached (the server went away, the network dropped, a call timed
 * out), as opposed to an answer from Temporal. The CLI reports the first as "unavailable" (exit 3): the workflow
 * may well still be running, and the same command can follow it once Temporal is back.
 */
import { isGrpcServiceError } from '@temporalio/client';

/** gRPC status codes (grpc/status.proto) that mean "no answer", not "a refusal". */
const noAnswerCodes = new Set([
  4, // DEADLINE_EXCEEDED
  14, // UNAVAILABLE
]);

export function isTemporalUnavailable(error: unknown): boolean {
  for (let cause: unknown = error; cause instanceof Error; cause = (cause as { cause?: unknown }).cause) {
    // The client wraps what gRPC said in a ServiceError: look underneath.
    if (isGrpcServiceError(cause) && noAnswerCodes.has(cause.code)) return true;
  }
  return false;
}
