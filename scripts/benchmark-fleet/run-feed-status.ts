/**
 * What the sandboxes' run feeds say about themselves (their `status` query), added up: above all what push gave
 * them, events received, duplicates dropped by event id and runs handed on because of an event. A feed that does
 * not answer is reported, not fatal: the rest of the figures come from outside the design.
 */
import type { Client } from '@temporalio/client';
import { runFeedStatusQuery, type RunFeedStatus } from '../../src/contracts/run-feed-messages';
import { runFeedWorkflowId } from '../../src/contracts/workflow-ids';

export interface PushedTotals {
  events: number;
  duplicates: number;
  runsDelivered: number;
  /** Feeds that did not answer the query. */
  silentFeeds: number;
}

export async function readRunFeeds(
  client: Client,
  sandboxes: string[],
  log: (text: string) => void,
): Promise<PushedTotals> {
  const totals: PushedTotals = { events: 0, duplicates: 0, runsDelivered: 0, silentFeeds: 0 };
  for (const sandbox of sandboxes) {
    let status: RunFeedStatus;
    try {
      status = await client.workflow.getHandle(runFeedWorkflowId(sandbox)).query(runFeedStatusQuery);
    } catch (error) {
      totals.silentFeeds += 1;
      log(`the feed of ${sandbox} does not answer: ${String(error)}`);
      continue;
    }
    log(`feed of ${sandbox}: ${JSON.stringify(status)}`);
    // A worker from before push answers without the field.
    const pushed = (status.pushed as RunFeedStatus['pushed'] | undefined) ?? {
      events: 0,
      duplicates: 0,
      runsDelivered: 0,
    };
    totals.events += pushed.events;
    totals.duplicates += pushed.duplicates;
    totals.runsDelivered += pushed.runsDelivered;
  }
  return totals;
}
