/** Activity options for provisioning: steps retry within a time window, compensations retry patiently. */
import * as wf from '@temporalio/workflow';
import { ActivityCancellationType, type RetryPolicy } from '@temporalio/common';
import type { ProvisioningActivities } from '../../contracts/provisioning-activities';
import type { RunFeedActivities } from '../../contracts/run-feed-activities';
import type { ActivityTiming } from '../../contracts/provisioning-messages';

/** Provisioning's steps, and starting the sandbox's run feed once the dataflow exists. */
type ProvisioningStepActivities = ProvisioningActivities & Pick<RunFeedActivities, 'ensureRunFeed'>;

export function provisioningActivities(timing: ActivityTiming = {}) {
  const initialInterval = timing.initialInterval ?? '1s';
  const startToCloseTimeout = timing.startToCloseTimeout ?? '2m';
  // Each step heartbeats while it runs: one lost with its worker is retried after this, not after startToClose.
  const heartbeatTimeout = timing.heartbeatTimeout ?? '30s';
  // No attempt limit on either: what may succeed later is bounded by time; AEP's refusals (non-retryable
  // failures) stop at once.
  const stepRetry: RetryPolicy = {
    initialInterval,
    backoffCoefficient: 2,
    maximumInterval: timing.maximumInterval ?? '30s',
  };
  const compensationRetry: RetryPolicy = {
    initialInterval,
    backoffCoefficient: 2,
    maximumInterval: timing.compensationMaximumInterval ?? '5m',
  };
  return {
    steps: wf.proxyActivities<ProvisioningStepActivities>({
      startToCloseTimeout,
      heartbeatTimeout,
      scheduleToCloseTimeout: timing.stepRetryTimeout ?? defaultStepRetryTimeout,
      retry: stepRetry,
      // A cancel waits for a running create to finish, so the rollback that follows can find what it made.
      cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
    }),
    /** Rollback deletes: patient, so an AEP outage delays the rollback instead of leaving orphans. */
    rollbackSteps: wf.proxyActivities<ProvisioningStepActivities>({
      startToCloseTimeout,
      heartbeatTimeout,
      scheduleToCloseTimeout: timing.compensationRetryTimeout ?? '24h',
      retry: compensationRetry,
    }),
  };
}

export const defaultStepRetryTimeout = '10m';
