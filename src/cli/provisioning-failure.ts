/** What a finished provisioning workflow's error says: the failed step with AEP's answer, or a cancellation. */
import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { provisioningFailureType, type ProvisioningFailure } from '../contracts/provisioning-messages';

/** The ProvisioningFailure a failed provisioning workflow carries; undefined for any other error. */
export function provisioningFailureOf(error: unknown): ProvisioningFailure | undefined {
  const cause = error instanceof WorkflowFailedError ? error.cause : error;
  if (cause instanceof ApplicationFailure && cause.type === provisioningFailureType) {
    return cause.details?.[0] as ProvisioningFailure | undefined;
  }
  return undefined;
}

/** The workflow ended because someone cancelled it (it rolled back what it had built). */
export function isCancelledProvisioning(error: unknown): boolean {
  return error instanceof WorkflowFailedError && error.cause instanceof CancelledFailure;
}
