/**
 * One sandbox's run feed: its state (feed-state.ts holds the rules that change it), the `lookNow` requests waiting
 * for a look and the pushed events waiting to be handed on, with a method for each message and `run()`, its loop of
 * looks. The workflow function (../sandbox-run-feed.ts) only wires the handlers to these methods.
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
  sleep,
  workflowInfo,
} from '@temporalio/workflow';
import type { RunFeedActivities } from '../../contracts/run-feed-activities';
import {
  applyLook,
  applyPush,
  carriedLookDelayMs,
  endsToHandOn,
  followPushedStarts,
  defaultFeedIntervalMs,
  defaultOverlapMs,
  initialFeedState,
  listedWindow,
  listFromMs,
  nextLookDelayMs,
  recordLookFailure,
  SeenEventIds,
} from './feed-state';
import type { RunFeedState } from '../../contracts/run-feed-state';
import { describeFeed, feedMarkdown } from './feed-status';
import type {
  LookNowRequest,
  PushedRunEvent,
  RunFeedStatus,
  SandboxRunFeedInput,
} from '../../contracts/run-feed-messages';

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
/**
 * Feeds that continued as new only with no pushed event pending (never, under a steady push stream) replay without
 * this: the feed now continues as new whatever is pending, carrying the pushed events and the next look's due time.
 */
export const carryPushesPatch = 'continue-as-new-carrying-pushes';
/**
 * Feeds that followed pushed starts and handed on pushed ends with the whole delivered list replay without this:
 * the feed now hands on only ends it has not handed on yet, as their events describe them, and tells the activity
 * which window its looks already covered (a late redelivery of an older run is dropped there).
 */
export const pushedEndsOnlyPatch = 'hand-on-pushed-ends-only';

const defaultPageSize = 500;
const defaultEventBudget = 500;

export class SandboxRunFeed {
  private readonly intervalMs: number;
  private readonly overlapMs: number;
  private readonly state: RunFeedState;
  /** Monitors waiting for a look (`status --refresh`), answered by the next one that works. */
  private readonly lookNow: LookNowRequest[] = [];
  /** Pushed events not handed on yet (duplicates already dropped by event id); part of the carried state. */
  private readonly pushed: PushedRunEvent[];
  /** When the next look is due, while the feed waits for it (shown in the status). */
  private nextTickAtMs: number | undefined;
  private readonly eventBudget: number;
  private readonly seenEventIds: SeenEventIds;

  constructor(private readonly input: SandboxRunFeedInput) {
    this.intervalMs = input.intervalMs ?? defaultFeedIntervalMs;
    this.overlapMs = input.overlapMs ?? defaultOverlapMs;
    this.state = input.carriedState ?? initialFeedState(Date.now());
    this.pushed = this.state.pendingEvents ??= [];
    this.seenEventIds = new SeenEventIds(this.state);
    this.eventBudget = input.continueAsNewAfterEvents ?? defaultEventBudget;
  }

  // -- Messages

  status(): RunFeedStatus {
    const { state, input, intervalMs, overlapMs, nextTickAtMs } = this;
    return describeFeed(state, { sandbox: input.sandbox, intervalMs, overlapMs, nextTickAtMs });
  }

  /** A monitor's `status --refresh`: answered by the next look (not before the backoff of a failing feed). */
  lookNowRequested(request: LookNowRequest): void {
    this.lookNow.push(request);
  }

  /** Events pushed by the webhook or the journal reader: handed on between looks. */
  runEventsPushed(events: PushedRunEvent[]): void {
    this.pushed.push(...this.seenEventIds.take(events, Date.now()));
  }

  // -- The loop of looks

  async run(): Promise<void> {
    const { state } = this;
    this.publish();
    const carryingPushes = patched(carryPushesPatch);
    for (;;) {
      const delayMs = carryingPushes
        ? carriedLookDelayMs(state, this.intervalMs, Date.now())
        : nextLookDelayMs(state, this.intervalMs);
      this.nextTickAtMs = Date.now() + delayMs;
      this.publish();
      // A failing feed does not let `lookNow` requests bypass its backoff. Pushed runs are handed on as they come.
      if (patched(oneLookTimerPatch)) {
        const lookIsDue = await this.untilLookIsDue(delayMs, carryingPushes);
        if (!lookIsDue) {
          // The history filled up before the look was due: the next run looks when this one would have.
          state.lookDueAtMs = this.nextTickAtMs;
          return this.continueAsNew();
        }
      } else await this.untilLookIsDueRestartingTimer(delayMs);
      this.nextTickAtMs = undefined;
      await this.look();
      this.publish();
      // Pushed events still pending travel in the carried state; a look asked for and not answered (the look
      // failed) is not carried: its monitor lists its own runs once it has waited long enough.
      const nothingPending = this.lookNow.length === 0 && this.pushed.length === 0;
      if (this.shouldContinueAsNew() && (carryingPushes || nothingPending)) return this.continueAsNew();
    }
  }

  private async continueAsNew(): Promise<void> {
    const { state } = this;
    await condition(allHandlersFinished);
    state.generation += 1;
    // The next run starts on the deployment's current build (this one stays on the build it began on).
    return makeContinueAsNewFunc<(input: SandboxRunFeedInput) => Promise<void>>({
      initialVersioningBehavior: 'AUTO_UPGRADE',
    })({ ...this.input, carriedState: state });
  }

