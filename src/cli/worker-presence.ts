/**
 * Whether any worker polls a task queue, from the server's own view (DescribeTaskQueue): a query or an update sent
 * with no worker would wait in silence, so a verb says so within seconds, naming the queue and how to start one.
 */
import { temporal } from '@temporalio/proto';
import type { TemporalSession } from '../temporal/temporal-client';

/** A live worker polls again within its long poll (about a minute); older pollers are gone. */
const livePollerAgeMs = 90_000;

export async function noWorkerProblem(session: TemporalSession, taskQueue: string): Promise<string | undefined> {
  const response = await session.client.workflowService.describeTaskQueue({
    namespace: session.namespace,
    taskQueue: { name: taskQueue, kind: temporal.api.enums.v1.TaskQueueKind.TASK_QUEUE_KIND_NORMAL },
    taskQueueType: temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
  });
  const now = Date.now();
  const live = (response.pollers ?? []).filter((poller) => {
    const seconds = poller.lastAccessTime?.seconds;
    return seconds !== undefined && seconds !== null && now - Number(seconds) * 1000 < livePollerAgeMs;
  });
  if (live.length > 0) return undefined;
  return (
    `no worker is polling task queue "${taskQueue}", so nobody can answer: start one with npm run worker ` +
    '(TASK_QUEUE, MONITOR_TASK_QUEUE as for this monitor), or npm run demo, then run this again'
  );
}
