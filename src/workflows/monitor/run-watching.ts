/**
 * How a monitor learns of its runs. Mostly it does nothing: the sandbox's run feed signals it with the runs that
 * finished (`runUpdates`), and the main loop folds them in. Every few hours it reconciles (lists its own runs
 * since its last reconcile, making sure the feed runs while at it) to catch anything the feed could have missed.
 * `status --refresh` asks the feed to look now and waits for its answer; if the feed is missing or silent, the
 * monitor lists its runs itself.
 */
import { condition, getExternalWorkflowHandle, patched, uuid4 } from '@temporalio/workflow';
import type { RunPage } from '../../contracts/monitor-activities';
import { lookNowSignal } from '../../contracts/run-feed-messages';
import { runFeedWorkflowId } from '../../contracts/workflow-ids';
import type { RaiseAlert } from './alerting';
import type { RunUpdate } from '../../contracts/monitor-messages';
import { localActivities, reconcileOptions } from './monitor-activities';
import { failureMessage, isoNow } from './monitor-context';
import { jittered } from '../../contracts/reconcile-cadence';
import { advanceReconcileCursor, applyRuns, type ApplyRunsOptions } from './run-tracking';
import type { MonitorState, RunSummary } from '../../contracts/monitor-state';

/** Monitors that let every run change the state, whatever its start, replay without following the newest run. */
export const stateFollowsNewestRunPatch = 'state-follows-newest-run';

/** Runs read per reconcile page; more are read page by page. */
const runsPerReconcilePage = 200;
/**
 * Each reconcile lists again from an hour before the newest start it saw: a run AEP listed late (after the feed's
 * overlap had passed it) is still caught. Runs already counted are recognised by id.
 */
const reconcileOverlapMs = 3_600_000;
/** Reconciles that must fail in a row before the dataflow counts as unmonitored. */
const reconcileFailuresBeforeAlert = 3;
/** After a failed reconcile the next one comes sooner: a minute, doubling, never later than the interval. */
const firstRetryMs = 60_000;
const defaultRefreshTimeoutMs = 20_000;

/** Who is watching, and how patiently. */
export interface RunWatching {
  /** The monitor's own workflow id: the run feed answers a `lookNow` there. */
  monitorWorkflowId: string;
  /** Time between reconciles: read at each one, since applying a spec can change it. */
  reconcileIntervalMs(): number;
  /** How long `status --refresh` waits for the feed's answer (default 20 s). */
  refreshTimeoutMs: number | undefined;
}

export class RunWatcher {
  private readonly inbox: RunUpdate[] = [];
  private readonly answered = new Set<string>();

  constructor(
    private readonly state: MonitorState,
    private readonly raise: RaiseAlert,
    private readonly watching: RunWatching,
  ) {}

  /** The `runUpdates` signal handler: keep the message for the main loop (alerts need activities). */
  receive(update: RunUpdate): void {
    this.inbox.push(update);
    for (const requestId of update.answers ?? []) this.answered.add(requestId);
  }

  get hasNews(): boolean {
    return this.inbox.length > 0;
  }

  /** Folds every message received so far into the state, raising the alerts they call for. */
  async takeNews(): Promise<void> {
    const { state } = this;
    for (let update = this.inbox.shift(); update !== undefined; update = this.inbox.shift()) {
      state.lastFeedMessageAt = update.listedAt;
      state.counts.feedMessages += 1;
      const ours = runsOfFlow(update.runs, state.dataflow.ids.flowId);
      for (const draft of applyRuns(state, ours, Date.now(), this.applyOptions())) await this.raise(draft);
    }
  }

