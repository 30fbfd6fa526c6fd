/**
 * One dataflow's monitor: its state, its work queue, the outcomes update handlers wait for, its wake timer and its
 * run watcher, with a method for each message it accepts and `run()`, its main loop. The workflow function
 * (../dataflow-monitor.ts) only wires the handlers to these methods.
 *
 * Requests are done strictly one at a time, in arrival order: handlers only queue work (or refuse it), the main
 * loop does it. Each request is both a signal (fire and forget: its outcome is recorded, a failure alerted) and an
 * update (the caller waits for the outcome; validators refuse bad input before it reaches history).
 */
import {
  ApplicationFailure,
  allHandlersFinished,
  condition,
  log,
  makeContinueAsNewFunc,
  patched,
  setCurrentDetails,
  upsertSearchAttributes,
  uuid4,
  workflowInfo,
} from '@temporalio/workflow';
import type { OneTrustEndpoint } from '../../contracts/onetrust-endpoint-changes';
import { DataflowName, DataflowSandbox, DataflowState } from '../../contracts/search-attributes';
import { runFeedWorkflowId } from '../../contracts/workflow-ids';
import { rotate, rotateAutomatically, setEnabled, teardown, updateDataflow, type WorkResult } from './actions';
import { raiseAlert, type RaiseAlert } from './alerting';
import { applySpec } from './apply-spec';
import { driftDetectionPatch, lookForDrift } from './drift';
import {
  monitorActionFailedType,
  type DataflowMade,
  type DataflowMonitorInput,
  type DataflowMonitorResult,
  type ProvisioningRolledBack,
  type RunUpdate,
} from '../../contracts/monitor-messages';
import { activities } from './monitor-activities';
import { failureMessage, isoNow } from './monitor-context';
import { describeStatus } from './monitor-status';
import type { MonitorStatus } from '../../contracts/monitor-status';
import { jittered, reconcileIntervalMs } from '../../contracts/reconcile-cadence';
import {
  applySpecProblem,
  rotateTokenProblem,
  teardownProblem,
  updateDataflowProblem,
} from '../../contracts/request-validation';
import { RunWatcher } from './run-watching';
import { resealCarriedSecrets } from './secrets-reseal';
import { initialMonitorState, keepNewest, maxRecentActions } from './state';
import type {
  ActionOutcome,
  ApplySpecRequest,
  MonitorAction,
  MonitorState,
  RotateTokenRequest,
  TeardownRequest,
  UpdateDataflowRequest,
  WorkItem,
} from '../../contracts/monitor-state';
import { statusMarkdown } from './status-markdown';
import { canRotateAutomatically, nextTokenEventAt, tokenWarningLeads } from '../../contracts/token-schedule';
import { attendToToken } from './token-watch';
import { WakeTimer } from './wake-timer';
import { AwaitedDataflow } from './awaited-dataflow';

/** Monitors started before re-sealing at continue-as-new replay without it. */
export const resealAtContinueAsNewPatch = 'reseal-secrets-at-continue-as-new';

/** Continue as new at this many events: replaying a few hundred events on a cache miss stays cheap. */
const defaultEventBudget = 300;

export class DataflowMonitor {
  private readonly workflowId: string;
  private readonly firstStart: boolean;
  private readonly state: MonitorState;
  /** Outcomes waiting for the update handler that asked for them (never carried: handlers finish first). */
  private readonly outcomes: Record<string, ActionOutcome> = {};
  /** The DataflowState search attribute as last set: it is upserted only when the state changes. */
  private publishedState: string | undefined;
  private readonly runs: RunWatcher;
  private readonly wakeTimer = new WakeTimer();
  private readonly eventBudget: number;
  /** The flow this monitor waits for, when provisioning started it before the flow existed (first run only). */
  private readonly awaited: AwaitedDataflow | undefined;
  /** Sends an alert about this dataflow (webhook or log) and records it as the last alert. */
  private readonly raise: RaiseAlert = (draft) => raiseAlert(this.state, this.workflowId, draft);

  constructor(private readonly input: DataflowMonitorInput) {
    this.workflowId = workflowInfo().workflowId;
    this.firstStart = input.carriedState === undefined;
    this.state = input.carriedState ?? initialMonitorState(input.dataflow, Date.now());
    this.publishedState = workflowInfo().typedSearchAttributes.get(DataflowState);
    this.runs = new RunWatcher(this.state, this.raise, {
      monitorWorkflowId: this.workflowId,
      reconcileIntervalMs: () => this.reconcileIntervalMs(),
      refreshTimeoutMs: input.refreshTimeoutMs,
    });
    this.eventBudget = input.continueAsNewAfterEvents ?? defaultEventBudget;
    this.awaited =
      this.firstStart && input.awaitsDataflowFrom !== undefined
        ? new AwaitedDataflow(input.awaitsDataflowFrom, input.awaitDataflowLimitMs)
        : undefined;
  }

