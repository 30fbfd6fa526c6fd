/**
 * How many partitions the Temporal server splits a task queue's activity tasks into. The server divides a queue's
 * rate limit evenly among them (server 1.31, the matching service's rate limit manager): each partition dispatches
 * at most the limit divided by the partitions, whatever the others hold. Shared pacing keeps the organisation's rate
 * as the provisioning queue's limit, so with the default four partitions a step waiting in a partition that holds
 * most of what is left starts at a quarter of the rate: measured, the last 6 to 14 s of 200 dataflows provisioned by
 * six workers ran below three quarters of the limit (0.84–0.89 of it used), against under a second with one
 * partition (0.91–0.92). The servers this project ships keep one partition per queue; elsewhere the worker says so.
 */
import type { NativeConnection } from '@temporalio/worker';
import type { Connection } from '@temporalio/client';

/** The activity partitions of a task queue, as the server lists them (its write partitions). */
export async function activityPartitions(
  connection: NativeConnection | Connection,
  options: { namespace: string; taskQueue: string },
): Promise<number> {
  const listed = await connection.workflowService.listTaskQueuePartitions({
    namespace: options.namespace,
    taskQueue: { name: options.taskQueue },
  });
  return Math.max(1, listed.activityTaskQueuePartitions?.length ?? 1);
}

/** What the worker logs when the provisioning queue's rate limit is split: what it costs, and the settings to change. */
export function splitRateLimitWarning(taskQueue: string, partitions: number): string | undefined {
  if (partitions <= 1) return undefined;
  return (
    `task queue ${taskQueue} has ${partitions} partitions: Temporal gives each 1/${partitions} of the shared AEP ` +
    `call rate, so steps left in one partition start slower than AEP admits; set matching.numTaskqueueReadPartitions ` +
    `and matching.numTaskqueueWritePartitions to 1 for it in the server's dynamic config (docs/operations.md)`
  );
}