  /** Lists this dataflow's own runs since the last reconcile (every page), after making sure the feed runs. */
  async reconcile(): Promise<void> {
    const { state } = this;
    state.counts.reconciles += 1;
    try {
      for (let pages = 0; pages < 50; pages += 1) {
        const page: RunPage = await localActivities.reconcileRuns.executeWithOptions(
          { ...reconcileOptions, summary: 'reconcile runs' },
          [
            {
              sandbox: state.dataflow.sandbox,
              flowId: state.dataflow.ids.flowId,
              ...(state.reconcileCursorMs !== undefined
                ? { startedAtOrAfterMs: state.reconcileCursorMs - (pages === 0 ? reconcileOverlapMs : 0) }
                : {}),
              limit: runsPerReconcilePage,
              ...(state.unfinishedRunIds.length > 0 ? { unfinishedRunIds: state.unfinishedRunIds } : {}),
            },
          ],
        );
        const cursorBefore = state.reconcileCursorMs;
        for (const draft of applyRuns(state, page.runs, Date.now(), this.applyOptions())) await this.raise(draft);
        advanceReconcileCursor(state, page.runs, Date.now());
        // A cursor that did not move (a page of runs all started in the same millisecond) would read it again.
        if (!page.more || state.reconcileCursorMs === cursorBefore) break;
      }
    } catch (error) {
      await this.countFailure(failureMessage(error));
      return;
    }
    state.lastReconcileAt = isoNow();
    state.lastReconcileError = undefined;
    state.nextReconcileAt = Date.now() + jittered(this.watching.reconcileIntervalMs(), Math.random());
    await this.endTrouble();
  }

  /** `status --refresh`: the feed looks now and answers; without an answer the monitor looks itself. */
  async refresh(): Promise<string> {
    const { state } = this;
    const requestId = uuid4();
    try {
      await getExternalWorkflowHandle(runFeedWorkflowId(state.dataflow.sandbox)).signal(lookNowSignal, {
        requestId,
        monitorWorkflowId: this.watching.monitorWorkflowId,
        flowId: state.dataflow.ids.flowId,
      });
    } catch {
      await this.reconcile();
      return `the run feed of sandbox ${state.dataflow.sandbox} was not running: listed the runs directly and started it again`;
    }
    const timeoutMs = this.watching.refreshTimeoutMs ?? defaultRefreshTimeoutMs;
    const answered = await condition(() => this.answered.has(requestId), timeoutMs);
    if (!answered) {
      await this.reconcile();
      return `the run feed did not answer within ${timeoutMs / 1000}s: listed the runs directly`;
    }
    this.answered.delete(requestId);
    await this.takeNews();
    return 'the run feed looked just now';
  }

  private applyOptions(): ApplyRunsOptions {
    return { followNewestRun: patched(stateFollowsNewestRunPatch) };
  }

  private async countFailure(reason: string): Promise<void> {
    const { state } = this;
    state.lastReconcileError = reason;
    const trouble = (state.reconcileTrouble ??= { failures: 0, since: isoNow(), alerted: false });
    trouble.failures += 1;
    const interval = this.watching.reconcileIntervalMs();
    state.nextReconcileAt = Date.now() + Math.min(interval, firstRetryMs * 2 ** (trouble.failures - 1));
    if (trouble.alerted || trouble.failures < reconcileFailuresBeforeAlert) return;
    trouble.alerted = true;
    await this.raise({
      kind: 'unmonitored',
      severity: 'critical',
      discriminator: trouble.since,
      // The activity's failures already start with its step, "list runs: ".
      message: `cannot list runs: ${reason.replace(/^list runs: /, '')} (${trouble.failures} reconciles in a row since ${trouble.since}); failed runs may go unnoticed until this is fixed`,
      details: { failures: trouble.failures, since: trouble.since, reason },
    });
  }

  /** The runs can be listed again: say so if the blindness was alerted. */
  private async endTrouble(): Promise<void> {
    const { state } = this;
    const trouble = state.reconcileTrouble;
    state.reconcileTrouble = undefined;
    if (!trouble?.alerted) return;
    await this.raise({
      kind: 'monitoring-resumed',
      severity: 'info',
      discriminator: trouble.since,
      message: `runs can be listed again after ${trouble.failures} failed reconciles since ${trouble.since}`,
      details: { failures: trouble.failures, since: trouble.since },
    });
  }
}

/**
 * The runs of the monitor's current flow, as the monitor keeps them (without the flow id). A flow torn down with
 * `--keep-data` has the same monitor workflow id as the one provisioned in its place, so the feed may hand on a
 * late run of the old flow: it says nothing about the new one. Messages from before the feed named flows name none.
 */
function runsOfFlow(runs: RunSummary[], flowId: string): RunSummary[] {
  return runs
    .filter((run) => run.flowId === undefined || run.flowId === flowId)
    .map(({ flowId: _flowId, ...run }) => run);
}
