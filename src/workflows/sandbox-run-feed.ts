/**
 * sandboxRunFeed: one workflow per sandbox (id `runs:<sandbox>`). Every minute it lists the runs of the whole
 * sandbox that started since its cursor (less an overlap) plus the runs it still follows as in progress, and
 * hands each finished run to its dataflow's monitor: one message per monitor per look, none to monitors with no
 * change. AEP calls for monitoring grow with sandboxes and pages of runs, not with the number of dataflows, and
 * monitors sleep until something happens to them. History stays small: the listing, grouping and signalling
 * happen inside one activity per look; the feed continues as new on a small event budget.
 *
 * This file only wires the messages (run-feed/messages.ts) to the SandboxRunFeed (run-feed/sandbox-run-feed.ts).
 */
import { setHandler, setWorkflowOptions, workflowInfo } from '@temporalio/workflow';
import {
  flowRunEventsSignal,
  lookNowSignal,
  runFeedStatusQuery,
  type SandboxRunFeedInput,
} from '../contracts/run-feed-messages';
import { SandboxRunFeed } from './run-feed/sandbox-run-feed';

export function sandboxRunFeed(input: SandboxRunFeedInput): Promise<void> {
  const feed = new SandboxRunFeed(input);
  setHandler(runFeedStatusQuery, () => feed.status());
  setHandler(lookNowSignal, (request) => feed.lookNowRequested(request));
  setHandler(flowRunEventsSignal, ({ events }) => feed.runEventsPushed(events));
  return feed.run();
}

// Worker versioning (README "Upgrading a running fleet"): as the monitor, each run is PINNED to the build that
// started it and continue-as-new (every few hundred events: within the hour at one look a minute) moves the feed
// to the current build, so a run never meets code it did not start with. Only a versioned worker may name a
// behavior (the server refuses one from an unversioned worker), hence the getter (see dataflow-monitor.ts).
setWorkflowOptions(
  () => (workflowInfo().currentDeploymentVersion?.deploymentName ? { versioningBehavior: 'PINNED' } : {}),
  sandboxRunFeed,
);
