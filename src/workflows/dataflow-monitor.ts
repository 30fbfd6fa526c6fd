/**
 * dataflowMonitor: one long-lived workflow per dataflow (id `dataflow:<sandbox>:<name>`). It looks at the runs on
 * a cadence, keeps the OneTrust token alive (warnings, automatic rotation with client credentials), and carries
 * out what users ask (rotate the token, change the flow, pause, resume, tear down) strictly one at a time.
 * Every request is both a signal (fire and forget) and an update (wait for the outcome); both queue the same work.
 * History stays bounded: it continues as new when the server suggests it, carrying plain-object state only.
 */
import {
  ActivityFailure,
  ApplicationFailure,
  allHandlersFinished,
  condition,
  continueAsNew,
  defineQuery,
  defineSignal,
  defineUpdate,
  log,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  upsertSearchAttributes,
  uuid4,
  workflowInfo,
  type ActivityOptions,
} from '@temporalio/workflow';
import type { DataflowResourceKind, MonitorActivities, RunPage } from '../activities/monitor';
import type { DataflowDescriptor } from './dataflow-types';
import { changeTimeoutMs, pollTimeoutMs } from './monitor/activity-timeouts';
import { describeDuration } from './monitor/durations';
import { describeStatus, statusMarkdown, type MonitorStatus } from './monitor/monitor-status';
import { pollIntervalMs } from './monitor/poll-cadence';
import { rotateTokenProblem, teardownProblem, updateDataflowProblem } from './monitor/request-validation';
import { applyRuns, type AlertDraft } from './monitor/run-tracking';
import {
  initialMonitorState,
  keepNewest,
  maxRecentActions,
  type ActionOutcome,
  type Alert,
  type DataflowHealth,
  type MonitorAction,
  type MonitorState,
  type RotateTokenRequest,
  type RunSummary,
  type TeardownRequest,
  type UpdateDataflowRequest,
  type WorkItem,
} from './monitor/state';
import {
  autoRotationDueAt,
  canRotateAutomatically,
  dueWarning,
  isTokenExpired,
  nextTokenEventAt,
  tokenStateAfterRotation,
  tokenWarningLeads,
  warningsSuppressed,
} from './monitor/token-schedule';
import { DataflowName, DataflowSandbox, DataflowState } from './search-attributes';

export interface DataflowMonitorInput {
  dataflow: DataflowDescriptor;
  /** Set by the monitor itself when it continues as new. */
  carriedState?: MonitorState;
  /**
   * Continue as new once history holds this many events, besides whenever the server suggests it
   * (tests use a small number; production leaves it out).
   */
  continueAsNewAfterEvents?: number;
  /** Runs read per look (default 20; tests use a small number to make the monitor page). */
  runsPerPoll?: number;
}

export interface DataflowMonitorResult {
  workflowId: string;
  state: DataflowHealth;
  teardown: ActionOutcome;
}

// ---- Messages ---------------------------------------------------------------------------------------------------

export const rotateTokenSignal = defineSignal<[RotateTokenRequest]>('rotateToken');
export const updateDataflowSignal = defineSignal<[UpdateDataflowRequest]>('updateDataflow');
export const pauseSignal = defineSignal('pause');
export const resumeSignal = defineSignal('resume');
export const teardownSignal = defineSignal<[TeardownRequest]>('teardown');

export const rotateTokenUpdate = defineUpdate<ActionOutcome, [RotateTokenRequest]>('rotateToken');
export const updateDataflowUpdate = defineUpdate<ActionOutcome, [UpdateDataflowRequest]>('updateDataflow');
export const pauseUpdate = defineUpdate<ActionOutcome>('pause');
export const resumeUpdate = defineUpdate<ActionOutcome>('resume');
export const teardownUpdate = defineUpdate<ActionOutcome, [TeardownRequest]>('teardown');
/** Look at the runs now and answer with what was found (`status --refresh`). */
export const refreshUpdate = defineUpdate<MonitorStatus>('refresh');

export const statusQuery = defineQuery<MonitorStatus>('status');

