/**
 * Small helpers every part of the monitor uses. (The parts themselves take what they need explicitly: the state,
 * and where they must, how to raise an alert, queue work or publish; DataflowMonitor hands them over.)
 */
import { ActivityFailure } from '@temporalio/workflow';

/** The most useful line of a failure: an activity's own message rather than "Activity task failed". */
export function failureMessage(error: unknown): string {
  if (error instanceof ActivityFailure && error.cause) return error.cause.message;
  if (error instanceof Error) return error.message;
  return String(error);
}

export function isoNow(): string {
  return new Date(Date.now()).toISOString();
}
