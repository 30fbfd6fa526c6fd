/**
 * dataflowMonitor: one long-lived workflow per dataflow (id `dataflow:<sandbox>:<name>`). It sleeps until
 * something happens to its dataflow: the sandbox's run feed hands it runs that finished, its token calendar
 * comes due (warnings, expiry, automatic rotation), someone asks for something (rotate the token, change the
 * flow, pause, resume, tear down, look now), or its slow reconcile catches what the feed could have missed.
 * Requests are done strictly one at a time; each is both a signal (fire and forget) and an update (wait for the
 * outcome). History stays small and cheap to replay: it continues as new on a budget of a few hundred events.
 *
 * This file only wires the parts together: messages.ts (what it accepts), state.ts and run-tracking.ts (its
 * state and how runs change it), run-watching.ts, token-watch.ts and actions.ts (what it does),
 * monitor-status.ts and status-markdown.ts (what it shows).
 */
import {
  ApplicationFailure,
  allHandlersFinished,
  condition,
  log,
  makeContinueAsNewFunc,
  patched,
  setCurrentDetails,
  setHandler,
  setWorkflowOptions,
  upsertSearchAttributes,
  uuid4,
  workflowInfo,
} from '@temporalio/workflow';
import { perform } from './monitor/actions';
import { raiseAlert } from './monitor/alerting';
import {
  applySpecUpdate,
  monitorActionFailedType,
  oneTrustEndpointQuery,
  pauseSignal,
  pauseUpdate,
  refreshUpdate,
  resumeSignal,
  resumeUpdate,
  rotateTokenSignal,
  rotateTokenUpdate,
  runUpdatesSignal,
  statusQuery,
  teardownSignal,
  teardownUpdate,
  updateDataflowSignal,
  updateDataflowUpdate,
  type DataflowMonitorInput,
  type DataflowMonitorResult,
} from '../contracts/monitor-messages';
import { activities } from './monitor/monitor-activities';
import { failureMessage, isoNow, type MonitorContext } from './monitor/monitor-context';
import { describeStatus } from './monitor/monitor-status';
import { type MonitorStatus } from '../contracts/monitor-status';
import { jittered, reconcileIntervalMs } from '../contracts/reconcile-cadence';
import {
  applySpecProblem,
  rotateTokenProblem,
  teardownProblem,
  updateDataflowProblem,
} from './monitor/request-validation';
import { driftDetectionPatch, lookForDrift } from './monitor/drift';
import { RunWatcher } from './monitor/run-watching';
import { resealCarriedSecrets } from './monitor/secrets-reseal';
import { type ActionOutcome, type MonitorAction, type MonitorState, type WorkItem } from '../contracts/monitor-state';
import { initialMonitorState, keepNewest, maxRecentActions } from './monitor/state';
import { statusMarkdown } from './monitor/status-markdown';
import { canRotateAutomatically, nextTokenEventAt, tokenWarningLeads } from './monitor/token-schedule';
import { attendToToken } from './monitor/token-watch';
import { WakeTimer } from './monitor/wake-timer';
import { DataflowName, DataflowSandbox, DataflowState } from '../contracts/search-attributes';
import { runFeedWorkflowId } from '../contracts/workflow-ids';

/** Monitors started before re-sealing at continue-as-new replay without it. */
export const resealAtContinueAsNewPatch = 'reseal-secrets-at-continue-as-new';

export type { DataflowMonitorInput, DataflowMonitorResult } from '../contracts/monitor-messages';

/** Continue as new at this many events: replaying a few hundred events on a cache miss stays cheap. */
const defaultEventBudget = 300;

