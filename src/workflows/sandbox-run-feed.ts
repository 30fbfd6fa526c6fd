/**
 * sandboxRunFeed: one workflow per sandbox (id `runs:<sandbox>`). Every minute it lists the runs of the whole
 * sandbox that started since its cursor (less an overlap) plus the runs it still follows as in progress, and
 * hands each finished run to its dataflow's monitor: one message per monitor per look, none to monitors with no
 * change. AEP calls for monitoring grow with sandboxes and pages of runs, not with the number of dataflows, and
 * monitors sleep until something happens to them. History stays small: the listing, grouping and signalling
 * happen inside one activity per look; the feed continues as new on a small event budget.
 */
import {
  ActivityFailure,
  CancellationScope,
  allHandlersFinished,
  condition,
  log,
  makeContinueAsNewFunc,
  patched,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  setWorkflowOptions,
  sleep,
  workflowInfo,
} from '@temporalio/workflow';
import type { RunFeedActivities } from '../contracts/run-feed-activities';
import { type RunFeedState } from '../contracts/run-feed-state';
import {
  applyLook,
  applyPush,
  followPushedStarts,
  defaultFeedIntervalMs,
  defaultOverlapMs,
  initialFeedState,
  listFromMs,
  nextLookDelayMs,
  recordLookFailure,
  takeNewEvents,
} from './run-feed/feed-state';
import { describeFeed, feedMarkdown } from './run-feed/feed-status';
import {
  flowRunEventsSignal,
  lookNowSignal,
  runFeedStatusQuery,
  type LookNowRequest,
  type PushedRunEvent,
  type SandboxRunFeedInput,
} from '../contracts/run-feed-messages';

const { deliverSandboxRuns, deliverPushedRuns } = proxyActivities<RunFeedActivities>({
  // Pages of runs and a signal per affected monitor: seconds normally; the heartbeat notices a lost worker fast.
  startToCloseTimeout: '5m',
  heartbeatTimeout: '30s',
  // A failed look is retried by the next look (with backoff), which lists the same window again.
  retry: { initialInterval: '2s', maximumAttempts: 2 },
});

/** Feeds that waited for their next look before this change replay restarting the timer after each push. */
export const oneLookTimerPatch = 'one-look-timer-per-cycle';
/** Feeds that handed on pushed runs before this change replay reading their starts too. */
export const followPushedStartsPatch = 'follow-pushed-starts-without-reading';

const defaultPageSize = 500;
const defaultEventBudget = 500;