  // -- Queries

  status(): MonitorStatus {
    return describeStatus(this.state, {
      workflowId: this.workflowId,
      runFeedWorkflowId: runFeedWorkflowId(this.state.dataflow.sandbox),
      leads: tokenWarningLeads(this.state.dataflow),
      reconcileIntervalMs: this.reconcileIntervalMs(),
      nowMs: Date.now(),
    });
  }

  oneTrustEndpoint(): OneTrustEndpoint {
    const { baseUrl, clientCredentials } = this.state.dataflow.oneTrust;
    return { baseUrl, ...(clientCredentials ? { clientCredentials } : {}) };
  }

  // -- Signals

  /** From the activity that made the flow: ignored unless this monitor waits for it. */
  receiveDataflowMade(made: DataflowMade): void {
    this.awaited?.receiveMade(made);
  }

  /** From the provisioning that started this monitor: it rolled back, there is nothing to watch. */
  receiveProvisioningRolledBack(word: ProvisioningRolledBack): void {
    this.awaited?.receiveRolledBack(word);
  }

  /** From the sandbox's run feed: kept for the main loop, which folds the runs in (alerts need activities). */
  receiveRuns(update: RunUpdate): void {
    this.runs.receive(update);
  }

  rotateTokenSignal(request: RotateTokenRequest): void {
    this.acceptSignal({ kind: 'rotateToken', request }, rotateTokenProblem(request, Date.now()));
  }

  updateDataflowSignal(request: UpdateDataflowRequest): void {
    this.acceptSignal({ kind: 'updateDataflow', request }, updateDataflowProblem(request));
  }

  pauseSignal(): void {
    this.acceptSignal({ kind: 'pause' }, undefined);
  }

  resumeSignal(): void {
    this.acceptSignal({ kind: 'resume' }, undefined);
  }

  // `?? {}` (here and in the update): someone may send it with no argument at all (e.g. from the Temporal CLI).
  teardownSignal(request: TeardownRequest | undefined): void {
    this.acceptSignal({ kind: 'teardown', request: request ?? {} }, teardownProblem(request));
  }

  // -- Updates: each resolves with its outcome once the main loop has done it (or fails with it).

  rotateToken(request: RotateTokenRequest): Promise<ActionOutcome> {
    return this.outcomeOf(this.enqueue({ kind: 'rotateToken', request }, 'update'));
  }

  updateDataflow(request: UpdateDataflowRequest): Promise<ActionOutcome> {
    return this.outcomeOf(this.enqueue({ kind: 'updateDataflow', request }, 'update'));
  }

  pause(): Promise<ActionOutcome> {
    return this.outcomeOf(this.enqueue({ kind: 'pause' }, 'update'));
  }

  resume(): Promise<ActionOutcome> {
    return this.outcomeOf(this.enqueue({ kind: 'resume' }, 'update'));
  }

  teardown(request: TeardownRequest | undefined): Promise<ActionOutcome> {
    return this.outcomeOf(this.enqueue({ kind: 'teardown', request: request ?? {} }, 'update'));
  }

  applySpec(request: ApplySpecRequest): Promise<ActionOutcome> {
    return this.outcomeOf(this.enqueue({ kind: 'applySpec', request }, 'update'));
  }

  /** `status --refresh`: the status once the runs were looked at. */
  async refresh(): Promise<MonitorStatus> {
    await this.outcomeOf(this.enqueue({ kind: 'refresh' }, 'update'));
    return this.status();
  }

  // -- Update validators: synchronous, and they never change state; they only throw. What arrives is unchecked.

  validateRotateToken(request: unknown): void {
    this.refuseIf(rotateTokenProblem(request, Date.now()));
  }

  validateUpdateDataflow(request: unknown): void {
    this.refuseIf(updateDataflowProblem(request));
  }

  /** Pause, resume and refresh carry nothing to check: only whether the dataflow still takes work. */
  validateAnyWork(): void {
    this.refuseIf(undefined);
  }

  validateTeardown(request: unknown): void {
    this.refuseIf(teardownProblem(request));
  }

  validateApplySpec(request: unknown): void {
    this.refuseIf(applySpecProblem(request, Date.now()));
  }

  // -- The main loop

