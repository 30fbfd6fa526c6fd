/**
 * What AEP answered an activity's earlier attempt. An attempt that starts so close to the end of its retry window
 * that its call cannot be sent (or is abandoned unanswered) would otherwise end the step with only "deadline
 * exceeded"; the step's failure should still say what AEP kept answering, e.g. its 503.
 *
 * The answer travels with the activity, not the worker: a failing attempt heartbeats it, the worker sends that last
 * heartbeat with the failure (the SDK flushes it first), and Temporal hands it to the next attempt as its heartbeat
 * details, whichever worker runs it. Nothing is kept in the worker's memory.
 */
import { Context } from '@temporalio/activity';
import type { AepFailureDetails } from './aep-failure';

/** The heartbeat details an attempt leaves for the next one. */
interface CarriedAnswer {
  earlierAnswer: AepFailureDetails;
}

/** The answer each attempt (its context) passed on so far, so its other heartbeats do not drop it. */
const passedOnByAttempt = new WeakMap<Context, CarriedAnswer>();

/**
 * The failure to report: AEP's answer is passed on to the next attempt; a deadline with no answer takes the one an
 * earlier attempt passed on (and passes it on again).
 */
export function withEarlierAnswer(details: AepFailureDetails): AepFailureDetails {
  const context = currentContext();
  if (context === undefined) return details;
  const earlier = details.status !== undefined ? details : earlierAnswerOf(context.info.heartbeatDetails);
  if (earlier !== undefined) {
    const carried = carrying(earlier);
    passedOnByAttempt.set(context, carried);
    context.heartbeat(carried);
  }
  if (details.status !== undefined || details.code !== 'DEADLINE_EXCEEDED' || earlier === undefined) return details;
  return { ...earlier, detail: `${earlier.detail} (last attempt: ${details.detail})` };
}

/**
 * What an attempt's other heartbeats must keep (while it waits for a pacing slot, or to show it is alive): the answer
 * it has passed on itself, else the one an earlier attempt passed on, so it survives this attempt being lost with its
 * worker.
 */
export function earlierAnswerToKeep(context: Context): Partial<CarriedAnswer> {
  const passedOn = passedOnByAttempt.get(context);
  if (passedOn !== undefined) return passedOn;
  const earlier = earlierAnswerOf(context.info.heartbeatDetails);
  return earlier === undefined ? {} : carrying(earlier);
}

function carrying(earlierAnswer: AepFailureDetails): CarriedAnswer {
  return { earlierAnswer };
}

/** The answer in an attempt's heartbeat details, if an earlier attempt left one (the details may be anything). */
function earlierAnswerOf(heartbeatDetails: unknown): AepFailureDetails | undefined {
  if (typeof heartbeatDetails !== 'object' || heartbeatDetails === null) return undefined;
  const answer = (heartbeatDetails as Partial<CarriedAnswer>).earlierAnswer as Partial<AepFailureDetails> | undefined;
  const isAnswer =
    typeof answer === 'object' &&
    answer !== null &&
    typeof answer.step === 'string' &&
    typeof answer.status === 'number' &&
    typeof answer.detail === 'string';
  return isAnswer ? (answer as AepFailureDetails) : undefined;
}

/** The running activity's context; undefined outside an activity (a unit test calling it directly). */
export function currentContext(): Context | undefined {
  try {
    return Context.current();
  } catch {
    return undefined; // not in an activity
  }
}