export async function dataflowMonitor(input: DataflowMonitorInput): Promise<DataflowMonitorResult> {
  const workflowId = workflowInfo().workflowId;
  const firstStart = input.carriedState === undefined;
  const state: MonitorState = input.carriedState ?? initialMonitorState(input.dataflow, Date.now());
  /** Outcomes waiting for the update handler that asked for them (never carried: handlers finish first). */
  const outcomes: Record<string, ActionOutcome> = {};
  let publishedState = workflowInfo().typedSearchAttributes.get(DataflowState);

  const context: MonitorContext = {
    workflowId,
    input,
    state,
    raise: (draft) => raiseAlert(state, workflowId, draft),
    enqueue,
    reconcileIntervalMs: () => reconcileIntervalMs(state.dataflow, input.reconcileIntervalMs),
    publish: () => publish(),
  };
  const runs = new RunWatcher(context);
  const wakeTimer = new WakeTimer();

  const currentStatus = (): MonitorStatus =>
    describeStatus(state, {
      workflowId,
      runFeedWorkflowId: runFeedWorkflowId(state.dataflow.sandbox),
      leads: tokenWarningLeads(state.dataflow),
      reconcileIntervalMs: context.reconcileIntervalMs(),
      nowMs: Date.now(),
    });

  // -- Handlers first, so nothing sent before the first await is missed.

  setHandler(statusQuery, currentStatus);
  setHandler(oneTrustEndpointQuery, () => {
    const { baseUrl, clientCredentials } = state.dataflow.oneTrust;
    return { baseUrl, ...(clientCredentials ? { clientCredentials } : {}) };
  });
  setHandler(runUpdatesSignal, (update) => runs.receive(update));

  /** Why no new work is accepted, if so. */
  const closedProblem = (): string | undefined =>
    state.tornDown || state.queue.some((item) => item.action.kind === 'teardown')
      ? 'the dataflow is being torn down (or already was): nothing more can be done with it'
      : undefined;

  function enqueue(action: MonitorAction, source: WorkItem['source']): WorkItem {
    const item: WorkItem = { id: uuid4(), source, receivedAt: isoNow(), action };
    state.queue.push(item);
    return item;
  }

  /** A signal carries no answer: an unacceptable one is recorded (and logged) instead of queued. */
  function acceptSignal(action: MonitorAction, problem: string | undefined): void {
    const refusal = problem ?? closedProblem();
    if (refusal === undefined) {
      enqueue(action, 'signal');
      return;
    }
    log.warn('refused a signal', { kind: action.kind, reason: refusal });
    recordOutcome({
      id: uuid4(),
      kind: action.kind,
      source: 'signal',
      ok: false,
      summary: `refused: ${refusal}`,
      finishedAt: isoNow(),
      details: {},
    });
  }

  async function outcomeOf(item: WorkItem): Promise<ActionOutcome> {
    await condition(() => outcomes[item.id] !== undefined);
    const outcome = outcomes[item.id] as ActionOutcome;
    delete outcomes[item.id];
    if (!outcome.ok) {
      throw ApplicationFailure.create({
        type: monitorActionFailedType,
        message: outcome.summary,
        nonRetryable: true,
        details: [outcome],
      });
    }
    return outcome;
  }

  /** Validators must be synchronous and must not change state: they only throw. */
  const refuseIf = (problem: string | undefined): void => {
    const refusal = problem ?? closedProblem();
    if (refusal !== undefined) throw new Error(refusal);
  };

  setHandler(rotateTokenSignal, (request) =>
    acceptSignal({ kind: 'rotateToken', request }, rotateTokenProblem(request, Date.now())),
  );
  setHandler(updateDataflowSignal, (request) =>
    acceptSignal({ kind: 'updateDataflow', request }, updateDataflowProblem(request)),
  );
  setHandler(pauseSignal, () => acceptSignal({ kind: 'pause' }, undefined));
  setHandler(resumeSignal, () => acceptSignal({ kind: 'resume' }, undefined));
  setHandler(teardownSignal, (request) =>
    acceptSignal({ kind: 'teardown', request: request ?? {} }, teardownProblem(request)),
  );

  setHandler(rotateTokenUpdate, (request) => outcomeOf(enqueue({ kind: 'rotateToken', request }, 'update')), {
    validator: (request) => refuseIf(rotateTokenProblem(request, Date.now())),
  });
  setHandler(updateDataflowUpdate, (request) => outcomeOf(enqueue({ kind: 'updateDataflow', request }, 'update')), {
    validator: (request) => refuseIf(updateDataflowProblem(request)),
  });
  setHandler(pauseUpdate, () => outcomeOf(enqueue({ kind: 'pause' }, 'update')), {
    validator: () => refuseIf(undefined),
  });
  setHandler(resumeUpdate, () => outcomeOf(enqueue({ kind: 'resume' }, 'update')), {
    validator: () => refuseIf(undefined),
  });
  // `?? {}`: someone may send it with no argument at all (e.g. from the Temporal CLI).
  setHandler(teardownUpdate, (request) => outcomeOf(enqueue({ kind: 'teardown', request: request ?? {} }, 'update')), {
    validator: (request) => refuseIf(teardownProblem(request)),
  });
  setHandler(applySpecUpdate, (request) => outcomeOf(enqueue({ kind: 'applySpec', request }, 'update')), {
    validator: (request) => refuseIf(applySpecProblem(request, Date.now())),
  });
  setHandler(
    refreshUpdate,
    async () => {
      await outcomeOf(enqueue({ kind: 'refresh' }, 'update'));
      return currentStatus();
    },
    { validator: () => refuseIf(undefined) },
  );

  // -- What the Web UI and `list` show.

  function publish(): void {
    const status = currentStatus();
    setCurrentDetails(statusMarkdown(status));
    if (status.state !== publishedState) {
      upsertSearchAttributes([{ key: DataflowState, value: status.state }]);
      publishedState = status.state;
    }
  }

  function recordOutcome(outcome: ActionOutcome): void {
    state.recentActions = keepNewest([outcome, ...state.recentActions], maxRecentActions);
  }

  /** Works through the queue, one item at a time, in arrival order. */
  async function drainQueue(): Promise<void> {
    for (let item = state.queue[0]; item !== undefined; item = state.queue[0]) {
      let outcome: ActionOutcome;
      const base = { id: item.id, kind: item.action.kind, source: item.source };
      if (state.tornDown) {
        outcome = {
          ...base,
          ok: false,
          summary: 'refused: the dataflow was torn down',
          finishedAt: isoNow(),
          details: {},
        };
      } else {
        publish();
        try {
          const result = await perform(context, runs, item);
          // After every action (and `status --refresh`): does the dataflow still match what was applied?
          if (item.action.kind !== 'teardown' && !state.tornDown && patched(driftDetectionPatch)) {
            await lookForDrift(context);
          }
          outcome = { ...base, ok: true, ...result, finishedAt: isoNow() };
        } catch (error) {
          outcome = { ...base, ok: false, summary: failureMessage(error), finishedAt: isoNow(), details: {} };
          log.warn('monitor action failed', { kind: item.action.kind, reason: outcome.summary });
          // Nobody waits for a signal's outcome: tell people through the alert path instead.
          if (item.source === 'signal') {
            await context.raise({
              kind: 'action-failed',
              severity: 'warning',
              discriminator: item.id,
              message: `${item.action.kind} (sent as a signal) failed: ${outcome.summary}`,
              details: { action: item.action.kind },
            });
          }
        }
      }
      state.queue.shift();
      if (item.action.kind !== 'refresh') recordOutcome(outcome);
      if (item.source === 'update') outcomes[item.id] = outcome;
      publish();
    }
  }

  const eventBudget = input.continueAsNewAfterEvents ?? defaultEventBudget;
  function shouldContinueAsNew(): boolean {
    const info = workflowInfo();
    // A new build became current: move to it now rather than after the event budget (days for a quiet flow).
    return (
      info.continueAsNewSuggested || info.historyLength >= eventBudget || info.targetWorkerDeploymentVersionChanged
    );
  }

  function nextWakeAt(): number {
    const tokenEvent = nextTokenEventAt(
      state.token,
      tokenWarningLeads(state.dataflow),
      canRotateAutomatically(state.dataflow),
      Date.now(),
    );
    return Math.min(state.nextReconcileAt, tokenEvent ?? Number.POSITIVE_INFINITY);
  }

  // -- Main loop

  const attributes = workflowInfo().typedSearchAttributes;
  if (attributes.get(DataflowSandbox) === undefined || attributes.get(DataflowName) === undefined) {
    // Started by hand rather than by provisioning: still findable by sandbox and name.
    upsertSearchAttributes([
      { key: DataflowSandbox, value: state.dataflow.sandbox },
      { key: DataflowName, value: state.dataflow.name },
    ]);
  }
  if (firstStart) {
    // The first reconcile comes one (jittered) interval from now: a fleet started at once never reconciles at once.
    state.nextReconcileAt = Date.now() + jittered(context.reconcileIntervalMs(), Math.random());
    publish();
    // Provisioning starts the sandbox's run feed; a monitor started some other way makes sure of it.
    try {
      await activities.ensureRunFeed.executeWithOptions(
        { startToCloseTimeout: '1m', retry: { maximumAttempts: 5 }, summary: 'make sure the run feed runs' },
        [{ sandbox: state.dataflow.sandbox }],
      );
    } catch (error) {
      log.warn('could not start the run feed; the next reconcile tries again', { reason: failureMessage(error) });
    }
  }
  publish();

  for (;;) {
    wakeTimer.arm(nextWakeAt());
    await condition(() => wakeTimer.fired || runs.hasNews || state.queue.length > 0 || shouldContinueAsNew());

    await runs.takeNews();
    await drainQueue();
    if (state.tornDown) break;
    if (Date.now() >= state.nextReconcileAt) {
      await runs.reconcile();
      if (patched(driftDetectionPatch)) await lookForDrift(context);
    }
    await attendToToken(context);
    await drainQueue();
    if (state.tornDown) break;
    publish();

    if (shouldContinueAsNew() && state.queue.length === 0 && !runs.hasNews) {
      // Let every update handler deliver its answer; new work arriving meanwhile is done before moving on.
      await condition(() => allHandlersFinished() || state.queue.length > 0 || runs.hasNews);
      if (state.queue.length === 0 && !runs.hasNews) {
        if (patched(resealAtContinueAsNewPatch)) {
          await resealCarriedSecrets(context);
          // Work that arrived while the secrets were re-sealed is done before moving on.
          if (state.queue.length > 0 || runs.hasNews) continue;
        }
        state.generation += 1;
        // The next run starts on the deployment's current build (this one stays on the build it began on).
        return makeContinueAsNewFunc<typeof dataflowMonitor>({ initialVersioningBehavior: 'AUTO_UPGRADE' })({
          ...input,
          dataflow: state.dataflow,
          carriedState: state,
        });
      }
    }
  }

  publish();
  await condition(allHandlersFinished);
  const teardownOutcome = state.recentActions.find((outcome) => outcome.kind === 'teardown' && outcome.ok);
  return {
    workflowId,
    state: 'torn-down',
    teardown: teardownOutcome ?? {
      id: 'unknown',
      kind: 'teardown',
      source: 'monitor',
      ok: true,
      summary: 'torn down',
      finishedAt: isoNow(),
      details: {},
    },
  };
}

// Worker versioning (README "Upgrading a running fleet"): each run is PINNED to the build that started it and
// continue-as-new moves the next run to the deployment's current build, which the loop above does at its next
// wake once a new build is current. Chosen over AUTO_UPGRADE: a change that fails to replay cannot stall the
// whole fleet at once, and a rollback never replays the new build's history on old code; the only contract
// between builds is DataflowMonitorInput. Only a versioned worker may name a behavior (the server refuses one
// from an unversioned worker: the dev server, the demo, the tests), hence the getter.
setWorkflowOptions(
  () => (workflowInfo().currentDeploymentVersion?.deploymentName ? { versioningBehavior: 'PINNED' } : {}),
  dataflowMonitor,
);