  /** Sleeps until something happens, does what it calls for, and continues as new when its history is long. */
  async run(): Promise<DataflowMonitorResult> {
    const { state, runs } = this;
    const attributes = workflowInfo().typedSearchAttributes;
    if (attributes.get(DataflowSandbox) === undefined || attributes.get(DataflowName) === undefined) {
      // Started by hand rather than by provisioning: still findable by sandbox and name.
      upsertSearchAttributes([
        { key: DataflowSandbox, value: state.dataflow.sandbox },
        { key: DataflowName, value: state.dataflow.name },
      ]);
    }
    if (this.firstStart) {
      // The first reconcile comes one (jittered) interval from now: a fleet started at once never reconciles at once.
      state.nextReconcileAt = Date.now() + jittered(this.reconcileIntervalMs(), Math.random());
      this.publish();
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
    if (this.awaited) {
      // Started before its flow existed: the run feed is made sure of meanwhile, and the flow comes next.
      const outcome = await this.awaited.outcome();
      if ('rolledBack' in outcome) return this.standDown(outcome.rolledBack);
      state.dataflow = {
        ...state.dataflow,
        ids: outcome.ids ?? { ...state.dataflow.ids, flowId: outcome.flowId },
        schedule: outcome.schedule,
      };
    }
    this.publish();

    for (;;) {
      this.wakeTimer.arm(this.nextWakeAt());
      await condition(
        () =>
          this.wakeTimer.fired ||
          runs.hasNews ||
          state.queue.length > 0 ||
          this.shouldContinueAsNew() ||
          this.awaited?.rolledBack !== undefined,
      );
      // Cancelled while its flow was being made: the provisioning deleted it again.
      if (this.awaited?.rolledBack !== undefined) return this.standDown(this.awaited.rolledBack);

      await runs.takeNews();
      await this.drainQueue();
      if (state.tornDown) break;
      if (Date.now() >= state.nextReconcileAt) {
        await runs.reconcile();
        if (patched(driftDetectionPatch)) await lookForDrift(state, this.raise, () => this.publish());
      }
      await attendToToken(state, (action, source) => this.enqueue(action, source), this.raise);
      await this.drainQueue();
      if (state.tornDown) break;
      this.publish();

      if (this.shouldContinueAsNew() && state.queue.length === 0 && !runs.hasNews) {
        // Let every update handler deliver its answer; new work arriving meanwhile is done before moving on.
        await condition(() => allHandlersFinished() || state.queue.length > 0 || runs.hasNews);
        if (state.queue.length === 0 && !runs.hasNews) {
          if (patched(resealAtContinueAsNewPatch)) {
            await resealCarriedSecrets(state, this.raise);
            // Work that arrived while the secrets were re-sealed is done before moving on.
            if (state.queue.length > 0 || runs.hasNews) continue;
          }
          state.generation += 1;
          // The next run starts on the deployment's current build (this one stays on the build it began on).
          return makeContinueAsNewFunc<(input: DataflowMonitorInput) => Promise<DataflowMonitorResult>>({
            initialVersioningBehavior: 'AUTO_UPGRADE',
          })({ ...this.input, dataflow: state.dataflow, carriedState: state });
        }
      }
    }

    this.publish();
    await condition(allHandlersFinished);
    const teardownOutcome = state.recentActions.find((outcome) => outcome.kind === 'teardown' && outcome.ok);
    return {
      workflowId: this.workflowId,
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

  /** Ends without a dataflow: its provisioning rolled back. What was asked of it meanwhile is refused. */
  private async standDown(reason: string): Promise<DataflowMonitorResult> {
    this.state.tornDown = true;
    const outcome: ActionOutcome = {
      id: uuid4(),
      kind: 'teardown',
      source: 'monitor',
      ok: true,
      summary: `nothing to watch: ${reason}`,
      finishedAt: isoNow(),
      details: {},
    };
    this.recordOutcome(outcome);
    await this.drainQueue();
    this.publish();
    await condition(allHandlersFinished);
    return { workflowId: this.workflowId, state: 'torn-down', teardown: outcome };
  }

  /** Works through the queue, one item at a time, in arrival order. */
  private async drainQueue(): Promise<void> {
    const { state } = this;
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
        this.publish();
        try {
          const result = await this.perform(item);
          // After every action (and `status --refresh`): does the dataflow still match what was applied?
          if (item.action.kind !== 'teardown' && !state.tornDown && patched(driftDetectionPatch)) {
            await lookForDrift(state, this.raise, () => this.publish());
          }
          outcome = { ...base, ok: true, ...result, finishedAt: isoNow() };
        } catch (error) {
          outcome = { ...base, ok: false, summary: failureMessage(error), finishedAt: isoNow(), details: {} };
          log.warn('monitor action failed', { kind: item.action.kind, reason: outcome.summary });
          // Nobody waits for a signal's outcome: tell people through the alert path instead.
          if (item.source === 'signal') {
            await this.raise({
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
      if (item.action.kind !== 'refresh') this.recordOutcome(outcome);
      if (item.source === 'update') this.outcomes[item.id] = outcome;
      this.publish();
    }
  }

  /** Does one item of work (actions.ts and apply-spec.ts hold how). */
  private async perform(item: WorkItem): Promise<WorkResult> {
    const { state, raise } = this;
    const { action } = item;
    switch (action.kind) {
      case 'rotateToken':
        return rotate(state, raise, action.request, 'on request');
      case 'autoRotateToken':
        return rotateAutomatically(state, raise);
      case 'updateDataflow':
        return updateDataflow(state, action.request);
      case 'pause':
        return setEnabled(state, false);
      case 'resume':
        return setEnabled(state, true);
      case 'teardown':
        return teardown(state, action.request, this.input.teardownTiming, () => this.publish());
      case 'applySpec':
        return applySpec(state, action.request, {
          updateDataflow: (request) => updateDataflow(state, request),
          rotate: (request, how) => rotate(state, raise, request, how),
          setEnabled: (enabled) => setEnabled(state, enabled),
        });
      case 'refresh': {
        const how = await this.runs.refresh();
        const { lastReconcileError } = state;
        return {
          summary: lastReconcileError ? `${how}; could not list the runs: ${lastReconcileError}` : how,
          details: { runs: state.lastRuns.length },
        };
      }
    }
  }

  // -- Helpers of the handlers and the loop

  /** Queues work to be done in order, one item at a time. */
  private enqueue(action: MonitorAction, source: WorkItem['source']): WorkItem {
    const item: WorkItem = { id: uuid4(), source, receivedAt: isoNow(), action };
    this.state.queue.push(item);
    return item;
  }

  /** Why no new work is accepted, if so. */
  private closedProblem(): string | undefined {
    return this.state.tornDown || this.state.queue.some((item) => item.action.kind === 'teardown')
      ? 'the dataflow is being torn down (or already was): nothing more can be done with it'
      : undefined;
  }

  /** A signal carries no answer: an unacceptable one is recorded (and logged) instead of queued. */
  private acceptSignal(action: MonitorAction, problem: string | undefined): void {
    const refusal = problem ?? this.closedProblem();
    if (refusal === undefined) {
      this.enqueue(action, 'signal');
      return;
    }
    log.warn('refused a signal', { kind: action.kind, reason: refusal });
    this.recordOutcome({
      id: uuid4(),
      kind: action.kind,
      source: 'signal',
      ok: false,
      summary: `refused: ${refusal}`,
      finishedAt: isoNow(),
      details: {},
    });
  }

  private refuseIf(problem: string | undefined): void {
    const refusal = problem ?? this.closedProblem();
    if (refusal !== undefined) throw new Error(refusal);
  }

  private async outcomeOf(item: WorkItem): Promise<ActionOutcome> {
    await condition(() => this.outcomes[item.id] !== undefined);
    const outcome = this.outcomes[item.id] as ActionOutcome;
    delete this.outcomes[item.id];
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

  private recordOutcome(outcome: ActionOutcome): void {
    this.state.recentActions = keepNewest([outcome, ...this.state.recentActions], maxRecentActions);
  }

  /** Shows the state now: the Web UI's Current Details, and the DataflowState search attribute `list` reads. */
  private publish(): void {
    const status = this.status();
    setCurrentDetails(statusMarkdown(status));
    if (status.state !== this.publishedState) {
      upsertSearchAttributes([{ key: DataflowState, value: status.state }]);
      this.publishedState = status.state;
    }
  }

  private reconcileIntervalMs(): number {
    return reconcileIntervalMs(this.state.dataflow, this.input.reconcileIntervalMs);
  }

  private shouldContinueAsNew(): boolean {
    const info = workflowInfo();
    // A new build became current: move to it now rather than after the event budget (days for a quiet flow).
    return (
      info.continueAsNewSuggested || info.historyLength >= this.eventBudget || info.targetWorkerDeploymentVersionChanged
    );
  }

  /** The next thing on the monitor's own calendar: a reconcile, or the token's next warning, expiry or rotation. */
  private nextWakeAt(): number {
    const tokenEvent = nextTokenEventAt(
      this.state.token,
      tokenWarningLeads(this.state.dataflow),
      canRotateAutomatically(this.state.dataflow),
      Date.now(),
    );
    return Math.min(this.state.nextReconcileAt, tokenEvent ?? Number.POSITIVE_INFINITY);
  }
}
