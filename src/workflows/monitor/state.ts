/** The monitor's state rules: how much of its history it keeps, and the state a new monitor starts with. */
import type { DataflowDescriptor } from '../../contracts/dataflow-types';
import type { MonitorState } from '../../contracts/monitor-state';

export const maxLastRuns = 10;
/** More than a 15-minute flow's runs between two 6-hourly reconciles, so a reconcile never counts a run twice. */
export const maxSettledRunIds = 100;
export const maxRecentActions = 10;
/** Runs in progress followed by id; more at once means something is badly stuck (the oldest are let go). */
export const maxUnfinishedRuns = 20;

export function initialMonitorState(dataflow: DataflowDescriptor, nowMs: number): MonitorState {
  const now = new Date(nowMs).toISOString();
  return {
    dataflow,
    monitoringSince: now,
    generation: 0,
    paused: false,
    tornDown: false,
    nextReconcileAt: nowMs,
    unfinishedRunIds: [],
    lastRuns: [],
    settledRunIds: [],
    consecutiveFailures: 0,
    token: {
      expiresAt: dataflow.oneTrust.tokenExpiresAt,
      obtainedAt: now,
      warningsSent: [],
      expiredAlerted: false,
      autoRotationFailures: 0,
    },
    recentActions: [],
    queue: [],
    counts: { runsLearned: 0, runsFailed: 0, feedMessages: 0, reconciles: 0 },
  };
}

/** Keeps the newest entries of a newest-first list. */
export function keepNewest<T>(items: T[], limit: number): T[] {
  return items.length > limit ? items.slice(0, limit) : items;
}
