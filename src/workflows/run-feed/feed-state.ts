/** The pure rules that move the run feed's state forward after each look or push. */
import type { LookResult, PushResult, RunFeedState } from '../../contracts/run-feed-state';

/** Far more events than arrive between two redeliveries of one (I/O Events retries for at most a day). */
export const maxSeenEventIds = 5_000;

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

/**
 * Time until the next look when the previous run of the feed continued as new while waiting for one: the look stays
 * due when it was (at once if that has passed). Otherwise as `nextLookDelayMs`. The carried time is used once.
 */
export function carriedLookDelayMs(state: RunFeedState, intervalMs: number, nowMs: number): number {
  const dueAtMs = state.lookDueAtMs;
  state.lookDueAtMs = undefined;
  return dueAtMs === undefined ? nextLookDelayMs(state, intervalMs) : Math.max(0, dueAtMs - nowMs);
}

/**
 * The ids of the latest pushed events (the newest `maxSeenEventIds`, kept in the state so they survive
 * continue-as-new), with a set beside them so each event costs O(1) however many are remembered: a feed under a
 * steady stream takes thousands of signals between two looks, and rebuilding the set for each one made a single
 * workflow task run for seconds.
 */
export class SeenEventIds {
  private readonly ids: Set<string>;

  constructor(private readonly state: RunFeedState) {
    state.seenEventIds ??= [];
    this.ids = new Set(state.seenEventIds);
  }

  /**
   * Keeps the events not seen before (by event id, also within the batch) and remembers their ids; counts the
   * duplicates dropped.
   */
  take<T extends { eventId: string }>(events: T[], nowMs: number): T[] {
    const remembered = this.state.seenEventIds!;
    const fresh: T[] = [];
    for (const event of events) {
      if (this.ids.has(event.eventId)) continue;
      this.ids.add(event.eventId);
      remembered.push(event.eventId);
      fresh.push(event);
    }
    if (remembered.length > maxSeenEventIds) {
      for (const forgotten of remembered.splice(0, remembered.length - maxSeenEventIds)) this.ids.delete(forgotten);
    }
    const stats = this.state.stats;
    stats.pushedEvents = (stats.pushedEvents ?? 0) + events.length;
    stats.pushedDuplicates = (stats.pushedDuplicates ?? 0) + (events.length - fresh.length);
    stats.lastPushedEventAt = new Date(nowMs).toISOString();
    return fresh;
  }
}

/**
 * Of the pushed events waiting, the ends of runs not handed on yet: a start says nothing a look will not (looks
 * follow every run in progress), and an end of a run already handed on (by a look, or an earlier push) is a
 * duplicate, counted as such.
 */
export function endsToHandOn<T extends { runId: string; outcome: string }>(state: RunFeedState, events: T[]): T[] {
  const delivered = new Set(state.delivered.map(([id]) => id));
  const ends = events.filter((event) => event.outcome !== 'started');
  const fresh = ends.filter((event) => !delivered.has(event.runId));
  state.stats.pushedDuplicates = (state.stats.pushedDuplicates ?? 0) + (ends.length - fresh.length);
  return fresh;
}

/**
 * Runs that started in this window were listed by a look (from the start of the feed's first window to the cursor
 * less the overlap, which the next look no longer lists): undefined until the feed has both.
 */
export function listedWindow(state: RunFeedState, overlapMs: number): { fromMs: number; toMs: number } | undefined {
  if (state.coveredFromMs === undefined || state.cursorMs === undefined) return undefined;
  const toMs = state.cursorMs - overlapMs;
  return toMs > state.coveredFromMs ? { fromMs: state.coveredFromMs, toMs } : undefined;
}

/** Folds pushed runs into the state: finished ones count as delivered (and are no longer followed), started ones are followed. */
export function applyPush(state: RunFeedState, push: PushResult): void {
  const finished = new Set(push.delivered.map(([id]) => id));
  const known = new Set(state.delivered.map(([id]) => id));
  state.delivered.push(...push.delivered.filter(([id]) => !known.has(id)));
  const followed = state.followed.filter(([id]) => !finished.has(id));
  const following = new Set(followed.map(([id]) => id));
  followed.push(...push.started.filter(([id]) => !following.has(id) && !finished.has(id)));
  state.followed = followed;
  const stats = state.stats;
  stats.pushedRunsDelivered = (stats.pushedRunsDelivered ?? 0) + push.delivered.length - (push.staleDuplicates ?? 0);
  stats.monitorsSignalled += push.monitorsSignalled;
  stats.runsIgnored += push.runsIgnored;
  if (push.foreignRuns) stats.pushedForeignRuns = (stats.pushedForeignRuns ?? 0) + push.foreignRuns;
  if (push.staleDuplicates) stats.pushedStaleDuplicates = (stats.pushedStaleDuplicates ?? 0) + push.staleDuplicates;
  if (push.runsRead) stats.pushedRunsRead = (stats.pushedRunsRead ?? 0) + push.runsRead;
}

/**
 * Runs whose start was pushed: followed from now on (listed by id at each look until they end), without reading
 * them first. A run already handed on (its end came first) or already followed is left as it is.
 */
export function followPushedStarts(
  state: RunFeedState,
  events: ReadonlyArray<{ runId: string; flowId: string }>,
  nowMs: number,
): void {
  const known = new Set([...state.delivered.map(([id]) => id), ...state.followed.map(([id]) => id)]);
  for (const event of events) {
    if (known.has(event.runId)) continue;
    known.add(event.runId);
    state.followed.push([event.runId, event.flowId, nowMs]);
  }
}
