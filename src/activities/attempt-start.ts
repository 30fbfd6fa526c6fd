/**
 * When this worker started each activity attempt. Temporal counts an attempt's start-to-close timeout from its start,
 * and an attempt can start long after it was scheduled: queued behind busy workers or the queue's rate limit, or
 * handed out again once a restarted server finds the task it had not delivered. A deadline counted from the
 * scheduling would have passed before the attempt made its first call.
 */
import type { Context } from '@temporalio/activity';
import type { ActivityInterceptorsFactory } from '@temporalio/worker';

const startedAtByAttempt = new WeakMap<Context, number>();

/** The worker's activity interceptor: it runs as each attempt's task arrives, before the activity. */
export const recordAttemptStart: ActivityInterceptorsFactory = (context) => {
  startedAtByAttempt.set(context, Date.now());
  return {};
};

/**
 * Epoch ms at which this attempt started. A worker created without `recordAttemptStart` gets the first time it was
 * asked, a little late, never before the attempt began.
 */
export function attemptStartedAtMs(context: Context): number {
  let startedAt = startedAtByAttempt.get(context);
  if (startedAt === undefined) {
    startedAt = Date.now();
    startedAtByAttempt.set(context, startedAt);
  }
  return startedAt;
}
