import type { PushedRunEvent } from './run-feed-messages';

/**
 * What the run feed knows, as plain JSON (it is carried across continue-as-new as workflow input). A look returns the runs it handed on; the feed keeps just enough
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
  /** Pushed events (absent in states carried by releases before push). */
  pushedEvents?: number;
  pushedDuplicates?: number;
  pushedRunsDelivered?: number;
  lastPushedEventAt?: string;
  /** Pushed runs of flows that are not ours, ends of runs handed on before, and runs read for lack of metrics. */
  pushedForeignRuns?: number;
  pushedStaleDuplicates?: number;
  pushedRunsRead?: number;
}

export interface RunFeedState {
  /** Epoch ms: the newest run start seen. Absent until the first look that saw a run. */
  cursorMs?: number;
  followed: FollowedRun[];
  delivered: DeliveredRun[];
  stats: RunFeedStats;
  startedAt: string;
  generation: number;
  /** Ids of the latest pushed events, newest last: a redelivered event is dropped (absent before push). */
  seenEventIds?: string[];
  /**
   * Epoch ms the next look is due, when the feed continued as new while waiting for it (a steady push stream fills
   * the history between two looks): the next run keeps that time instead of waiting a whole interval again.
   */
  lookDueAtMs?: number;
  /** Pushed events received but not handed on yet: carried, so none is lost at continue-as-new. */
  pendingEvents?: PushedRunEvent[];
  /**
   * Epoch ms: the start of the first window this feed listed (its first successful look). Every run that started
   * between this and the cursor less the overlap has been listed by some look, so it was handed on then or is still
   * followed: a pushed end of such a run, neither followed nor remembered, is a late redelivery. Absent until then.
   */
  coveredFromMs?: number;
}

/** What handing on pushed runs (the deliverPushedRuns activity) reports back. */
export interface PushResult {
  /** Finished runs handed on (or ignored for good). */
  delivered: DeliveredRun[];
  /** Runs that started: followed from now on, so their end is seen even if its event is lost. */
  started: FollowedRun[];
  monitorsSignalled: number;
  runsIgnored: number;
  /** Runs of flows no dataflow of ours owns (counted in runsIgnored too): nothing read. */
  foreignRuns?: number;
  /** Ends of runs handed on before, recognised by their start time: dropped. */
  staleDuplicates?: number;
  /** Runs read from AEP because their event carried no metrics. */
  runsRead?: number;
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
