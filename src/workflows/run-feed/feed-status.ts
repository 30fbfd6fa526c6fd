/** The run feed's `status` query and its Web UI details: one view, two renderings. */
import { describeDuration } from '../../contracts/durations';
import { forWebUi } from '../../contracts/web-ui-markdown';
import type { RunFeedStatus } from '../../contracts/run-feed-messages';
import type { RunFeedState } from '../../contracts/run-feed-state';

export function describeFeed(
  state: RunFeedState,
  context: { sandbox: string; intervalMs: number; overlapMs: number; nextTickAtMs?: number },
): RunFeedStatus {
  const { stats } = state;
  return {
    sandbox: context.sandbox,
    ...(state.cursorMs !== undefined ? { cursor: new Date(state.cursorMs).toISOString() } : {}),
    intervalMs: context.intervalMs,
    overlapMs: context.overlapMs,
    ...(stats.lastTickAt ? { lastTickAt: stats.lastTickAt } : {}),
    ...(stats.lastTickDurationMs !== undefined ? { lastTickDurationMs: stats.lastTickDurationMs } : {}),
    ...(context.nextTickAtMs !== undefined ? { nextTickAt: new Date(context.nextTickAtMs).toISOString() } : {}),
    ticks: stats.ticks,
    runsSeen: stats.runsSeen,
    runsDelivered: stats.runsDelivered,
    monitorsSignalled: stats.monitorsSignalled,
    runsIgnored: stats.runsIgnored,
    pushed: {
      events: stats.pushedEvents ?? 0,
      duplicates: stats.pushedDuplicates ?? 0,
      runsDelivered: stats.pushedRunsDelivered ?? 0,
      foreignRuns: stats.pushedForeignRuns ?? 0,
      staleDuplicates: stats.pushedStaleDuplicates ?? 0,
      runsRead: stats.pushedRunsRead ?? 0,
      ...(stats.lastPushedEventAt ? { lastEventAt: stats.lastPushedEventAt } : {}),
    },
    runsInProgress: state.followed.length,
    listingErrors: stats.listingErrors,
    consecutiveFailures: stats.consecutiveFailures,
    ...(stats.lastError ? { lastError: stats.lastError } : {}),
    ...(stats.lastErrorAt ? { lastErrorAt: stats.lastErrorAt } : {}),
    continuedAsNew: state.generation,
    startedAt: state.startedAt,
  };
}

export function feedMarkdown(status: RunFeedStatus): string {
  const health =
    status.consecutiveFailures > 0 ? `**listing failing** (${status.consecutiveFailures} in a row)` : '**listing**';
  const lines = [
    `### Runs of sandbox ${status.sandbox}: ${health}`,
    '',
    `- Cursor: runs started after ${status.cursor ?? '(none seen yet)'}, less ${describeDuration(status.overlapMs)} overlap`,
    `- Last look: ${status.lastTickAt ?? 'not yet'}${status.lastTickDurationMs !== undefined ? ` (took ${describeDuration(status.lastTickDurationMs)})` : ''}; every ${describeDuration(status.intervalMs)}${status.nextTickAt ? `, next ${status.nextTickAt}` : ''}`,
    `- Runs seen ${status.runsSeen}, handed on ${status.runsDelivered}, in progress ${status.runsInProgress}, of flows no monitor owns ${status.runsIgnored}`,
    `- Monitors signalled ${status.monitorsSignalled} (one message per monitor per look)`,
    `- Pushed by I/O Events: ${status.pushed.events} event(s), ${status.pushed.duplicates} duplicate(s) dropped, ${status.pushed.staleDuplicates} stale duplicate(s), ${status.pushed.runsDelivered} run(s) handed on (${status.pushed.runsRead} read from AEP), ${status.pushed.foreignRuns} of flows not ours${status.pushed.lastEventAt ? ` (last ${status.pushed.lastEventAt})` : ''}`,
    `- Listing errors ${status.listingErrors}${status.lastError ? `; last at ${status.lastErrorAt ?? '?'}: ${status.lastError}` : ''}`,
    `- Looks ${status.ticks}, continued as new ${status.continuedAsNew} time(s), since ${status.startedAt}`,
  ];
  return forWebUi(lines);
}
