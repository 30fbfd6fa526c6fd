/**
 * The monitor's activities as workflow code sees them, with the options each kind of work needs. Timeouts
 * outlast the AEP client's own retries of a read (see activity-timeouts.ts).
 */
import {
  proxyActivities,
  proxyLocalActivities,
  type ActivityOptions,
  type LocalActivityOptions,
} from '@temporalio/workflow';
import type { MonitorActivities } from '../../contracts/monitor-activities';
import type { RunFeedActivities } from '../../contracts/run-feed-activities';
import { changeTimeoutMs, pollTimeoutMs } from './activity-timeouts';
import type { DataflowMonitorInput } from '../../contracts/monitor-messages';

/**
 * Reconciling: a failure only means "look again sooner" (but several in a row are alerted). A local activity (one
 * marker event instead of an activity's three and a second workflow task): it comes every few hours for each of
 * thousands of monitors, and short reads need no task queue round trip.
 */
export const reconcileOptions: LocalActivityOptions = {
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
/** The same activities, run in the worker's own process as local activities (see the options above). */
export const localActivities = proxyLocalActivities<MonitorActivities>(reconcileOptions);

/**
 * Teardown's deletes: patient like provisioning's rollback (no attempt limit; 1 s doubling to 5 minutes, for 24 h),
 * so an AEP outage delays a teardown instead of stopping it halfway. Tests shorten the timing.
 */
export function teardownActivities(timing: DataflowMonitorInput['teardownTiming'] = {}) {
  return proxyActivities<MonitorActivities>({
    startToCloseTimeout: timing.startToCloseTimeout ?? changeTimeoutMs,
    scheduleToCloseTimeout: timing.retryTimeout ?? '24h',
    retry: {
      initialInterval: timing.initialInterval ?? '1s',
      backoffCoefficient: 2,
      maximumInterval: timing.maximumInterval ?? '5m',
    },
  });
}