/** The failure type an update fails with when its work failed (the message says why). */
export const monitorActionFailedType = 'MonitorActionFailed';

// ---- Activities -------------------------------------------------------------------------------------------------

// Timeouts outlast the AEP client's own retries of a read (see activity-timeouts.ts).

/** Looking at runs: a failure only means "look again next time" (but several in a row are alerted). */
const pollOptions: ActivityOptions = {
  startToCloseTimeout: pollTimeoutMs,
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '10s', maximumAttempts: 3 },
};
/** Changing the dataflow: retried patiently on 429/5xx; AEP's refusals stop at once (non-retryable failures). */
const changeOptions: ActivityOptions = {
  startToCloseTimeout: changeTimeoutMs,
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s', maximumAttempts: 8 },
};
/** Alerts: a few attempts over about half a minute, then the monitor moves on (the log line is already out). */
const alertOptions: ActivityOptions = {
  startToCloseTimeout: '15s',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '10s', maximumAttempts: 5 },
};

const activities = proxyActivities<MonitorActivities>(changeOptions);

/** Runs read per look: every run of a 15-minute flow between two hourly polls; more are read page by page. */
const defaultRunsPerPoll = 20;

/** Polls that must fail in a row (over at least one poll interval) before the dataflow counts as unmonitored. */
const pollFailuresBeforeAlert = 3;

// ---- The workflow -----------------------------------------------------------------------------------------------

