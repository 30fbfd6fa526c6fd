/**
 * What the run feed knows, as plain JSON (it is carried across continue-as-new as workflow input), and the pure
 * rules that move it forward after each look. A look returns the runs it handed on; the feed keeps just enough
 * to never hand the same finished run on twice: the ids delivered within the overlap window, and the runs still
 * in progress (with their flow, so their end reaches the right monitor).
 */

/** A run seen in progress: listed by id at every look until it ends. `[runId, flowId, startedAtMs]`. */
export type FollowedRun = [id: string, flowId: string, startedAtMs: number];

/** A finished run already handed to its monitor: `[runId, startedAtMs]`, kept while it can be listed again. */
export type DeliveredRun = [id: string, startedAtMs: number];

export interface RunFeedStats {
  ticks: number;
  runsSeen: number;
  runsDelivered: number;
  monitorsSignalled: number;
  runsIgnored: number;
  listingErrors: number;
  consecutiveFailures: number;
  lastTickAt?: string;
  lastTickDurationMs?: number;
  lastError?: string;
  lastErrorAt?: string;
}

export interface RunFeedState {
  /** Epoch ms: the newest run start seen. Absent until the first look that saw a run. */
  cursorMs?: number;
  followed: FollowedRun[];
  delivered: DeliveredRun[];
  stats: RunFeedStats;
  startedAt: string;
  generation: number;
}

/** What one look (the deliverSandboxRuns activity) reports back. */
export interface LookResult {
  /** Newest start among the runs listed, if any. */
  newestStartMs?: number;
  /** Every run still in progress after this look (replaces the followed list). */
  followed: FollowedRun[];
  /** Finished runs handed on (or ignored for good) in this look. */
  delivered: DeliveredRun[];
  runsListed: number;
  monitorsSignalled: number;
  runsIgnored: number;
}

export const defaultFeedIntervalMs = 60_000;
export const defaultOverlapMs = 3 * 60_000;
/** The first look of a new feed reaches back this far (monitors reconcile anything older on their own). */
export const firstLookBackMs = 15 * 60_000;
/** After failures the next look waits interval × 2^failures, at most this long. */
export const maxBackoffMs = 10 * 60_000;

export function initialFeedState(nowMs: number): RunFeedState {
  return {
    followed: [],
    delivered: [],
    stats: {
      ticks: 0,
      runsSeen: 0,
      runsDelivered: 0,
      monitorsSignalled: 0,
      runsIgnored: 0,
      listingErrors: 0,
      consecutiveFailures: 0,
    },
    startedAt: new Date(nowMs).toISOString(),
    generation: 0,
  };
}

/** Runs that started after this instant are listed by the next look. */
export function listFromMs(state: RunFeedState, overlapMs: number, nowMs: number): number {
  return state.cursorMs === undefined ? nowMs - Math.max(firstLookBackMs, overlapMs) : state.cursorMs - overlapMs;
}

/** Folds a successful look into the state. */
export function applyLook(
  state: RunFeedState,
  look: LookResult,
  context: { overlapMs: number; startedAtMs: number; nowMs: number },
): void {
  if (look.newestStartMs !== undefined) {
    state.cursorMs = Math.max(state.cursorMs ?? look.newestStartMs, look.newestStartMs);
  }
  state.followed = look.followed;
  // Only runs that the next look can list again need remembering.
  const horizon = state.cursorMs === undefined ? -Infinity : state.cursorMs - context.overlapMs;
  const known = new Set(state.delivered.map(([id]) => id));
  const delivered = state.delivered.filter(([, startedAtMs]) => startedAtMs > horizon);
  for (const run of look.delivered) {
    if (!known.has(run[0]) && run[1] > horizon) delivered.push(run);
  }
  state.delivered = delivered;
  const stats = state.stats;
  stats.ticks += 1;
  stats.runsSeen += look.runsListed;
  stats.runsDelivered += look.delivered.length;
  stats.monitorsSignalled += look.monitorsSignalled;
  stats.runsIgnored += look.runsIgnored;
  stats.consecutiveFailures = 0;
  stats.lastTickAt = new Date(context.nowMs).toISOString();
  stats.lastTickDurationMs = context.nowMs - context.startedAtMs;
}

export function recordLookFailure(state: RunFeedState, message: string, nowMs: number): void {
  const stats = state.stats;
  stats.ticks += 1;
  stats.listingErrors += 1;
  stats.consecutiveFailures += 1;
  stats.lastError = message;
  stats.lastErrorAt = new Date(nowMs).toISOString();
}

/** Time until the next look: the interval, stretched exponentially while looks keep failing. */
export function nextLookDelayMs(state: RunFeedState, intervalMs: number): number {
  const failures = state.stats.consecutiveFailures;
  if (failures === 0) return intervalMs;
  return Math.min(maxBackoffMs, intervalMs * 2 ** failures);
}
