/**
 * Runs every enabled flow on its schedule: the first run at `startTime`, then one every interval × frequency.
 * Waits are shortened by the clock's time scale. Missed slots (after a restart or a long pause) are not
 * replayed one by one: an overdue flow runs once now and its window covers everything since its last run.
 */
import type { SimulatorContext } from './context';
import type { StoredFlow, StoredRun } from './flow-service/entity-types';
import { schedulePeriodMs } from './flow-service/schedule-params';
import type { RunExecutor } from './run-execution';

/** setTimeout cannot wait longer than this; longer waits re-arm. */
const longestTimerMs = 2_147_483_647;

export class RunScheduler {
  private readonly timers = new Map<string, NodeJS.Timeout>();
  /** Wall time of each flow's latest scheduled run, so manual runs do not shift the schedule. */
  private readonly lastScheduledStart = new Map<string, number>();
  /** The wall time the first run is due, kept while startTime is unchanged so re-arming does not drift. */
  private readonly firstRunDue = new Map<string, { startTime: string; dueAt: number }>();
  private stopped = false;

  constructor(
    private readonly context: SimulatorContext,
    private readonly executor: RunExecutor,
  ) {}

  start(): void {
    for (const flow of this.context.store.list<StoredFlow>('flows')) this.refresh(flow.id);
  }

  stop(): void {
    this.stopped = true;
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
  }

  /** Re-reads a flow after any change (create, PATCH, enable, disable, delete) and arms or clears its timer. */
  refresh(flowId: string): void {
    const existing = this.timers.get(flowId);
    if (existing) clearTimeout(existing);
    this.timers.delete(flowId);
    if (this.stopped) return;
    const flow = this.context.store.getAnywhere<StoredFlow>('flows', flowId);
    if (!flow) {
      this.lastScheduledStart.delete(flowId);
      this.firstRunDue.delete(flowId);
      return;
    }
    if (flow.state !== 'enabled') return;
    const dueAt = this.nextRunDue(flow);
    if (dueAt !== undefined) this.arm(flowId, dueAt);
  }

  /** Starts a run of the flow now, outside its schedule (admin API), optionally reporting an earlier start. */
  runNow(flow: StoredFlow, reportedStartMs?: number): StoredRun {
    return this.executor.start(flow, reportedStartMs);
  }

  private arm(flowId: string, dueAt: number): void {
    const delay = Math.max(0, dueAt - this.context.clock.now());
    const timer = setTimeout(
      () => {
        this.timers.delete(flowId);
        if (this.context.clock.now() < dueAt) this.arm(flowId, dueAt);
        else this.fire(flowId);
      },
      Math.min(delay, longestTimerMs),
    );
    timer.unref();
    this.timers.set(flowId, timer);
  }

  private fire(flowId: string): void {
    const flow = this.context.store.getAnywhere<StoredFlow>('flows', flowId);
    if (!flow || flow.state !== 'enabled' || this.stopped) return;
    this.lastScheduledStart.set(flowId, this.context.clock.now());
    try {
      this.executor.start(flow);
    } catch (error) {
      console.error(`simulator: run of flow ${flowId} could not start:`, error);
    }
    this.refresh(flowId);
  }

  private nextRunDue(flow: StoredFlow): number | undefined {
    const now = this.context.clock.now();
    const startTimeMs = Number(flow.scheduleParams.startTime) * 1000;
    let first = this.firstRunDue.get(flow.id);
    if (!first || first.startTime !== flow.scheduleParams.startTime) {
      first = {
        startTime: flow.scheduleParams.startTime,
        dueAt: now + this.context.clock.scaled(Math.max(0, startTimeMs - now)),
      };
      this.firstRunDue.set(flow.id, first);
    }
    const lastStart = this.lastScheduledStart.get(flow.id) ?? this.latestRunStart(flow);
    const period = schedulePeriodMs(flow.scheduleParams);
    if (period === undefined) return lastStart === undefined ? first.dueAt : undefined;
    if (lastStart === undefined) return first.dueAt;
    let dueAt = lastStart + this.context.clock.scaled(period);
    // A PATCH may move startTime into the future after runs have happened: wait for it.
    if (startTimeMs > now) dueAt = Math.max(dueAt, first.dueAt);
    return Math.max(dueAt, now);
  }

  private latestRunStart(flow: StoredFlow): number | undefined {
    return this.context.store.runs.latestOfFlow(flow.sandboxName, flow.id)?.metrics.durationSummary.startedAtUTC;
  }
}
