/**
 * A task queue's activity rate limit as the Temporal server keeps it (UpdateTaskQueueConfig, server 1.28+), used as
 * the one place the workers pacing an organisation share what they learned: its value is the organisation's AEP
 * calls per second, all workers together; its metadata (when it was set, and a reason we write as JSON) says how it
 * was learned. The matching service also enforces it on the queue's activity dispatch, across every worker: almost
 * every provisioning activity makes at least one AEP call, so the queue then never starts activities faster than
 * AEP admits calls, which bounds a worker that does not pace with the others (an older build, TASK_QUEUE_PACING=off).
 */
import type { NativeConnection } from '@temporalio/worker';
import type { Connection } from '@temporalio/client';
import { temporal } from '@temporalio/proto';

const activityQueue = temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY;

/** What the controller writes in the limit's `reason`, so the next worker to act knows what the last one learned. */
export interface PacingNote {
  /** `decrease` after a 429, `increase` while the rate held calls back without a 429. */
  step: 'decrease' | 'increase';
  /** The rate (AEP calls per second, all workers) that drew the last 429: the increases slow down as they near it. */
  limitEstimate: number;
  /** Epoch ms of the last decrease by any worker: long without one, the limit may have been raised. */
  lastDecreaseAtMs: number;
  /**
   * Only while the first rate is being set: each worker's calls admitted in the second before the first 429, by
   * worker. Together they are what the gateway admitted across the workers, the first estimate of its limit.
   */
  firstSamples?: Record<string, number>;
  /**
   * With `firstSamples`: the end of the second they count (epoch ms), when the call that drew the first 429 was sent.
   * The gateway's window ends about there; the first write comes up to a read later.
   */
  firstSamplesUntilMs?: number;
  /**
   * Set with the first rate, until the next decrease: the estimate is the first 429's samples, which count the calls
   * each worker saw answered (late when it is busy), never more than the gateway admitted. No 429 has tested it
   * yet, so the rate grows from it by `growthFactor` a step rather than creeping up to it.
   */
  sampledEstimate?: true;
  /** Epoch ms the rate itself last changed (the limit's update time also moves when a worker only stamps it). */
  rateSetAtMs?: number;
  /**
   * The workers pacing with this rate, by worker: when each last said so (epoch ms, its own clock). Each sending
   * worker says so every few seconds; the rate is shared among those heard from lately.
   */
  workersSeen?: Record<string, number>;
}

export interface QueueRateReading {
  /** The organisation's AEP calls per second, all workers together (also the queue's activity dispatch limit). */
  rate?: number;
  /** Epoch ms the limit was last set. */
  updatedAtMs?: number;
  /** Set when the limit was set by this tool's pacing (not by hand or by a worker's option). */
  note?: PacingNote;
  /**
   * Workers polling the queue lately: those whose last poll is at most `activePollerWindowMs` older than the newest
   * one (at least 1). A busy worker polls whenever an activity of its ends; one that died, or has nothing to do, drops
   * out within the window, and its share goes to the others.
   */
  workers: number;
}

/** How recent a worker's last poll must be (next to the newest one's) to count it as sharing the rate. */
export const activePollerWindowMs = 6_000;

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
      });
      const limit = described.config?.queueRateLimit;
      // Kept as a 32-bit float: 17.59 reads back as 17.5900001…; every rate set here has two decimals.
      const stored = limit?.rateLimit?.requestsPerSecond ?? undefined;
      const rate = stored === undefined || stored === null ? stored : Math.round(stored * 100) / 100;
      const updatedAtMs = epochMsOf(limit?.metadata?.updateTime);
      const note = pacingNoteOf(limit?.metadata?.reason ?? undefined);
      return {
        ...(rate !== undefined && rate !== null ? { rate } : {}),
        ...(updatedAtMs !== undefined ? { updatedAtMs } : {}),
        ...(note !== undefined ? { note } : {}),
        workers: activeWorkers((described.pollers ?? []).map((poller) => epochMsOf(poller.lastAccessTime))),
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
      const firstSamples = numbersOf(note.firstSamples);
      const workersSeen = numbersOf(note.workersSeen);
      return {
        step: note.step,
        limitEstimate: note.limitEstimate,
        lastDecreaseAtMs: note.lastDecreaseAtMs,
        ...(typeof note.rateSetAtMs === 'number' ? { rateSetAtMs: note.rateSetAtMs } : {}),
        ...(note.sampledEstimate === true ? { sampledEstimate: true as const } : {}),
        ...(firstSamples !== undefined ? { firstSamples } : {}),
        ...(typeof note.firstSamplesUntilMs === 'number' ? { firstSamplesUntilMs: note.firstSamplesUntilMs } : {}),
        ...(workersSeen !== undefined ? { workersSeen } : {}),
      };
    }
  } catch {
    // Set by hand with a reason of its own: not ours.
  }
  return undefined;
}

function numbersOf(value: unknown): Record<string, number> | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const entries = Object.entries(value).filter((entry): entry is [string, number] => typeof entry[1] === 'number');
  return Object.fromEntries(entries);
}

type Timestamp = { seconds?: { toString(): string } | number | null; nanos?: number | null } | null | undefined;

function epochMsOf(timestamp: Timestamp): number | undefined {
  if (timestamp?.seconds == null) return undefined;
  return Number(timestamp.seconds) * 1000 + Math.floor((timestamp.nanos ?? 0) / 1e6);
}

/** Pollers whose last poll is within the window of the newest one's (server time on both sides: no clock skew). */
export function activeWorkers(lastPollsMs: Array<number | undefined>): number {
  const known = lastPollsMs.filter((at): at is number => at !== undefined);
  if (known.length === 0) return 1;
  const newest = Math.max(...known);
  return Math.max(1, known.filter((at) => at >= newest - activePollerWindowMs).length);
}
