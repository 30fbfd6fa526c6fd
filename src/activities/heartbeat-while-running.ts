/**
 * A provisioning step makes a few AEP calls and ends; it heartbeats on its own only while it waits for a pacing
 * slot. Scheduled with a heartbeat timeout, a step whose worker died is then retried elsewhere once that timeout
 * passes (30 s) rather than at the end of its start-to-close timeout (2 minutes): this keeps its heartbeats coming
 * while it runs, with the AEP answer it carries for the next attempt (earlier-answers.ts).
 */
import { currentContext, earlierAnswerToKeep } from './earlier-answers';

/** Heartbeats this often, as a share of the attempt's heartbeat timeout (the SDK sends at most one per 0.8 of it). */
const shareOfTimeout = 1 / 3;

export function heartbeatWhileRunning<Args extends unknown[], Result>(
  activity: (...args: Args) => Promise<Result>,
): (...args: Args) => Promise<Result> {
  return async (...args) => {
    const context = currentContext();
    const timeoutMs = context?.info.heartbeatTimeoutMs;
    if (context === undefined || !timeoutMs) return activity(...args);
    const beat = (): void => context.heartbeat({ ...earlierAnswerToKeep(context), running: true });
    beat();
    const timer = setInterval(beat, timeoutMs * shareOfTimeout);
    try {
      return await activity(...args);
    } finally {
      clearInterval(timer);
    }
  };
}

/** Every activity of `activities`, heartbeating while it runs. */
export function heartbeatingWhileRunning<
  Activities extends { [Name in keyof Activities]: (...args: never[]) => Promise<unknown> },
>(activities: Activities): Activities {
  return Object.fromEntries(
    Object.entries(activities).map(([name, activity]) => [
      name,
      heartbeatWhileRunning(activity as (...args: unknown[]) => Promise<unknown>),
    ]),
  ) as unknown as Activities;
}
