/**
 * What AEP answered an activity's earlier attempt. An attempt that starts so close to the end of its retry window
 * that its call cannot be sent (or is abandoned unanswered) would otherwise end the step with only "deadline
 * exceeded"; the step's failure should still say what AEP kept answering, e.g. its 503. Kept in the worker's memory:
 * the note is informational, so an attempt on another worker simply reports the deadline.
 */
import { Context } from '@temporalio/activity';
import type { AepFailureDetails } from './aep-failure';

/** Enough for every activity a busy worker retries at once; the oldest entries go first. */
const capacity = 2_000;
const answersByActivity = new Map<string, AepFailureDetails>();

/** The failure to report: AEP's answer is remembered; a deadline with no answer takes the remembered one. */
export function withEarlierAnswer(details: AepFailureDetails): AepFailureDetails {
  const activity = currentActivityKey();
  if (activity === undefined) return details;
  if (details.status !== undefined) {
    answersByActivity.delete(activity);
    answersByActivity.set(activity, details);
    if (answersByActivity.size > capacity) answersByActivity.delete(answersByActivity.keys().next().value!);
    return details;
  }
  const earlier = details.code === 'DEADLINE_EXCEEDED' ? answersByActivity.get(activity) : undefined;
  if (earlier === undefined) return details;
  return { ...earlier, detail: `${earlier.detail} (last attempt: ${details.detail})` };
}

function currentActivityKey(): string | undefined {
  try {
    const { info } = Context.current();
    const workflow = info.workflowExecution;
    return `${workflow?.workflowId ?? ''}/${workflow?.runId ?? ''}/${info.activityId}`;
  } catch {
    return undefined; // not in an activity
  }
}
