/**
 * Forgets runs (and the dataset records runs wrote) older than a retention period, so a long benchmark with
 * thousands of dataflows does not grow without bound. Off unless `--run-retention-hours` is given. Never forgets
 * a run in progress, a flow's latest run (the scheduler continues from it) or its latest run that did not fail
 * (the next run's window starts where that one ended), so pruning changes no schedule and no window.
 */
import type { Clock } from './context';
import type { StoredRun } from './flow-service/entity-types';
import { startOf } from './run-index';
import type { Store } from './store';

/** Prune this often, but at least ten times per retention period. */
const longestPruneIntervalMs = 60_000;

export class RunRetention {
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly retentionMs: number,
  ) {
    if (!(retentionMs > 0)) throw new RangeError(`run retention must be positive, got ${retentionMs} ms`);
  }

  start(): void {
    const intervalMs = Math.max(1, Math.min(longestPruneIntervalMs, this.retentionMs / 10));
    this.timer = setInterval(() => this.prune(), intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Forgets what started before the retention period; answers how many runs and records went. */
  prune(): { runs: number; records: number } {
    const cutoff = this.clock.now() - this.retentionMs;
    const expired: StoredRun[] = [];
    for (const sandbox of this.store.runs.sandboxNames()) {
      const keptByFlow = new Map<string, ReadonlySet<StoredRun>>();
      for (const run of this.store.runs.ofSandbox(sandbox)) {
        if (startOf(run) >= cutoff) break;
        if (run.metrics.statusSummary.status === 'inProgress') continue;
        let kept = keptByFlow.get(run.flowId);
        if (!kept) {
          kept = this.runsThatCarryTheSchedule(sandbox, run.flowId);
          keptByFlow.set(run.flowId, kept);
        }
        if (!kept.has(run)) expired.push(run);
      }
    }
    this.store.deleteRuns(expired);
    return { runs: expired.length, records: this.store.dropRecordsAppendedBefore(cutoff) };
  }

  /** The flow's latest run and its latest run that did not fail. */
  private runsThatCarryTheSchedule(sandbox: string, flowId: string): ReadonlySet<StoredRun> {
    const flowRuns = this.store.runs.ofFlow(sandbox, flowId);
    const kept = new Set<StoredRun>();
    const latest = flowRuns[flowRuns.length - 1];
    if (latest) kept.add(latest);
    for (let index = flowRuns.length - 1; index >= 0; index -= 1) {
      const run = flowRuns[index]!;
      if (run.metrics.statusSummary.status !== 'failed') {
        kept.add(run);
        break;
      }
    }
    return kept;
  }
}
