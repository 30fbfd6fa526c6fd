/**
 * The monitor's activities as workflow code sees them, with the options each kind of work needs. Timeouts
 * outlast the AEP client's own retries of a read (see activity-timeouts.ts).
 */
import { proxyActivities, type ActivityOptions } from '@temporalio/workflow';
import type { MonitorActivities } from '../../activities/monitor';
import type { RunFeedActivities } from '../../activities/run-feed';
import { changeTimeoutMs, pollTimeoutMs } from './activity-timeouts';

/** Reconciling: a failure only means "look again sooner" (but several in a row are alerted). */
export const reconcileOptions: ActivityOptions = {
  startToCloseTimeout: pollTimeoutMs,
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '10s', maximumAttempts: 3 },
};
/** Changing the dataflow: retried patiently on 429/5xx; AEP's refusals stop at once (non-retryable failures). */
export const changeOptions: ActivityOptions = {
  startToCloseTimeout: changeTimeoutMs,
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s', maximumAttempts: 8 },
};
/** Alerts: a few attempts over about half a minute, then the monitor moves on (the log line is already out). */
export const alertOptions: ActivityOptions = {
  startToCloseTimeout: '15s',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '10s', maximumAttempts: 5 },
};

export const activities = proxyActivities<MonitorActivities & RunFeedActivities>(changeOptions);
