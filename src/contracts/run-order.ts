/**
 * Runs do not always arrive in the order they started (a push overtakes a listing, a reconcile finds a run the feed
 * missed): the dataflow's state follows its newest run by start time, and an older run that finishes or arrives
 * later is history only. Workflow-safe.
 */
import type { RunSummary } from './monitor-state';

function startMs(run: RunSummary): number | undefined {
  if (run.startedAt === undefined) return undefined;
  const ms = Date.parse(run.startedAt);
  return Number.isNaN(ms) ? undefined : ms;
}

/** The start of the newest finished run among those known (epoch ms), if any has a start. */
export function newestSettledStartMs(known: readonly RunSummary[]): number | undefined {
  let newest: number | undefined;
  for (const run of known) {
    if (run.outcome === 'running') continue;
    const start = startMs(run);
    if (start !== undefined && (newest === undefined || start > newest)) newest = start;
  }
  return newest;
}

/**
 * A finished run that started before the newest run already settled: it says nothing about the dataflow now. A run
 * with no start, or one that started at the same instant, is not older (it counts as before).
 */
export function startedBeforeNewestSettled(run: RunSummary, known: readonly RunSummary[]): boolean {
  const start = startMs(run);
  const newest = newestSettledStartMs(known);
  return start !== undefined && newest !== undefined && start < newest;
}