export async function dataflowMonitor(input: DataflowMonitorInput): Promise<DataflowMonitorResult> {
  const workflowId = workflowInfo().workflowId;
  const state: MonitorState = input.carriedState ?? initialMonitorState(input.dataflow, Date.now());
  /** Outcomes waiting for the update handler that asked for them (never carried: handlers finish first). */
  const outcomes: Record<string, ActionOutcome> = {};
  let publishedState = workflowInfo().typedSearchAttributes.get(DataflowState);

  const leads = () => tokenWarningLeads(state.dataflow);
  const cadenceMs = () => pollIntervalMs(state.dataflow);
  const currentStatus = (): MonitorStatus =>
    describeStatus(state, { workflowId, leads: leads(), pollIntervalMs: cadenceMs(), nowMs: Date.now() });

  // -- Handlers first, so nothing sent before the first await is missed.

  setHandler(statusQuery, currentStatus);

  /** Why no new work is accepted, if so. */
  const closedProblem = (): string | undefined =>
    state.tornDown || state.queue.some((item) => item.action.kind === 'teardown')
      ? 'the dataflow is being torn down (or already was): nothing more can be done with it'
      : undefined;

  function enqueue(action: MonitorAction, source: WorkItem['source']): WorkItem {
    const item: WorkItem = { id: uuid4(), source, receivedAt: new Date(Date.now()).toISOString(), action };
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
      finishedAt: new Date(Date.now()).toISOString(),
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

  // -- Alerts

  async function raise(draft: AlertDraft): Promise<void> {
    const { dataflow } = state;
    const alert: Alert = {
      id: `${workflowId}:${draft.kind}:${draft.discriminator}`,
      kind: draft.kind,
      severity: draft.severity,
      workflowId,
      sandbox: dataflow.sandbox,
      dataflow: dataflow.name,
      flowId: dataflow.ids.flowId,
      message: `${dataflow.sandbox}/${dataflow.name}: ${draft.message}`,
      raisedAt: new Date(Date.now()).toISOString(),
      details: draft.details,
    };
    let delivery: 'webhook' | 'log' | 'failed';
    try {
      ({ delivery } = await activities.sendAlert.executeWithOptions(
        { ...alertOptions, summary: `alert: ${draft.kind}` },
        [{ alert, ...(dataflow.alerts?.webhookUrl ? { webhookUrl: dataflow.alerts.webhookUrl } : {}) }],
      ));
    } catch (error) {
      delivery = 'failed';
      log.error('alert could not be delivered to the webhook', { alertId: alert.id, reason: failureMessage(error) });
    }
    state.lastAlert = {
      id: alert.id,
      kind: alert.kind,
      severity: alert.severity,
      message: alert.message,
      raisedAt: alert.raisedAt,
      delivery,
    };
  }

  // -- Looking at the runs

  async function pollRuns(): Promise<void> {
    state.nextPollAt = Date.now() + cadenceMs();
    state.polls += 1;
    const cursorBefore = state.runCursorMs;
    let page: RunPage;
    try {
      page = pageOf(
        await activities.listRecentRuns.executeWithOptions({ ...pollOptions, summary: 'list runs' }, [
          {
            sandbox: state.dataflow.sandbox,
            flowId: state.dataflow.ids.flowId,
            ...(state.runCursorMs !== undefined ? { startedAtOrAfterMs: state.runCursorMs } : {}),
            limit: input.runsPerPoll ?? defaultRunsPerPoll,
            ...(state.unfinishedRunIds?.length ? { unfinishedRunIds: state.unfinishedRunIds } : {}),
          },
        ]),
      );
    } catch (error) {
      await countPollFailure(failureMessage(error));
      return;
    }
    state.lastPollAt = new Date(Date.now()).toISOString();
    state.lastPollError = undefined;
    await endPollTrouble();
    for (const draft of applyRuns(state, page.runs, Date.now())) await raise(draft);
    if (page.more) {
      // Runs remain after this page: read them now, in order, rather than skip them at the next poll. A cursor that
      // did not move (a page of runs all started in the same millisecond) would only read the same page again.
      if (state.runCursorMs !== cursorBefore) state.nextPollAt = Date.now();
      else log.warn('more runs than a page share one start time; waiting for the next poll', { cursor: cursorBefore });
    }
  }

  /** A look at the runs failed: one is noise, several in a row over a poll interval mean the monitor is blind. */
  async function countPollFailure(reason: string): Promise<void> {
    state.lastPollError = reason;
    log.warn('could not list the runs', { reason });
    const trouble = state.pollTrouble ?? { failures: 0, since: isoNow(), alerted: false };
    trouble.failures += 1;
    state.pollTrouble = trouble;
    const blindForMs = Date.now() - Date.parse(trouble.since);
    if (trouble.alerted || trouble.failures < pollFailuresBeforeAlert || blindForMs < cadenceMs()) return;
    trouble.alerted = true;
    await raise({
      kind: 'unmonitored',
      severity: 'critical',
      discriminator: trouble.since,
      // The activity's failures already start with its step, "list runs: ".
      message: `cannot list runs: ${reason.replace(/^list runs: /, '')} (${trouble.failures} looks in a row since ${trouble.since}); failed runs go unnoticed until this is fixed`,
      details: { failures: trouble.failures, since: trouble.since, reason },
    });
  }

  /** The runs can be listed again: say so if the blindness was alerted. */
  async function endPollTrouble(): Promise<void> {
    const trouble = state.pollTrouble;
    state.pollTrouble = undefined;
    if (!trouble?.alerted) return;
    await raise({
      kind: 'monitoring-resumed',
      severity: 'info',
      discriminator: trouble.since,
      message: `runs can be listed again after ${trouble.failures} failed looks since ${trouble.since}`,
      details: { failures: trouble.failures, since: trouble.since },
    });
  }

  // -- The token's calendar

  async function attendToToken(): Promise<void> {
    const now = Date.now();
    const leadTimes = leads();
    const automatic = canRotateAutomatically(state.dataflow);
    if (automatic && now >= autoRotationDueAt(state.token, leadTimes)) {
      if (!state.queue.some((item) => item.action.kind === 'autoRotateToken')) {
        enqueue({ kind: 'autoRotateToken' }, 'monitor');
      }
    }
    const warning = warningsSuppressed(state.token, automatic) ? undefined : dueWarning(state.token, leadTimes, now);
    if (warning) {
      state.token.warningsSent.push(...warning.passed);
      const remaining = Date.parse(state.token.expiresAt) - now;
      await raise({
        kind: 'token-expiring',
        severity: 'warning',
        discriminator: `${state.token.expiresAt}:${warning.lead.text}`,
        message: `the OneTrust token expires in ${describeDuration(remaining)} (${state.token.expiresAt}); rotate it before then`,
        details: { tokenExpiresAt: state.token.expiresAt, leadTime: warning.lead.text },
      });
    }
    if (isTokenExpired(state.token, now) && !state.token.expiredAlerted) {
      state.token.expiredAlerted = true;
      await raise({
        kind: 'token-expired',
        severity: 'critical',
        discriminator: state.token.expiresAt,
        message: `the OneTrust token expired at ${state.token.expiresAt}: every run fails until a new token is rotated in`,
        details: { tokenExpiresAt: state.token.expiresAt },
      });
    }
  }

  // -- The work users (and the token calendar) ask for

  type WorkResult = { summary: string; details: ActionOutcome['details'] };

  async function rotate(request: RotateTokenRequest, how: 'on request' | 'automatically'): Promise<WorkResult> {
    const result = await activities.rotateOneTrustToken.executeWithOptions(
      { ...changeOptions, summary: `rotate token ${how}` },
      [
        {
          sandbox: state.dataflow.sandbox,
          baseConnectionId: state.dataflow.ids.baseConnectionId,
          token: request.token,
          // Put back if OneTrust refuses the new one, so a bad token never replaces a working one.
          previousToken: state.dataflow.oneTrust.token,
          ...(request.expiresAt !== undefined ? { expiresAt: request.expiresAt } : {}),
        },
      ],
    );
    state.dataflow.oneTrust = {
      ...state.dataflow.oneTrust,
      token: request.token,
      tokenExpiresAt: result.tokenExpiresAt,
    };
    state.token = tokenStateAfterRotation(result.tokenExpiresAt, Date.now());
    await raise({
      kind: 'token-rotated',
      severity: 'info',
      discriminator: result.tokenExpiresAt,
      message: `the OneTrust token was rotated ${how}; the new one expires ${result.tokenExpiresAt}`,
      details: { tokenExpiresAt: result.tokenExpiresAt, patchAttempts: result.patchAttempts },
    });
    return {
      summary: `token rotated ${how}: expires ${result.tokenExpiresAt}; the explore preview read ${result.previewRecords} record(s) with it`,
      details: {
        tokenExpiresAt: result.tokenExpiresAt,
        patchAttempts: result.patchAttempts,
        previewRecords: result.previewRecords,
      },
    };
  }

  async function rotateAutomatically(): Promise<WorkResult> {
    const credentials = state.dataflow.oneTrust.clientCredentials;
    if (!credentials) throw ApplicationFailure.nonRetryable('no OneTrust client credentials to mint a token with');
    try {
      const minted = await activities.mintOneTrustToken.executeWithOptions(
        { ...changeOptions, summary: 'mint a OneTrust token' },
        [
          {
            baseUrl: state.dataflow.oneTrust.baseUrl,
            clientId: credentials.clientId,
            clientSecret: credentials.clientSecret,
          },
        ],
      );
      return await rotate({ token: minted.token, expiresAt: minted.expiresAt }, 'automatically');
    } catch (error) {
      const failures = state.token.autoRotationFailures + 1;
      state.token.autoRotationFailures = failures;
      // Back off: poll cadence × 2^(failures-1), at most six hours, so a broken credential does not spin.
      state.token.autoRotationRetryAt = Date.now() + Math.min(6 * 3_600_000, cadenceMs() * 2 ** (failures - 1));
      await raise({
        kind: 'token-rotation-failed',
        severity: 'critical',
        discriminator: `${state.token.expiresAt}:${failures}`,
        message: `automatic token rotation failed (attempt ${failures}): ${failureMessage(error)}; the token expires ${state.token.expiresAt}`,
        details: { tokenExpiresAt: state.token.expiresAt, attempt: failures },
      });
      throw error;
    }
  }

  async function updateDataflow(request: UpdateDataflowRequest): Promise<WorkResult> {
    const { dataflow } = state;
    const changed: string[] = [];
    const details: WorkResult['details'] = {};
    if (request.name !== undefined || request.description !== undefined || request.schedule !== undefined) {
      const patched = await activities.updateFlowSettings.executeWithOptions(
        { ...changeOptions, summary: 'update dataflow settings' },
        [
          {
            sandbox: dataflow.sandbox,
            flowId: dataflow.ids.flowId,
            ...(request.name !== undefined ? { name: request.name } : {}),
            ...(request.description !== undefined ? { description: request.description } : {}),
            ...(request.schedule !== undefined ? { schedule: request.schedule } : {}),
          },
        ],
      );
      changed.push(...patched.changed);
      details.flowPatchAttempts = patched.patchAttempts;
      if (request.schedule) {
        const { frequency, interval } = request.schedule;
        dataflow.schedule = {
          startTime: dataflow.schedule.startTime,
          frequency,
          ...(interval !== undefined ? { interval } : {}),
        };
        // A faster schedule is watched at the faster cadence from now on.
        state.nextPollAt = Math.min(state.nextPollAt, Date.now() + cadenceMs());
        details.schedule = frequency === 'once' ? 'once' : `every ${interval} ${frequency}(s)`;
      }
      if (request.name !== undefined) details.flowName = request.name;
    }
    if (request.mapping !== undefined) {
      const published = await activities.publishMappingVersion.executeWithOptions(
        { ...changeOptions, summary: 'new mapping-set version' },
        [
          {
            sandbox: dataflow.sandbox,
            mappingSetId: dataflow.ids.mappingSetId,
            schemaId: dataflow.ids.schemaId,
            currentVersion: dataflow.ids.mappingVersion,
            mapping: request.mapping,
          },
        ],
      );
      await activities.pointFlowAtMapping.executeWithOptions(
        { ...changeOptions, summary: `point the flow at mapping v${published.mappingVersion}` },
        [
          {
            sandbox: dataflow.sandbox,
            flowId: dataflow.ids.flowId,
            mappingSetId: dataflow.ids.mappingSetId,
            mappingVersion: published.mappingVersion,
          },
        ],
      );
      dataflow.ids = { ...dataflow.ids, mappingVersion: published.mappingVersion };
      changed.push('mapping');
      details.mappingVersion = published.mappingVersion;
    }
    details.changed = changed;
    return { summary: `dataflow updated: ${changed.join(', ')}`, details };
  }

  async function setEnabled(enabled: boolean): Promise<WorkResult> {
    const result = await activities.setFlowEnabled.executeWithOptions(
      { ...changeOptions, summary: enabled ? 'resume: enable the flow' : 'pause: disable the flow' },
      [{ sandbox: state.dataflow.sandbox, flowId: state.dataflow.ids.flowId, enabled }],
    );
    state.paused = !enabled;
    return { summary: `flow ${enabled ? 'resumed' : 'paused'} (AEP state: ${result.flowState})`, details: result };
  }

  async function teardown(request: TeardownRequest): Promise<WorkResult> {
    const { ids, sandbox, name } = state.dataflow;
    const keepData = request.keepData === true;
    // Flow first: AEP refuses to delete a connection a flow still uses (FLOW-1418-400).
    const plan: Array<[DataflowResourceKind, string]> = [
      ['flow', ids.flowId],
      ['targetConnection', ids.targetConnectionId],
      ['sourceConnection', ids.sourceConnectionId],
      ['baseConnection', ids.baseConnectionId],
      ['mappingSet', ids.mappingSetId],
    ];
    if (!keepData) plan.push(['dataset', ids.datasetId], ['schema', ids.schemaAltId], ['fieldGroup', ids.fieldGroupId]);

    const deleted: string[] = [];
    const alreadyGone: string[] = [];
    const kept: string[] = keepData
      ? [`dataset ${ids.datasetId}`, `schema ${ids.schemaAltId}`, `fieldGroup ${ids.fieldGroupId}`]
      : [];
    for (const [kind, id] of plan) {
      // A field group still used by a schema we kept stays too.
      if (kind === 'fieldGroup' && kept.some((entry) => entry.startsWith('schema '))) {
        kept.push(`fieldGroup ${id} (its schema was kept)`);
        continue;
      }
      let result;
      try {
        result = await activities.deleteDataflowResource.executeWithOptions(
          { ...changeOptions, summary: `teardown: delete ${kind}` },
          [{ sandbox, dataflowName: name, kind, id }],
        );
      } catch (error) {
        throw ApplicationFailure.nonRetryable(
          `teardown stopped at ${kind} ${id}: ${failureMessage(error)} (deleted so far: ${deleted.join(', ') || 'nothing'})`,
          monitorActionFailedType,
        );
      }
      const label = `${kind} ${id}`;
      if (result.outcome === 'deleted') deleted.push(label);
      else if (result.outcome === 'already-gone') alreadyGone.push(label);
      else kept.push(`${label} (${result.reason ?? 'kept'})`);
    }
    state.tornDown = true;
    return {
      summary: `torn down: ${deleted.length} deleted, ${alreadyGone.length} already gone, ${kept.length} kept`,
      details: { deleted, alreadyGone, kept },
    };
  }

  async function perform(item: WorkItem): Promise<WorkResult> {
    const { action } = item;
    switch (action.kind) {
      case 'rotateToken':
        return rotate(action.request, 'on request');
      case 'autoRotateToken':
        return rotateAutomatically();
      case 'updateDataflow':
        return updateDataflow(action.request);
      case 'pause':
        return setEnabled(false);
      case 'resume':
        return setEnabled(true);
      case 'teardown':
        return teardown(action.request);
      case 'refresh':
        await pollRuns();
        return {
          summary: state.lastPollError ? `could not look at the runs: ${state.lastPollError}` : 'looked at the runs',
          details: { runs: state.lastRuns.length },
        };
    }
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
          const result = await perform(item);
          outcome = { ...base, ok: true, ...result, finishedAt: isoNow() };
        } catch (error) {
          outcome = { ...base, ok: false, summary: failureMessage(error), finishedAt: isoNow(), details: {} };
          log.warn('monitor action failed', { kind: item.action.kind, reason: outcome.summary });
          // Nobody waits for a signal's outcome: tell people through the alert path instead.
          if (item.source === 'signal') {
            await raise({
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

  function shouldContinueAsNew(): boolean {
    const info = workflowInfo();
    const threshold = input.continueAsNewAfterEvents;
    return info.continueAsNewSuggested || (threshold !== undefined && info.historyLength >= threshold);
  }

  function nextWakeAt(): number {
    const tokenEvent = nextTokenEventAt(state.token, leads(), canRotateAutomatically(state.dataflow), Date.now());
    return Math.min(state.nextPollAt, tokenEvent ?? Number.POSITIVE_INFINITY);
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
  publish();

  for (;;) {
    const sleepMs = nextWakeAt() - Date.now();
    if (sleepMs > 0) await condition(() => state.queue.length > 0 || shouldContinueAsNew(), sleepMs);

    await drainQueue();
    if (state.tornDown) break;
    if (Date.now() >= state.nextPollAt) await pollRuns();
    await attendToToken();
    await drainQueue();
    if (state.tornDown) break;
    publish();

    if (shouldContinueAsNew() && state.queue.length === 0) {
      // Let every update handler deliver its answer; new work arriving meanwhile is done before moving on.
      await condition(() => allHandlersFinished() || state.queue.length > 0);
      if (state.queue.length === 0) {
        state.generation += 1;
        return continueAsNew<typeof dataflowMonitor>({
          dataflow: state.dataflow,
          carriedState: state,
          ...(input.continueAsNewAfterEvents !== undefined
            ? { continueAsNewAfterEvents: input.continueAsNewAfterEvents }
            : {}),
          ...(input.runsPerPoll !== undefined ? { runsPerPoll: input.runsPerPoll } : {}),
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

/** Histories recorded before runs were paged hold a bare list of runs. */
function pageOf(result: RunPage | RunSummary[]): RunPage {
  return Array.isArray(result) ? { runs: result, more: false } : result;
}

function isoNow(): string {
  return new Date(Date.now()).toISOString();
}

/** The most useful line of a failure: an activity's own message rather than "Activity task failed". */
function failureMessage(error: unknown): string {
  if (error instanceof ActivityFailure && error.cause) return error.cause.message;
  if (error instanceof Error) return error.message;
  return String(error);
}