export async function sandboxRunFeed(input: SandboxRunFeedInput): Promise<void> {
  const intervalMs = input.intervalMs ?? defaultFeedIntervalMs;
  const overlapMs = input.overlapMs ?? defaultOverlapMs;
  const state: RunFeedState = input.carriedState ?? initialFeedState(Date.now());
  const lookNow: LookNowRequest[] = [];
  let nextTickAtMs: number | undefined;

  const currentStatus = () => describeFeed(state, { sandbox: input.sandbox, intervalMs, overlapMs, nextTickAtMs });
  setHandler(runFeedStatusQuery, currentStatus);
  setHandler(lookNowSignal, (request) => {
    lookNow.push(request);
  });
  /** Pushed events not handed on yet (duplicates already dropped by event id); part of the carried state. */
  const pushed: PushedRunEvent[] = (state.pendingEvents ??= []);
  setHandler(flowRunEventsSignal, ({ events }) => {
    pushed.push(...takeNewEvents(state, events, Date.now()));
  });

  const publish = () => setCurrentDetails(feedMarkdown(currentStatus()));

  async function look(): Promise<void> {
    const startedAtMs = Date.now();
    const answering = lookNow.splice(0);
    try {
      const result = await deliverSandboxRuns({
        sandbox: input.sandbox,
        listFromMs: listFromMs(state, overlapMs, startedAtMs),
        pageSize: input.pageSize ?? defaultPageSize,
        followed: state.followed,
        deliveredIds: state.delivered.map(([id]) => id),
        lookNow: answering,
      });
      applyLook(state, result, { overlapMs, startedAtMs, nowMs: Date.now() });
    } catch (error) {
      const message = error instanceof ActivityFailure && error.cause ? error.cause.message : String(error);
      log.warn('run feed could not list the runs', { sandbox: input.sandbox, error: message });
      recordLookFailure(state, message, Date.now());
      // Whoever asked for this look is answered by the next one (or falls back to listing its own runs).
      lookNow.unshift(...answering);
    }
  }

  /** Hands pushed runs on at once, between looks; one that cannot be read now is caught by the next look. */
  async function handOnPushed(): Promise<void> {
    let events = pushed.splice(0);
    // A start needs no read: the run is followed, and the next look (or its end's event) sees it end.
    if (patched(followPushedStartsPatch)) {
      followPushedStarts(
        state,
        events.filter((event) => event.outcome === 'started'),
        Date.now(),
      );
      events = events.filter((event) => event.outcome !== 'started');
      if (events.length === 0) {
        publish();
        return;
      }
    }
    try {
      const result = await deliverPushedRuns({
        sandbox: input.sandbox,
        events,
        deliveredIds: state.delivered.map(([id]) => id),
      });
      applyPush(state, result);
    } catch (error) {
      const message = error instanceof ActivityFailure && error.cause ? error.cause.message : String(error);
      log.warn('run feed could not hand on pushed runs; the next look lists them', {
        sandbox: input.sandbox,
        error: message,
      });
    }
    publish();
  }

  const lookWanted = () => lookNow.length > 0 && state.stats.consecutiveFailures === 0;

  /** One timer per look, however many pushes come between two looks (each costs no timer events). */
  async function untilLookIsDue(delayMs: number): Promise<void> {
    await CancellationScope.cancellable(async () => {
      let due = false;
      const timer = sleep(delayMs).then(() => {
        due = true;
      });
      try {
        for (;;) {
          await Promise.race([timer, condition(() => pushed.length > 0 || lookWanted())]);
          if (pushed.length > 0) await handOnPushed();
          if (due || lookWanted()) return;
        }
      } finally {
        // A look asked for early: the timer goes (as a condition's timeout would).
        CancellationScope.current().cancel();
      }
    });
  }

  /** The wait of feeds that started before one timer per look: a new timer after each push. */
  async function untilLookIsDueRestartingTimer(delayMs: number): Promise<void> {
    const lookDueAtMs = Date.now() + delayMs;
    for (;;) {
      const woken = await condition(() => pushed.length > 0 || lookWanted(), lookDueAtMs - Date.now());
      if (pushed.length > 0) await handOnPushed();
      if (!woken || lookWanted() || Date.now() >= lookDueAtMs) return;
    }
  }

  const eventBudget = input.continueAsNewAfterEvents ?? defaultEventBudget;
  const shouldContinueAsNew = () => {
    const info = workflowInfo();
    // A new build became current: move to it at the next look (see the versioning note below).
    return (
      info.continueAsNewSuggested || info.historyLength >= eventBudget || info.targetWorkerDeploymentVersionChanged
    );
  };

  publish();
  for (;;) {
    const delayMs = nextLookDelayMs(state, intervalMs);
    nextTickAtMs = Date.now() + delayMs;
    publish();
    // A failing feed does not let `lookNow` requests bypass its backoff. Pushed runs are handed on as they come.
    if (patched(oneLookTimerPatch)) await untilLookIsDue(delayMs);
    else await untilLookIsDueRestartingTimer(delayMs);
    nextTickAtMs = undefined;
    await look();
    publish();
    if (shouldContinueAsNew() && lookNow.length === 0 && pushed.length === 0) {
      await condition(allHandlersFinished);
      state.generation += 1;
      // The next run starts on the deployment's current build (this one stays on the build it began on).
      return makeContinueAsNewFunc<typeof sandboxRunFeed>({ initialVersioningBehavior: 'AUTO_UPGRADE' })({
        ...input,
        carriedState: state,
      });
    }
  }
}

// Worker versioning (README "Upgrading a running fleet"): as the monitor, each run is PINNED to the build that
// started it and continue-as-new (every few hundred events: within the hour at one look a minute) moves the feed
// to the current build, so a run never meets code it did not start with. Only a versioned worker may name a
// behavior (the server refuses one from an unversioned worker), hence the getter (see dataflow-monitor.ts).
setWorkflowOptions(
  () => (workflowInfo().currentDeploymentVersion?.deploymentName ? { versioningBehavior: 'PINNED' } : {}),
  sandboxRunFeed,
);
