/**
 * What the sandboxes' run feeds say about themselves (their `status` query): above all what push gave them (events
 * received, duplicates dropped, runs handed on, runs of flows not ours, runs read from AEP) and how often each
 * continued as new. A feed that does not answer is reported, not fatal: the rest of the figures come from outside
 * the design.
 */
import type { Client } from '@temporalio/client';
import { runFeedStatusQuery, type RunFeedStatus } from '../../src/contracts/run-feed-messages';
import { runFeedWorkflowId } from '../../src/contracts/workflow-ids';

/** Each sandbox's feed status; undefined where the feed did not answer. */
export type FeedStatuses = Map<string, RunFeedStatus | undefined>;

export interface PushedTotals {
  events: number;
  duplicates: number;
  runsDelivered: number;
  /** Runs of flows no dataflow of ours owns: counted, never read. */
  foreignRuns: number;
  /** Ends of runs handed on before, redelivered later than the feed remembers event ids for: dropped. */
  staleDuplicates: number;
  /** Finished runs read from AEP because their event carried no metrics. */
  runsRead: number;
  /** Feeds that did not answer the query. */
  silentFeeds: number;
}

/** A query waits for the worker to answer it; a dead or swamped worker must not hold the benchmark forever. */
const queryTimeoutMs = 60_000;

export async function readFeedStatuses(
  client: Client,
  sandboxes: string[],
  log: (text: string) => void,
  /** Only the generation in the log (the readings around the window), not the whole status. */
  brief = false,
): Promise<FeedStatuses> {
  const statuses: FeedStatuses = new Map();
  for (const sandbox of sandboxes) {
    try {
      const status = await Promise.race([
        client.workflow.getHandle(runFeedWorkflowId(sandbox)).query(runFeedStatusQuery),
        new Promise<never>((_, reject) =>
          setTimeout(() => reject(new Error(`no answer in ${queryTimeoutMs / 1000} s`)), queryTimeoutMs).unref(),
        ),
      ]);
      statuses.set(sandbox, status);
      log(
        brief
          ? `feed of ${sandbox}: continued as new ${status.continuedAsNew} time(s)`
          : `feed of ${sandbox}: ${JSON.stringify(status)}`,
      );
    } catch (error) {
      statuses.set(sandbox, undefined);
      log(`the feed of ${sandbox} does not answer: ${String(error)}`);
    }
  }
  return statuses;
}

export function pushedTotals(statuses: FeedStatuses): PushedTotals {
  const totals: PushedTotals = {
    events: 0,
    duplicates: 0,
    runsDelivered: 0,
    foreignRuns: 0,
    staleDuplicates: 0,
    runsRead: 0,
    silentFeeds: 0,
  };
  for (const status of statuses.values()) {
    if (!status) {
      totals.silentFeeds += 1;
      continue;
    }
    // A worker from before push answers without the field, one from before cheap push without the newer counters.
    const pushed: Partial<RunFeedStatus['pushed']> = (status as Partial<RunFeedStatus>).pushed ?? {};
    totals.events += pushed.events ?? 0;
    totals.duplicates += pushed.duplicates ?? 0;
    totals.runsDelivered += pushed.runsDelivered ?? 0;
    totals.foreignRuns += pushed.foreignRuns ?? 0;
    totals.staleDuplicates += pushed.staleDuplicates ?? 0;
    totals.runsRead += pushed.runsRead ?? 0;
  }
  return totals;
}

/** Continue-as-new between two readings of the feeds. */
export interface FeedGenerations {
  continuedAsNew: number;
  /**
   * Feeds whose generation went down: terminated (a history past the server's limit) and started afresh, losing
   * their state. Their generations since the restart are counted above.
   */
  restarted: number;
}

/** How many times the feeds continued as new between two readings; undefined when a feed missed one of them. */
export function generationsBetween(before: FeedStatuses, after: FeedStatuses): FeedGenerations | undefined {
  const generations: FeedGenerations = { continuedAsNew: 0, restarted: 0 };
  for (const [sandbox, status] of after) {
    const earlier = before.get(sandbox);
    if (!status || !earlier) return undefined;
    if (status.continuedAsNew < earlier.continuedAsNew) {
      generations.restarted += 1;
      generations.continuedAsNew += status.continuedAsNew;
    } else {
      generations.continuedAsNew += status.continuedAsNew - earlier.continuedAsNew;
    }
  }
  return generations;
}

/** Each sandbox's first look finished after an instant (a worker's kill), by its feed's `lastTickAt`. */
export interface LooksAfter {
  /** Epoch ms of that look per sandbox; undefined where none was seen before `stop()`. */
  lookedAt(): Map<string, number | undefined>;
  /** Stops asking and resolves once the last question is answered or given up. */
  stop(): Promise<void>;
}

/** How often the feeds are asked after a kill: short next to their look interval. */
const looksAfterEveryMs = 5_000;

/**
 * Asks every feed for its status every few seconds until each has finished a look after `afterMs`. A feed that
 * was cached on the killed worker may not answer for a while (its query waits for the server to give up on that
 * worker's sticky queue); it is asked again.
 */
export function watchLooksAfter(client: Client, sandboxes: string[], afterMs: number): LooksAfter {
  const lookedAt = new Map<string, number | undefined>(sandboxes.map((sandbox) => [sandbox, undefined]));
  let stopped = false;
  const askOne = async (sandbox: string): Promise<void> => {
    try {
      const status = await Promise.race([
        client.workflow.getHandle(runFeedWorkflowId(sandbox)).query(runFeedStatusQuery),
        new Promise<never>((_, reject) => setTimeout(() => reject(new Error('no answer')), 10_000).unref()),
      ]);
      const at = status.lastTickAt ? Date.parse(status.lastTickAt) : undefined;
      if (at !== undefined && at > afterMs) lookedAt.set(sandbox, at);
    } catch {
      // Asked again next round.
    }
  };
  const watching = (async () => {
    for (;;) {
      const waiting = sandboxes.filter((sandbox) => lookedAt.get(sandbox) === undefined);
      if (stopped || waiting.length === 0) return;
      await Promise.all(waiting.map(askOne));
      await new Promise((resolve) => setTimeout(resolve, looksAfterEveryMs));
    }
  })();
  return {
    lookedAt: () => lookedAt,
    async stop() {
      stopped = true;
      await watching;
    },
  };
}
