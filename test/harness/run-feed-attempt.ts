/**
 * Runs a run-feed activity function the way a worker runs one attempt of it, with the feed's timeouts (five minutes
 * to finish, a 30 s heartbeat; heartbeats go nowhere): for tests that play a feed's look or hand-over themselves.
 */
import { MockActivityEnvironment } from '@temporalio/testing';

export function asRunFeedAttempt<R>(attempt: number, activity: () => Promise<R>): Promise<R> {
  const now = Date.now();
  const info = {
    attempt,
    scheduledTimestampMs: now,
    currentAttemptScheduledTimestampMs: now,
    startToCloseTimeoutMs: 300_000,
    scheduleToCloseTimeoutMs: 0,
    heartbeatTimeoutMs: 30_000,
  };
  return new MockActivityEnvironment(info).run(activity);
}
