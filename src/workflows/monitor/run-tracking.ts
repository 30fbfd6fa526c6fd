/**
 * Folding runs into the monitor state, whoever found them (the run feed, a reconcile, a refresh): the last runs,
 * the failure streak and its cause, the alerts the change calls for (first failure of a streak, a change of
 * cause, recovery); and, for reconciles, the cursor and the runs still in progress to read again next time.
 */
import { failureCauseDescriptions } from '../../contracts/run-classification';
import { startedBeforeNewestSettled } from '../../contracts/run-order';
import type { AlertKind, AlertSeverity, MonitorState, RunSummary } from '../../contracts/monitor-state';
import { keepNewest, maxLastRuns, maxSettledRunIds, maxUnfinishedRuns } from './state';

/** An alert the workflow still has to give an id and send. */
export interface AlertDraft {
  kind: AlertKind;
  severity: AlertSeverity;
  /** Makes the alert id unique and stable: the same event always yields the same id. */
  discriminator: string;
  message: string;
  details: Record<string, string | number | boolean>;
}

function startedAtMs(run: RunSummary): number | undefined {
  return run.startedAt === undefined ? undefined : Date.parse(run.startedAt);
}

function byStartAscending(a: RunSummary, b: RunSummary): number {
  return (startedAtMs(a) ?? Number.MAX_SAFE_INTEGER) - (startedAtMs(b) ?? Number.MAX_SAFE_INTEGER);
}

/** How runs are folded in: `followNewestRun` lets only runs newer than the newest settled one change the state. */
export interface ApplyRunsOptions {
  followNewestRun: boolean;
}

export function applyRuns(
  state: MonitorState,
  runs: RunSummary[],
  nowMs: number,
  options: ApplyRunsOptions = { followNewestRun: true },
): AlertDraft[] {
  const alerts: AlertDraft[] = [];
  const ordered = [...runs].sort(byStartAscending);
  const learnedAt = new Date(nowMs).toISOString();

  for (const run of ordered) {
    if (run.outcome === 'running') {
      // A run in progress never replaces what is already known of it (it may have finished meanwhile).
      if (!state.lastRuns.some((known) => known.id === run.id)) rememberRun(state, run);
      continue;
    }
    if (state.settledRunIds.includes(run.id)) continue;
    // Judged before it joins the last runs: older than the newest run already settled means history only.
    const older = options.followNewestRun && startedBeforeNewestSettled(run, state.lastRuns);
    rememberRun(state, { ...run, learnedAt });
    state.settledRunIds = [run.id, ...state.settledRunIds].slice(0, maxSettledRunIds);
    state.counts.runsLearned += 1;
    if (run.outcome === 'failed') state.counts.runsFailed += 1;
    // Shown in the last runs and counted, but the streak, the cause and the alerts follow the newest run.
    if (older) continue;
    const alert = run.outcome === 'success' ? countSuccess(state, run) : countFailure(state, run, nowMs);
    if (alert) alerts.push(alert);
  }
  return alerts;
}

/** After a reconcile: where its next listing starts, and which runs in progress it reads again by id. */
export function advanceReconcileCursor(state: MonitorState, runs: RunSummary[], nowMs: number): void {
  const ordered = [...runs].sort(byStartAscending);
  state.reconcileCursorMs = nextCursor(state.reconcileCursorMs, ordered);
  state.unfinishedRunIds = stillUnfinished(ordered, nowMs);
}

/** Replaces an earlier sighting of the same run, newest first. */
function rememberRun(state: MonitorState, run: RunSummary): void {
  const others = state.lastRuns.filter((known) => known.id !== run.id);
  state.lastRuns = keepNewest(
    [run, ...others].sort((a, b) => byStartAscending(b, a)),
    maxLastRuns,
  );
}

function countSuccess(state: MonitorState, run: RunSummary): AlertDraft | undefined {
  const failures = state.consecutiveFailures;
  const cause = state.failureCause;
  const failingSince = state.failingSince;
  state.consecutiveFailures = 0;
  state.failureCause = undefined;
  state.failingSince = undefined;
  state.lastSuccessAt = run.completedAt ?? run.startedAt;
  if (failures === 0) return undefined;
  return {
    kind: 'recovered',
    severity: 'info',
    discriminator: run.id,
    message: `runs succeed again after ${failures} failed run${failures === 1 ? '' : 's'} (run ${run.id}, ${run.records?.output ?? 0} records)`,
    details: {
      runId: run.id,
      failedRuns: failures,
      ...(cause ? { previousCause: cause } : {}),
      ...(failingSince ? { failingSince } : {}),
      ...(run.records?.output !== undefined ? { outputRecords: run.records.output } : {}),
    },
  };
}

function countFailure(state: MonitorState, run: RunSummary, nowMs: number): AlertDraft | undefined {
  const cause = run.cause ?? 'platform';
  const firstOfStreak = state.consecutiveFailures === 0;
  const causeChanged = !firstOfStreak && state.failureCause !== cause;
  state.consecutiveFailures += 1;
  state.failureCause = cause;
  if (firstOfStreak) state.failingSince = run.startedAt ?? new Date(nowMs).toISOString();
  if (!firstOfStreak && !causeChanged) return undefined;

  const firstError = run.errors?.[0];
  return {
    kind: 'run-failed',
    severity: 'critical',
    discriminator: run.id,
    message: `run ${run.id} failed: ${failureCauseDescriptions[cause]}${firstError ? ` (${firstError.code ? `${firstError.code}: ` : ''}${firstError.message})` : ''}`,
    details: {
      runId: run.id,
      cause,
      consecutiveFailures: state.consecutiveFailures,
      ...(firstError?.code ? { errorCode: firstError.code } : {}),
      ...(firstError ? { errorMessage: firstError.message } : {}),
    },
  };
}

/** A run still "in progress" after this long is stuck: it is no longer followed. */
const stuckRunMs = 86_400_000;

/**
 * The next reconcile lists runs started at or after the newest start seen, so the cursor moves forward page by
 * page even while an older run is still going (that one is read again by id instead). It never moves backwards.
 */
function nextCursor(current: number | undefined, ordered: RunSummary[]): number | undefined {
  const starts = ordered.map(startedAtMs).filter((start): start is number => start !== undefined);
  if (starts.length === 0) return current;
  const newest = Math.max(...starts);
  return current === undefined ? newest : Math.max(current, newest);
}

/**
 * The runs to read again by id next time: those still in progress, unless stuck. A listing returns every run it was
 * asked to follow that still exists, so one that is not in `ordered` is gone and is dropped here too.
 */
function stillUnfinished(ordered: RunSummary[], nowMs: number): string[] {
  const unfinished = ordered.filter((run) => {
    if (run.outcome !== 'running') return false;
    const start = startedAtMs(run);
    return start === undefined || nowMs - start < stuckRunMs;
  });
  // Newest last in `ordered`: keep the newest few when there are too many.
  return [...new Set(unfinished.map((run) => run.id))].slice(-maxUnfinishedRuns);
}
