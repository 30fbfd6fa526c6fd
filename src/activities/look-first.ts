/**
 * A create looks for the resource an earlier attempt may have made before making it, unless the workflow's survey
 * found nothing by that name and this is the activity's first attempt: then a look-up can only find nothing, and
 * skipping it saves a round trip on every step (issue 12). A retry always looks: its lost attempt may have created.
 */
import { Context } from '@temporalio/activity';

export function mustLookFirst(lookFirst: boolean | undefined): boolean {
  return lookFirst !== false || !isFirstAttempt();
}

/** Outside an activity (a benchmark calling the step directly) there is no attempt count: look, to be safe. */
export function isFirstAttempt(): boolean {
  try {
    return Context.current().info.attempt === 1;
  } catch {
    return false;
  }
}
