/**
 * What an activity tells the AEP client about each of its calls (issue 13): the activity's cancellation signal, so
 * a cancelled or timed-out attempt stops at once; its attempt's deadline, so no call, pacing wait or Retry-After
 * outlives the attempt and runs beside its retry; and a heartbeat while it waits, so a long pacing wait is not
 * mistaken for a dead worker.
 */
import { Context } from '@temporalio/activity';
import type { AepCallScope, AepClient } from '../aep';
import { attemptStartedAtMs } from './attempt-start';
import { earlierAnswerToKeep } from './earlier-answers';

export function activityCallScope(): AepCallScope {
  let context: Context;
  try {
    context = Context.current();
  } catch {
    return {}; // not in an activity (a benchmark calling a step directly): no scope
  }
  const { info } = context;
  // Start-to-close counts from the attempt's start, which may come long after it was scheduled (attempt-start.ts).
  const retryWindowEndsMs = info.scheduleToCloseTimeoutMs
    ? info.scheduledTimestampMs + info.scheduleToCloseTimeoutMs
    : undefined;
  const deadlines = [
    info.startToCloseTimeoutMs ? attemptStartedAtMs(context) + info.startToCloseTimeoutMs : undefined,
    retryWindowEndsMs,
  ].filter((deadline): deadline is number => deadline !== undefined && deadline > 0);
  return {
    signal: context.cancellationSignal,
    ...(deadlines.length > 0 ? { deadlineMs: Math.min(...deadlines) } : {}),
    ...(retryWindowEndsMs !== undefined ? { retryWindowEndsMs } : {}),
    // A wait's heartbeat replaces the attempt's last details: it keeps AEP's earlier answer in them (earlier-answers.ts).
    onWait: (wait) =>
      context.heartbeat({ ...earlierAnswerToKeep(context), waitingFor: wait.reason, waitMs: Math.round(wait.waitMs) }),
  };
}

/** The AEP client as activities see it: every sandbox view carries the scope of the activity that asked for it. */
export function scopedToActivities(aep: AepClient): AepClient {
  return {
    forSandbox: (sandboxName, scope) => aep.forSandbox(sandboxName, scope ?? activityCallScope()),
    pacing: (orgId) => aep.pacing(orgId),
    followSharedRate: (requestsPerSecond, orgId) => aep.followSharedRate(requestsPerSecond, orgId),
    admittedInSecondBefore: (atMs, orgId) => aep.admittedInSecondBefore(atMs, orgId),
    readEventsJournal: (url) => aep.readEventsJournal(url),
    close: () => aep.close(),
  };
}