  private async look(): Promise<void> {
    const { state, input, lookNow, overlapMs } = this;
    const startedAtMs = Date.now();
    const answering = lookNow.splice(0);
    const listFrom = listFromMs(state, overlapMs, startedAtMs);
    try {
      const result = await deliverSandboxRuns({
        sandbox: input.sandbox,
        listFromMs: listFrom,
        pageSize: input.pageSize ?? defaultPageSize,
        followed: state.followed,
        deliveredIds: state.delivered.map(([id]) => id),
        lookNow: answering,
        asOfMs: startedAtMs,
      });
      applyLook(state, result, { overlapMs, startedAtMs, nowMs: Date.now() });
      // Every run that started since this listed window's start has been listed by a look (see listedWindow).
      state.coveredFromMs ??= listFrom;
    } catch (error) {
      const message = error instanceof ActivityFailure && error.cause ? error.cause.message : String(error);
      log.warn('run feed could not list the runs', { sandbox: input.sandbox, error: message });
      recordLookFailure(state, message, Date.now());
      // Whoever asked for this look is answered by the next one (or falls back to listing its own runs).
      lookNow.unshift(...answering);
    }
  }

  /** Hands pushed runs on at once, between looks; one that cannot be read now is caught by the next look. */
  private async handOnPushed(): Promise<void> {
    if (patched(pushedEndsOnlyPatch)) return this.handOnPushedEnds();
    const { state, input } = this;
    let events = this.pushed.splice(0);
    // A start needs no read: the run is followed, and the next look (or its end's event) sees it end.
    if (patched(followPushedStartsPatch)) {
      followPushedStarts(
        state,
        events.filter((event) => event.outcome === 'started'),
        Date.now(),
      );
      events = events.filter((event) => event.outcome !== 'started');
      if (events.length === 0) {
        this.publish();
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
    this.publish();
  }

  /**
   * Every end pushed since the last batch, in one activity: ends with their metrics in the event are handed on as
   * they are, the others read; one signal per monitor. A batch that fails is left to the next look.
   */
  private async handOnPushedEnds(): Promise<void> {
    const { state, input } = this;
    const events = endsToHandOn(state, this.pushed.splice(0));
    if (events.length > 0) {
      const following = new Set(state.followed.map(([id]) => id));
      const window = listedWindow(state, this.overlapMs);
      try {
        const result = await deliverPushedRuns({
          sandbox: input.sandbox,
          events,
          ...(window !== undefined ? { handedOnWindow: window } : {}),
          followedIds: events.filter((event) => following.has(event.runId)).map((event) => event.runId),
        });
        applyPush(state, result);
      } catch (error) {
        const message = error instanceof ActivityFailure && error.cause ? error.cause.message : String(error);
        log.warn('run feed could not hand on pushed runs; the next look lists them', {
          sandbox: input.sandbox,
          error: message,
        });
      }
    }
    this.publish();
  }

  private lookWanted(): boolean {
    return this.lookNow.length > 0 && this.state.stats.consecutiveFailures === 0;
  }

  /**
   * One timer per look, however many pushes come between two looks (each costs no timer events). True once the look
   * is due (or asked for); false when `stopForLongHistory` and the history asks to continue as new first.
   */
  private async untilLookIsDue(delayMs: number, stopForLongHistory: boolean): Promise<boolean> {
    const historyIsLong = () => stopForLongHistory && this.shouldContinueAsNew();
    return CancellationScope.cancellable(async () => {
      let due = false;
      const timer = sleep(delayMs).then(() => {
        due = true;
      });
      try {
        for (;;) {
          await Promise.race([timer, condition(() => this.pushed.length > 0 || this.lookWanted() || historyIsLong())]);
          if (this.pushed.length > 0) await this.handOnPushed();
          if (due || this.lookWanted()) return true;
          if (historyIsLong()) return false;
        }
      } finally {
        // A look asked for early: the timer goes (as a condition's timeout would).
        CancellationScope.current().cancel();
      }
    });
  }

  /** The wait of feeds that started before one timer per look: a new timer after each push. */
  private async untilLookIsDueRestartingTimer(delayMs: number): Promise<void> {
    const lookDueAtMs = Date.now() + delayMs;
    for (;;) {
      const woken = await condition(() => this.pushed.length > 0 || this.lookWanted(), lookDueAtMs - Date.now());
      if (this.pushed.length > 0) await this.handOnPushed();
      if (!woken || this.lookWanted() || Date.now() >= lookDueAtMs) return;
    }
  }

  private shouldContinueAsNew(): boolean {
    const info = workflowInfo();
    // A new build became current: move to it at the next look (see the versioning note in ../sandbox-run-feed.ts).
    return (
      info.continueAsNewSuggested || info.historyLength >= this.eventBudget || info.targetWorkerDeploymentVersionChanged
    );
  }

  /** Shows the feed now in the Web UI (Current Details). */
  private publish(): void {
    setCurrentDetails(feedMarkdown(this.status()));
  }
}
