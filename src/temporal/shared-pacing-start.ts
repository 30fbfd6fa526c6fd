/**
 * The worker's side of shared pacing (shared-pacing.ts): TASK_QUEUE_PACING says whether it runs (`shared`, the
 * default) or not (`off`: each process paces alone, as before), and it is started on the provisioning queue with the
 * worker's connection and its AEP client's count of 429s.
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger, NativeConnection } from '@temporalio/worker';
import type { AepClient } from '../aep';
import { SharedPacing, sharedPacingTuning } from './shared-pacing';
import { queueRateLimit } from './task-queue-rate-limit';
import { activityPartitions, splitRateLimitWarning } from './task-queue-partitions';

export function sharedPacingFromEnv(env: NodeJS.ProcessEnv): boolean {
  const value = (env.TASK_QUEUE_PACING ?? '').trim().toLowerCase();
  if (value === '' || value === 'shared') return true;
  if (value === 'off') return false;
  throw new Error(`TASK_QUEUE_PACING must be "shared" or "off" (got "${env.TASK_QUEUE_PACING}")`);
}

export async function startSharedPacing(options: {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  aep: AepClient;
  orgId: string;
  ceiling?: number;
  logger: Logger;
}): Promise<{ stop(): Promise<void> }> {
  const { logger, taskQueue } = options;
  let lastError = '';
  // Unique among the queue's workers: in containers every worker may be pid 1 on its own host.
  const identity = `shared-pacing@${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  const pacing = new SharedPacing({
    identity,
    limit: queueRateLimit(options.connection, {
      namespace: options.namespace,
      taskQueue,
      identity,
    }),
    process: {
      answersSoFar: () => {
        const pacing = options.aep.pacing(options.orgId);
        return {
          throttled: pacing?.throttled ?? 0,
          admitted: pacing?.admitted ?? 0,
          waitedForRate: pacing?.waitedForRate ?? 0,
          ...(pacing?.lastThrottledSentAt !== undefined ? { lastThrottledSentAtMs: pacing.lastThrottledSentAt } : {}),
        };
      },
      admittedInSecondBefore: (atMs) => options.aep.admittedInSecondBefore(atMs, options.orgId),
      follow: (requestsPerSecond) => options.aep.followSharedRate(requestsPerSecond, options.orgId),
    },
    ...(options.ceiling !== undefined ? { ceiling: options.ceiling } : {}),
    onChange: ({ from, to, note, workers, restored }) => {
      const meta = { taskQueue, from: from ?? 'none', to, limitEstimate: note.limitEstimate, workers };
      if (restored) {
        logger.info('put back a decrease of the shared AEP call rate, undone by a write made from an older read', meta);
      } else if (note.firstSamples !== undefined) {
        logger.info('AEP answered 429: set the shared AEP call rate from what the workers had sent', {
          ...meta,
          workersSampled: Object.keys(note.firstSamples).length,
        });
      } else if (note.step === 'decrease') logger.info('AEP answered 429: lowered the shared AEP call rate', meta);
      else logger.debug('raised the shared AEP call rate', meta);
    },
    onError: (error) => {
      const message = error instanceof Error ? error.message : String(error);
      // Said once per distinct trouble, not twice a second.
      if (message !== lastError)
        logger.warn('could not read or set the shared AEP call rate', { taskQueue, error: message });
      lastError = message;
    },
  });
  // Said once at start: a queue split in partitions holds the shared rate back wherever the steps left pile up.
  activityPartitions(options.connection, { namespace: options.namespace, taskQueue }).then(
    (partitions) => {
      const warning = splitRateLimitWarning(taskQueue, partitions);
      if (warning !== undefined) logger.warn(warning, { taskQueue, partitions });
    },
    (error: unknown) => {
      const message = error instanceof Error ? error.message : String(error);
      logger.debug('could not list the task queue partitions', { taskQueue, error: message });
    },
  );
  // Before the worker polls: a worker started mid-way takes work at its share of what the others learned, once
  // they have had time to read that it shares the rate (each reads every tick while it sends).
  const joined = await pacing.join().catch((error: unknown) => {
    const message = error instanceof Error ? error.message : String(error);
    logger.warn('could not read or set the shared AEP call rate', { taskQueue, error: message });
    return { stamped: false };
  });
  if (joined.stamped) await sleep(2 * sharedPacingTuning.tickMs);
  return pacing.start();
}
