/** Reading a step's failure: AEP's details, the innermost message, and whether the step ran out of retry window. */
import * as wf from '@temporalio/workflow';
import { DefaultFailureConverter, TimeoutType, type Duration } from '@temporalio/common';
import type { AepFailureDetails } from '../../contracts/aep-failure-details';
import type { ProvisioningFailure } from '../../contracts/provisioning-messages';

/**
 * The step kept failing with retryable errors until its retry window closed. Steps have no attempt limit, so a
 * retryable failure can only end one that way: the server reports either the schedule-to-close timeout (it fired
 * during an attempt or a backoff) or the last attempt's own retryable failure (the next retry would have started
 * past the window).
 */
export function usedUpRetryWindow(error: unknown): boolean {
  let cause: unknown = error;
  while (cause instanceof wf.TemporalFailure) {
    if (cause instanceof wf.TimeoutFailure && cause.timeoutType === TimeoutType.SCHEDULE_TO_CLOSE) return true;
    if (cause instanceof wf.ApplicationFailure) return !cause.nonRetryable;
    cause = causeOf(cause);
  }
  return false;
}

export function formatDuration(duration: Duration): string {
  return typeof duration === 'number' ? `${duration} ms` : duration;
}

export function failureDetails(error: unknown): AepFailureDetails | undefined {
  let cause: unknown = error;
  while (cause instanceof wf.TemporalFailure) {
    if (cause instanceof wf.ApplicationFailure) {
      const first = cause.details?.[0];
      if (typeof first === 'object' && first !== null && 'step' in first) return first as AepFailureDetails;
    }
    cause = causeOf(cause);
  }
  return undefined;
}

/**
 * An error's cause. A step that used up its retry window fails with a TimeoutFailure whose cause (the last
 * attempt's failure, e.g. AEP's 503) the SDK leaves unconverted in the raw failure: convert it here.
 */
function causeOf(error: Error): unknown {
  const cause = (error as { cause?: unknown }).cause;
  if (cause !== undefined || !(error instanceof wf.TimeoutFailure) || !error.failure?.cause) return cause;
  return lastAttemptFailureConverter.failureToError(error.failure.cause, wf.defaultPayloadConverter);
}

const lastAttemptFailureConverter = new DefaultFailureConverter();

export function describeAepFailure(details: AepFailureDetails): string {
  const head = [details.status !== undefined ? `HTTP ${details.status}` : undefined, details.code]
    .filter(Boolean)
    .join(' ');
  return `${head ? `${head}: ` : ''}${details.detail}`;
}

/** The innermost useful message (an ActivityFailure's own message is just "Activity task failed"). */
export function messageOf(error: unknown): string {
  let cause: unknown = error;
  let message = error instanceof Error ? error.message : String(error);
  while (cause instanceof Error) {
    if (!(cause instanceof wf.ActivityFailure) && cause.message) message = cause.message;
    cause = causeOf(cause);
  }
  return message;
}

/** The survey before step 1 failed: nothing of this dataflow's was looked for yet, so it names no step. */
export function surveyFailure(error: unknown): ProvisioningFailure {
  const details = failureDetails(error);
  return {
    ...details,
    step: 'look-for-existing',
    stepNumber: 0,
    stepTitle: 'Look for existing resources',
    message: `Provisioning failed before step 1 (looking for existing resources): ${details ? describeAepFailure(details) : messageOf(error)}`,
    rolledBack: [],
    leftBehind: [],
  };
}
