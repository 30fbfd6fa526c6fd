/**
 * The runs of each sandbox, and of each flow in it, kept in start order (startedAtUTC, then id): a sandbox holds
 * hundreds of thousands of runs, so the run listing's time windows are binary searches and "the latest run of a
 * flow" is the last element, not a scan. Runs never change sandbox, flow or start time, so entries stay put.
 */
import type { StoredRun } from './flow-service/entity-types';

/** Bounds of a start-time window; either end may be open. */
export interface StartWindow {
  after?: { ms: number; inclusive: boolean };
  before?: { ms: number; inclusive: boolean };
}

interface SandboxRuns {
  inStartOrder: StoredRun[];
  byFlow: Map<string, StoredRun[]>;
}

export class RunIndex {
  private readonly sandboxes = new Map<string, SandboxRuns>();
  private createdAtIsStartTime = true;

  /** Whether every run's createdAt equals its start time, so the start order is also the createdAt order. */
  get createdAtFollowsStartTime(): boolean {
    return this.createdAtIsStartTime;
  }

  add(run: StoredRun): void {
    const sandbox = this.sandbox(run.sandboxName);
    insertInStartOrder(sandbox.inStartOrder, run);
    let flowRuns = sandbox.byFlow.get(run.flowId);
    if (!flowRuns) {
      flowRuns = [];
      sandbox.byFlow.set(run.flowId, flowRuns);
    }
    insertInStartOrder(flowRuns, run);
    if (run.createdAt !== startOf(run)) this.createdAtIsStartTime = false;
  }

  remove(run: StoredRun): void {
    const sandbox = this.sandboxes.get(run.sandboxName);
    if (!sandbox) return;
    removeFrom(sandbox.inStartOrder, run);
    const flowRuns = sandbox.byFlow.get(run.flowId);
    if (flowRuns) {
      removeFrom(flowRuns, run);
      if (flowRuns.length === 0) sandbox.byFlow.delete(run.flowId);
    }
  }

  /** Removes many runs at once (retention): one pass over each array instead of a splice per run. */
  removeAll(runs: Iterable<StoredRun>): void {
    const bySandbox = new Map<string, Set<StoredRun>>();
    for (const run of runs) {
      let doomed = bySandbox.get(run.sandboxName);
      if (!doomed) {
        doomed = new Set();
        bySandbox.set(run.sandboxName, doomed);
      }
      doomed.add(run);
    }
    for (const [sandboxName, doomed] of bySandbox) {
      const sandbox = this.sandboxes.get(sandboxName);
      if (!sandbox) continue;
      sandbox.inStartOrder = sandbox.inStartOrder.filter((run) => !doomed.has(run));
      for (const flowId of new Set([...doomed].map((run) => run.flowId))) {
        const remaining = (sandbox.byFlow.get(flowId) ?? []).filter((run) => !doomed.has(run));
        if (remaining.length > 0) sandbox.byFlow.set(flowId, remaining);
        else sandbox.byFlow.delete(flowId);
      }
    }
  }

  clear(): void {
    this.sandboxes.clear();
    this.createdAtIsStartTime = true;
  }

  /** Every run of the sandbox, oldest start first. Read-only: the index owns the array. */
  ofSandbox(sandboxName: string): readonly StoredRun[] {
    return this.sandboxes.get(sandboxName)?.inStartOrder ?? [];
  }

  /** The runs of one flow in its sandbox, oldest start first. Read-only: the index owns the array. */
  ofFlow(sandboxName: string, flowId: string): readonly StoredRun[] {
    return this.sandboxes.get(sandboxName)?.byFlow.get(flowId) ?? [];
  }

  latestOfFlow(sandboxName: string, flowId: string): StoredRun | undefined {
    const runs = this.ofFlow(sandboxName, flowId);
    return runs[runs.length - 1];
  }

  /** The sandbox's runs that started within the window, oldest first (a copy). */
  startedWithin(sandboxName: string, window: StartWindow): StoredRun[] {
    const runs = this.ofSandbox(sandboxName);
    const from = window.after ? firstStartingAfter(runs, window.after.ms, window.after.inclusive) : 0;
    const to = window.before ? firstStartingAfter(runs, window.before.ms, !window.before.inclusive) : runs.length;
    return from < to ? runs.slice(from, to) : [];
  }

  /** Where the sandbox's first run that started after (or at) `ms` and, at equal start, after `id` sits. */
  positionAfter(sandboxName: string, ms: number, id: string): number {
    const runs = this.ofSandbox(sandboxName);
    let low = 0;
    let high = runs.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      const run = runs[middle]!;
      const start = startOf(run);
      if (start < ms || (start === ms && run.id <= id)) low = middle + 1;
      else high = middle;
    }
    return low;
  }

  sandboxNames(): string[] {
    return [...this.sandboxes.keys()];
  }

  private sandbox(name: string): SandboxRuns {
    let sandbox = this.sandboxes.get(name);
    if (!sandbox) {
      sandbox = { inStartOrder: [], byFlow: new Map() };
      this.sandboxes.set(name, sandbox);
    }
    return sandbox;
  }
}

export function startOf(run: StoredRun): number {
  return run.metrics.durationSummary.startedAtUTC;
}

/** Start order: start time, then id, as the run listing breaks ties. */
function isBefore(left: StoredRun, right: StoredRun): boolean {
  const difference = startOf(left) - startOf(right);
  return difference < 0 || (difference === 0 && left.id < right.id);
}

/** Runs usually arrive in start order, so this is almost always an append. */
function insertInStartOrder(runs: StoredRun[], run: StoredRun): void {
  const last = runs[runs.length - 1];
  if (!last || !isBefore(run, last)) {
    runs.push(run);
    return;
  }
  runs.splice(positionOf(runs, run), 0, run);
}

/** Where `run` sits, or would sit, in a start-ordered array. */
function positionOf(runs: readonly StoredRun[], run: StoredRun): number {
  let low = 0;
  let high = runs.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (isBefore(runs[middle]!, run)) low = middle + 1;
    else high = middle;
  }
  return low;
}

function removeFrom(runs: StoredRun[], run: StoredRun): void {
  const position = positionOf(runs, run);
  if (runs[position] === run) runs.splice(position, 1);
}

/** Index of the first run starting after `ms` (or at `ms` when `inclusive`). */
function firstStartingAfter(runs: readonly StoredRun[], ms: number, inclusive: boolean): number {
  let low = 0;
  let high = runs.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    const start = startOf(runs[middle]!);
    if (start < ms || (!inclusive && start === ms)) low = middle + 1;
    else high = middle;
  }
  return low;
}
