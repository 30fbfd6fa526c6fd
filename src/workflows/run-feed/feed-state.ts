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
 * Keeps the pushed events not seen before (by event id, also within the batch) and remembers their ids; counts the
 * duplicates dropped.
 */
export function takeNewEvents<T extends { eventId: string }>(state: RunFeedState, events: T[], nowMs: number): T[] {
  const seen = new Set(state.seenEventIds ?? []);
  const fresh: T[] = [];
  for (const event of events) {
    if (seen.has(event.eventId)) continue;
    seen.add(event.eventId);
    fresh.push(event);
  }
  const stats = state.stats;
  stats.pushedEvents = (stats.pushedEvents ?? 0) + events.length;
  stats.pushedDuplicates = (stats.pushedDuplicates ?? 0) + (events.length - fresh.length);
  stats.lastPushedEventAt = new Date(nowMs).toISOString();
  const ids = [...(state.seenEventIds ?? []), ...fresh.map((event) => event.eventId)];
  state.seenEventIds = ids.length > maxSeenEventIds ? ids.slice(ids.length - maxSeenEventIds) : ids;
  return fresh;
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
  stats.pushedRunsDelivered = (stats.pushedRunsDelivered ?? 0) + push.delivered.length;
  stats.monitorsSignalled += push.monitorsSignalled;
  stats.runsIgnored += push.runsIgnored;
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
