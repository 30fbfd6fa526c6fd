/**
 * A task queue's activity rate limit as the Temporal server keeps it (UpdateTaskQueueConfig, server 1.28+): the
 * matching service enforces it across every worker polling the queue, and its metadata (who set it, when, and a
 * reason we write as JSON) is where the workers pacing one organisation share what they learned.
 */
import type { NativeConnection } from '@temporalio/worker';
import type { Connection } from '@temporalio/client';
import { temporal } from '@temporalio/proto';

const activityQueue = temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY;

/** What the controller writes in the limit's `reason`, so the next worker to act knows what the last one learned. */
export interface PacingNote {
  /** `decrease` after a 429, `increase` while the limit held work back without a 429. */
  step: 'decrease' | 'increase';
  /** The rate (activities per second) that drew the last 429: the increases slow down as they near it. */
  limitEstimate: number;
  /** Epoch ms of the last decrease by any worker: long without one, the limit may have been raised. */
  lastDecreaseAtMs: number;
}

export interface QueueRateReading {
  /** Activities per second the server lets through, all workers together; undefined when no limit is set. */
  rate?: number;
  /** Epoch ms the limit was last set. */
  updatedAtMs?: number;
  /** Set when the limit was set by this tool's pacing (not by hand or by a worker's option). */
  note?: PacingNote;
  /** Activities waiting to be dispatched (the server's estimate, refreshed every few seconds). */
  backlog: number;
  /** Activities dispatched per second lately (the server's estimate). */
  dispatchRate: number;
  /** Workers polling the queue lately. */
  pollers: number;
}

export interface QueueRateLimit {
  read(): Promise<QueueRateReading>;
  set(rate: number, note: PacingNote): Promise<void>;
}

/** The limit of one activity task queue, through the worker's (or a client's) connection. */
export function queueRateLimit(
  connection: NativeConnection | Connection,
  options: { namespace: string; taskQueue: string; identity: string },
): QueueRateLimit {
  const service = connection.workflowService;
  return {
    async read() {
      const described = await service.describeTaskQueue({
        namespace: options.namespace,
        taskQueue: { name: options.taskQueue },
        taskQueueType: activityQueue,
        reportConfig: true,
        reportStats: true,
      });
      const limit = described.config?.queueRateLimit;
      const rate = limit?.rateLimit?.requestsPerSecond ?? undefined;
      const updateTime = limit?.metadata?.updateTime;
      const updatedAtMs =
        updateTime?.seconds != null
          ? Number(updateTime.seconds) * 1000 + Math.floor((updateTime.nanos ?? 0) / 1e6)
          : undefined;
      const note = pacingNoteOf(limit?.metadata?.reason ?? undefined);
      return {
        ...(rate !== undefined && rate !== null ? { rate } : {}),
        ...(updatedAtMs !== undefined ? { updatedAtMs } : {}),
        ...(note !== undefined ? { note } : {}),
        backlog: Number(described.stats?.approximateBacklogCount ?? 0),
        dispatchRate: described.stats?.tasksDispatchRate ?? 0,
        pollers: described.pollers?.length ?? 0,
      };
    },
    async set(rate, note) {
      await service.updateTaskQueueConfig({
        namespace: options.namespace,
        identity: options.identity,
        taskQueue: options.taskQueue,
        taskQueueType: activityQueue,
        updateQueueRateLimit: { rateLimit: { requestsPerSecond: rate }, reason: JSON.stringify({ pacing: note }) },
      });
    },
  };
}

function pacingNoteOf(reason: string | undefined): PacingNote | undefined {
  if (!reason) return undefined;
  try {
    const parsed = JSON.parse(reason) as { pacing?: Partial<PacingNote> };
    const note = parsed.pacing;
    if (
      note &&
      (note.step === 'decrease' || note.step === 'increase') &&
      typeof note.limitEstimate === 'number' &&
      typeof note.lastDecreaseAtMs === 'number'
    ) {
      return { step: note.step, limitEstimate: note.limitEstimate, lastDecreaseAtMs: note.lastDecreaseAtMs };
    }
  } catch {
    // Set by hand with a reason of its own: not ours.
  }
  return undefined;
}
