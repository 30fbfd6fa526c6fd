/**
 * The run feed's activities as workflows see them (sandboxRunFeed, eventsJournal, the monitor's refresh):
 * src/activities/run-feed implements this interface, so the compiler checks both sides.
 */
import type { LookNowRequest, PushedRunEvent } from './run-feed-messages';
import type { FollowedRun, LookResult, PushResult } from './run-feed-state';

export interface RunFeedActivities {
  /** Lists the sandbox's runs since the cursor and hands each finished run to its dataflow's monitor. */
  deliverSandboxRuns(input: DeliverSandboxRunsInput): Promise<LookResult>;
  /** Hands runs pushed by the events receiver to their monitors, reading a run only when the event lacks it. */
  deliverPushedRuns(input: DeliverPushedRunsInput): Promise<PushResult>;
  /** Starts the sandbox's run feed unless it runs already. */
  ensureRunFeed(input: { sandbox: string }): Promise<{ workflowId: string; runId: string }>;
  /** Reads the next page of the I/O Events journal and hands its flow-run events to the run feeds. */
  readEventsJournal(input: ReadEventsJournalInput): Promise<JournalReadResult>;
}

export interface DeliverSandboxRunsInput {
  sandbox: string;
  /** Runs that started after this epoch ms are listed. */
  listFromMs: number;
  pageSize: number;
  /** Runs in progress at the last look. */
  followed: FollowedRun[];
  /** Finished runs already handed on that this listing may return again (the overlap). */
  deliveredIds: string[];
  lookNow: LookNowRequest[];
  /**
   * The look sees the sandbox as of this instant (epoch ms, fixed by the feed when it starts the look): a run that
   * started later is left to the next look, one that ended later is still in progress. A retried attempt thus sends
   * its monitors exactly the messages the first one did, which Temporal then drops by request id.
   */
  asOfMs?: number;
}

export interface DeliverPushedRunsInput {
  sandbox: string;
  events: PushedRunEvent[];
  /** Finished runs the feed already handed on: not read again (feeds before batching; now filtered by the feed). */
  deliveredIds?: string[];
  /**
   * Runs that started in this window (epoch ms, from inclusive, to exclusive) were listed by a look already: their
   * end was handed on then, unless the run is among `followedIds`. A pushed end of such a run is a late duplicate.
   */
  handedOnWindow?: { fromMs: number; toMs: number };
  /** Runs of these events that the feed follows as in progress: never late duplicates. */
  followedIds?: string[];
}

export interface ReadEventsJournalInput {
  /** The journal URL (first read) or the next link of the previous read. */
  url: string;
  /** Where a sandbox's run feed runs if the events start it. */
  runFeedTaskQueue: string;
}

export interface JournalReadResult {
  next: string;
  /** Flow-run events handed on (other event types in the journal are skipped). */
  handedOn: number;
  skipped: number;
  /** Set when there was nothing newer: wait this long before reading `next`. */
  retryAfterMs?: number;
  /** The position had expired: reading resumed at the newest events. */
  expired?: boolean;
}
