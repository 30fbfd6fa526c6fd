/**
 * provisionDataflow: builds one OneTrust → AEP dataflow, step by step in the seed's order, as a saga.
 * Each step is one idempotent activity (it finds what an earlier attempt made before creating anything).
 * A step's compensation is registered before the step runs; on a failure that retries cannot fix (a refusal, or
 * a retryable failure that outlasts the step's retry window), the compensations run in reverse, shielded from
 * cancellation and retried patiently, and the workflow fails naming the step. A cancel waits for the running
 * step to finish, rolls back the same way, and ends the workflow as cancelled.
 * On success it starts the dataflow's monitor as an abandoned child and returns every id.
 */
import * as wf from '@temporalio/workflow';
import {
  ActivityCancellationType,
  DefaultFailureConverter,
  TimeoutType,
  WorkflowExecutionAlreadyStartedError,
  type Duration,
  type RetryPolicy,
} from '@temporalio/common';
import type { Activities, AepFailureDetails, DataflowRef, ExistingResources } from '../activities';
import type { DataflowDescriptor, DataflowIds, DataflowSchedule, MappingRule, OneTrustAccess } from './dataflow-types';
import { provisioningSteps, stepNumber, stepTitle, type ProvisioningStepKey } from './provisioning-steps';
import { DataflowName, DataflowSandbox, DataflowStage, DataflowState } from './search-attributes';
import { ownershipMark } from '../dataflow/ownership-mark';
import { forWebUi } from './web-ui-markdown';
import { monitorWorkflowId } from './workflow-ids';

// ---- Input, result, progress ---------------------------------------------------------------------------------

export interface ProvisionDataflowInput {
  sandbox: string;
  name: string;
  description?: string;
  /** The token is sealed: only the worker can open it. */
  oneTrust: OneTrustAccess;
  target: { schemaTitle: string; datasetName: string };
  /** Destinations may use the `{TENANT_ID}` placeholder, filled in at the mapping step. */
  mapping: MappingRule[];
  schedule: DataflowSchedule;
  /** The spec gave no start time: the dataflow step may move it forward if it is about to pass. */
  startTimeIsDefault?: boolean;
  alerts?: { webhookUrl: string };
  monitor?: { pollInterval?: string; tokenWarnings?: string[] };
  /** Start the monitor on success (default true). */
  startMonitor?: boolean;
  /** The task queue monitors run on (MONITOR_TASK_QUEUE; default: this workflow's own). */
  monitorTaskQueue?: string;
  /** Retry and timeout tuning (tests shorten them). */
  activityTiming?: ActivityTiming;
}

export interface ActivityTiming {
  /** First wait between two attempts (it doubles each time). Default 1s. */
  initialInterval?: Duration;
  /** Longest wait between two attempts of a step. Default 30s. */
  maximumInterval?: Duration;
  /** One attempt's time limit. Default 2m. */
  startToCloseTimeout?: Duration;
  /**
   * How long a step keeps retrying what may succeed later (429 after its Retry-After, 5xx, network) before
   * provisioning rolls back. Bounded by time, not attempts, so a long throttle does not undo the dataflow. Default 10m.
   */
  stepRetryTimeout?: Duration;
  /** Longest wait between two attempts of a compensation (a delete during rollback). Default 5m. */
  compensationMaximumInterval?: Duration;
  /** How long a compensation keeps retrying before its resource is reported as left behind. Default 24h. */
  compensationRetryTimeout?: Duration;
}

export interface ProvisionDataflowResult {
  workflowId: string;
  sandbox: string;
  name: string;
  ids: DataflowIds;
  schedule: DataflowSchedule;
  tenantId: string;
  monitorWorkflowId?: string;
  /** Steps whose resource this run created, and those it found already there. */
  created: ProvisioningStepKey[];
  reused: ProvisioningStepKey[];
  /** Nothing was created: the dataflow existed already. */
  alreadyExisted: boolean;
  /** Things the user must act on although provisioning succeeded (e.g. a monitor watching other ids). */
  warnings?: string[];
}

export type StepState = 'pending' | 'running' | 'done' | 'reused' | 'failed' | 'rolled-back' | 'rollback-failed';

export interface StepProgress {
  key: ProvisioningStepKey;
  title: string;
  state: StepState;
  /** Resource ids the step produced, e.g. { baseConnectionId: '…' }. */
  resources: Record<string, string | number>;
  note?: string;
}

/** One change of a step's state, in the order they happened (the CLI prints these, so none is skipped). */
export interface StepTransition {
  key: ProvisioningStepKey;
  state: StepState;
  resources: Record<string, string | number>;
  note?: string;
}

export interface ProvisioningFailure extends Partial<AepFailureDetails> {
  /** The failed step; `look-for-existing` (step number 0) when the survey before step 1 failed. */
  step: ProvisioningStepKey | 'look-for-existing';
  stepNumber: number;
  stepTitle: string;
  /** The complete message, as the workflow failure carries it. */
  message: string;
  /** Resources the compensation deleted, and any it could not. */
  rolledBack: string[];
  leftBehind: string[];
}

export type ProvisioningPhase =
  'looking-for-existing' | 'provisioning' | 'compensating' | 'starting-monitor' | 'succeeded' | 'failed' | 'cancelled';

export interface ProvisioningProgress {
  workflowId: string;
  sandbox: string;
  name: string;
  phase: ProvisioningPhase;
  steps: StepProgress[];
  transitions: StepTransition[];
  ids: Partial<DataflowIds>;
  failure?: ProvisioningFailure;
  monitorWorkflowId?: string;
  warnings?: string[];
}

/** Live progress for the CLI and tests (the Web UI shows the same as current details). */
export const progressQuery = wf.defineQuery<ProvisioningProgress>('progress');

export const provisioningFailureType = 'ProvisioningFailed';

// ---- Workflow --------------------------------------------------------------------------------------------------

export async function provisionDataflow(input: ProvisionDataflowInput): Promise<ProvisionDataflowResult> {
  const workflowId = wf.workflowInfo().workflowId;
  const dataflow: DataflowRef = {
    sandbox: input.sandbox,
    name: input.name,
    schemaTitle: input.target.schemaTitle,
    datasetName: input.target.datasetName,
  };
  const description = `OneTrust consent dataflow "${input.name}"${input.description ? `: ${input.description}` : ''} ${ownershipMark(input.sandbox, input.name)}`;

  const progress: ProvisioningProgress = {
    workflowId,
    sandbox: input.sandbox,
    name: input.name,
    phase: 'looking-for-existing',
    steps: provisioningSteps.map((step) => ({ key: step.key, title: step.title, state: 'pending', resources: {} })),
    transitions: [],
    ids: {},
  };
  wf.setHandler(progressQuery, () => progress);
  const stepOf = (key: ProvisioningStepKey): StepProgress => progress.steps.find((step) => step.key === key)!;
  const publish = () => wf.setCurrentDetails(renderDetails(progress));
  const moveStep = (step: StepProgress, state: StepState) => {
    step.state = state;
    progress.transitions.push({
      key: step.key,
      state,
      resources: { ...step.resources },
      ...(step.note ? { note: step.note } : {}),
    });
  };

  wf.upsertSearchAttributes([
    { key: DataflowSandbox, value: input.sandbox },
    { key: DataflowName, value: input.name },
    { key: DataflowStage, value: 'looking-for-existing' },
  ]);
  publish();

  const activities = proxies(input.activityTiming);
  let existing: ExistingResources;
  try {
    existing = await activities.steps.findExistingResources.executeWithOptions(
      { summary: 'look for resources this dataflow already has' },
      [{ dataflow }],
    );
  } catch (error) {
    // Nothing was created yet, so there is nothing to roll back; a cancel ends the workflow as cancelled.
    if (wf.isCancellation(error)) {
      progress.phase = 'cancelled';
      wf.upsertSearchAttributes([{ key: DataflowStage, value: 'cancelled:look-for-existing' }]);
      publish();
      throw error;
    }
    const details = failureDetails(error);
    const message = `Provisioning failed before step 1 (looking for existing resources): ${details ? describe(details) : messageOf(error)}`;
    progress.failure = {
      ...details,
      step: 'look-for-existing',
      stepNumber: 0,
      stepTitle: 'Look for existing resources',
      message,
      rolledBack: [],
      leftBehind: [],
    };
    progress.phase = 'failed';
    wf.upsertSearchAttributes([{ key: DataflowStage, value: 'failed:look-for-existing' }]);
    publish();
    throw wf.ApplicationFailure.create({
      type: provisioningFailureType,
      message,
      nonRetryable: true,
      details: [progress.failure],
    });
  }

  const ids: Partial<DataflowIds> = progress.ids;
  const created: ProvisioningStepKey[] = [];
  const reused: ProvisioningStepKey[] = [];
  let tenantId = '';
  let schedule = input.schedule;
  let current: ProvisioningStepKey = 'base-connection';

  /** Undo actions, newest first. Each is registered before its step: the step may create and then fail. */
  const compensations: Array<{ step: ProvisioningStepKey; undo: () => Promise<string[]> }> = [];
  const compensate = (step: ProvisioningStepKey, alreadyThere: boolean, undo: () => Promise<{ deleted: string[] }>) => {
    // What existed before this run is not ours to delete (an earlier provisioning, a shared schema).
    if (!alreadyThere) compensations.unshift({ step, undo: async () => (await undo()).deleted });
  };

  const runStep = async <T>(
    key: ProvisioningStepKey,
    work: (summary: string) => Promise<T>,
    record: (result: T) => { resources: Record<string, string | number>; existedBefore?: boolean; note?: string },
  ): Promise<T> => {
    current = key;
    const step = stepOf(key);
    moveStep(step, 'running');
    progress.phase = 'provisioning';
    wf.upsertSearchAttributes([{ key: DataflowStage, value: key }]);
    publish();
    const result = await work(
      `step ${stepNumber(key)}/${provisioningSteps.length}: ${stepTitle(key)} for ${input.name}`,
    );
    const recorded = record(result);
    step.resources = recorded.resources;
    if (recorded.note) step.note = recorded.note;
    // Judged against the survey, not the activity's answer: a retried create finds what its lost attempt made.
    if (recorded.existedBefore === undefined || !recorded.existedBefore) {
      moveStep(step, 'done');
      if (recorded.existedBefore === false) created.push(key);
    } else {
      moveStep(step, 'reused');
      reused.push(key);
    }
    publish();
    // A cancel that arrived while the step ran waited for it to finish (its resource is recorded above):
    // roll back from here rather than build more, or start a monitor, for a cancelled provisioning.
    const scope = wf.CancellationScope.current();
    if (scope.consideredCancelled) await scope.cancelRequested;
    return result;
  };

  const { steps, rollbackSteps } = activities;
  try {
    compensate('base-connection', existing.baseConnectionId !== undefined, () =>
      rollbackSteps.deleteBaseConnection({ dataflow, baseConnectionId: ids.baseConnectionId }),
    );
    await runStep(
      'base-connection',
      (summary) =>
        steps.ensureBaseConnection.executeWithOptions({ summary }, [
          { dataflow, token: input.oneTrust.token, description },
        ]),
      (result) => {
        ids.baseConnectionId = result.baseConnectionId;
        return {
          resources: { baseConnectionId: result.baseConnectionId },
          existedBefore: existing.baseConnectionId !== undefined,
        };
      },
    );

    const attributeSources = input.mapping.filter((rule) => rule.sourceType === 'ATTRIBUTE').map((rule) => rule.source);
    await runStep(
      'explore-preview',
      (summary) =>
        steps.checkExplorePreview.executeWithOptions({ summary }, [
          { dataflow, baseConnectionId: ids.baseConnectionId!, mappingSources: attributeSources },
        ]),
      (preview) => ({
        resources: { format: preview.format, previewRecords: preview.previewRecords },
        note: `token accepted; ${preview.previewRecords} preview record(s) with the mapped fields`,
      }),
    );

    compensate('source-connection', existing.sourceConnectionId !== undefined, () =>
      rollbackSteps.deleteSourceConnection({ dataflow, sourceConnectionId: ids.sourceConnectionId }),
    );
    await runStep(
      'source-connection',
      (summary) =>
        steps.ensureSourceConnection.executeWithOptions({ summary }, [
          { dataflow, baseConnectionId: ids.baseConnectionId!, description },
        ]),
      (result) => {
        ids.sourceConnectionId = result.sourceConnectionId;
        return {
          resources: { sourceConnectionId: result.sourceConnectionId },
          existedBefore: existing.sourceConnectionId !== undefined,
        };
      },
    );

    compensate('target-schema', existing.schemaId !== undefined && existing.fieldGroupId !== undefined, () =>
      rollbackSteps.deleteTargetSchema({
        dataflow,
        removeSchema: existing.schemaId === undefined,
        removeFieldGroup: existing.fieldGroupId === undefined && existing.schemaId === undefined,
        schemaId: ids.schemaAltId,
        fieldGroupId: ids.fieldGroupId,
      }),
    );
    const { tenantFields, classFields } = mappingDestinations(input.mapping);
    await runStep(
      'target-schema',
      (summary) =>
        steps.ensureTargetSchema.executeWithOptions({ summary }, [
          { dataflow, description, tenantFields, classFields },
        ]),
      (result) => {
        tenantId = result.tenantId;
        ids.fieldGroupId = result.fieldGroupId;
        ids.schemaId = result.schemaId;
        ids.schemaAltId = result.schemaAltId;
        return {
          resources: { fieldGroupId: result.fieldGroupId, schemaId: result.schemaId },
          existedBefore: existing.schemaId !== undefined,
          note: `tenant _${result.tenantId}`,
        };
      },
    );

    compensate('dataset', existing.datasetId !== undefined, () =>
      rollbackSteps.deleteDataset({ dataflow, datasetId: ids.datasetId }),
    );
    await runStep(
      'dataset',
      (summary) =>
        steps.ensureDataset.executeWithOptions({ summary }, [{ dataflow, schemaId: ids.schemaId!, description }]),
      (result) => {
        ids.datasetId = result.datasetId;
        return { resources: { datasetId: result.datasetId }, existedBefore: existing.datasetId !== undefined };
      },
    );

    compensate('target-connection', existing.targetConnectionId !== undefined, () =>
      rollbackSteps.deleteTargetConnection({ dataflow, targetConnectionId: ids.targetConnectionId }),
    );
    await runStep(
      'target-connection',
      (summary) =>
        steps.ensureTargetConnection.executeWithOptions({ summary }, [
          { dataflow, datasetId: ids.datasetId!, description },
        ]),
      (result) => {
        ids.targetConnectionId = result.targetConnectionId;
        return {
          resources: { targetConnectionId: result.targetConnectionId },
          existedBefore: existing.targetConnectionId !== undefined,
        };
      },
    );

    compensate('mapping-set', existing.mappingSetId !== undefined, () =>
      rollbackSteps.deleteMappingSet({ dataflow, mappingSetId: ids.mappingSetId }),
    );
    await runStep(
      'mapping-set',
      (summary) =>
        steps.ensureMappingSet.executeWithOptions({ summary }, [
          { dataflow, schemaId: ids.schemaId!, tenantId, mapping: input.mapping, description },
        ]),
      (result) => {
        ids.mappingSetId = result.mappingSetId;
        ids.mappingVersion = result.mappingVersion;
        return {
          resources: { mappingSetId: result.mappingSetId, mappingVersion: result.mappingVersion },
          existedBefore: existing.mappingSetId !== undefined,
        };
      },
    );

    compensate('dataflow', existing.flowId !== undefined, () =>
      rollbackSteps.deleteDataflow({ dataflow, flowId: ids.flowId }),
    );
    await runStep(
      'dataflow',
      (summary) =>
        steps.ensureDataflow.executeWithOptions({ summary }, [
          {
            dataflow,
            description,
            sourceConnectionId: ids.sourceConnectionId!,
            targetConnectionId: ids.targetConnectionId!,
            mappingSetId: ids.mappingSetId!,
            mappingVersion: ids.mappingVersion!,
            schedule: input.schedule,
            startTimeIsDefault: input.startTimeIsDefault ?? false,
          },
        ]),
      (result) => {
        ids.flowId = result.flowId;
        schedule = result.schedule;
        return {
          resources: { flowId: result.flowId },
          existedBefore: existing.flowId !== undefined,
          note: describeSchedule(result.schedule),
        };
      },
    );
  } catch (error) {
    const failure = await rollBack(error);
    // A cancelled provisioning ends as cancelled (after its rollback), not as failed.
    if (wf.isCancellation(error)) throw error;
    throw wf.ApplicationFailure.create({
      type: provisioningFailureType,
      message: failure.message,
      nonRetryable: true,
      details: [failure],
      cause: error instanceof Error ? error : undefined,
    });
  }

  const completeIds = ids as DataflowIds;
  let monitorId: string | undefined;
  const warnings: string[] = [];
  if (input.startMonitor ?? true) {
    progress.phase = 'starting-monitor';
    publish();
    // Everything is built: a cancel now must not leave the dataflow running unwatched.
    const monitor = await wf.CancellationScope.nonCancellable(() =>
      startMonitor({
        sandbox: input.sandbox,
        name: input.name,
        ids: completeIds,
        schedule,
        oneTrust: input.oneTrust,
        ...(input.alerts ? { alerts: input.alerts } : {}),
        ...(input.monitor ? { monitor: input.monitor } : {}),
      }),
    );
    monitorId = monitor.workflowId;
    progress.monitorWorkflowId = monitorId;
    // A monitor cannot be told new ids, and workflow code cannot restart it: say so instead of hiding it.
    if (monitor.alreadyRunning && created.length > 0) {
      warnings.push(
        `monitor ${monitorId} was already running and still watches the ids it started with, not those of what ` +
          `this run re-created (${created.map((key) => stepTitle(key).toLowerCase()).join(', ')}): ` +
          `terminate that monitor and provision again, or tear the dataflow down`,
      );
      progress.warnings = warnings;
    }
  }

  progress.phase = 'succeeded';
  wf.upsertSearchAttributes([{ key: DataflowStage, value: 'done' }]);
  publish();
  return {
    workflowId,
    sandbox: input.sandbox,
    name: input.name,
    ids: completeIds,
    schedule,
    tenantId,
    ...(monitorId ? { monitorWorkflowId: monitorId } : {}),
    created,
    reused,
    alreadyExisted: created.length === 0,
    ...(warnings.length > 0 ? { warnings } : {}),
  };

  /** Runs every registered compensation, newest first, even if the workflow is being cancelled. */
  async function rollBack(error: unknown): Promise<ProvisioningFailure> {
    const failedStep = stepOf(current);
    const details = failureDetails(error);
    const cancelled = wf.isCancellation(error);
    const retryWindow = formatDuration(input.activityTiming?.stepRetryTimeout ?? defaultStepRetryTimeout);
    const cause =
      (details?.detail !== undefined && details.step !== undefined ? describe(details) : messageOf(error)) +
      (usedUpRetryWindow(error) ? ` (still failing after retrying for ${retryWindow})` : '');
    const message = cancelled
      ? `Provisioning was cancelled at step ${stepNumber(current)} of ${provisioningSteps.length} (${stepTitle(current)})`
      : `Provisioning failed at step ${stepNumber(current)} of ${provisioningSteps.length} (${stepTitle(current)}): ${cause}`;
    // A cancel that waited for its step to finish leaves that step done: its compensation marks it rolled back.
    if (failedStep.state === 'running') {
      failedStep.note = cancelled ? 'cancelled' : cause;
      moveStep(failedStep, 'failed');
    }
    const failure: ProvisioningFailure = {
      ...details,
      step: current,
      stepNumber: stepNumber(current),
      stepTitle: stepTitle(current),
      message,
      rolledBack: [],
      leftBehind: [],
    };
    progress.failure = failure;
    progress.phase = 'compensating';
    wf.upsertSearchAttributes([{ key: DataflowStage, value: `compensating:${current}` }]);
    publish();

    await wf.CancellationScope.nonCancellable(async () => {
      for (const compensation of compensations) {
        const label = stepTitle(compensation.step).toLowerCase();
        const step = stepOf(compensation.step);
        try {
          const deleted = await compensation.undo();
          failure.rolledBack.push(...deleted.map((id) => `${label} ${id}`));
          if (step.state !== 'failed') moveStep(step, 'rolled-back');
        } catch (undoError) {
          failure.leftBehind.push(`${label}: ${messageOf(undoError)}`);
          moveStep(step, 'rollback-failed');
          wf.log.error('compensation failed', { step: compensation.step, error: messageOf(undoError) });
        }
        publish();
      }
    });
    progress.phase = cancelled ? 'cancelled' : 'failed';
    wf.upsertSearchAttributes([{ key: DataflowStage, value: `${progress.phase}:${current}` }]);
    publish();
    return failure;
  }

  async function startMonitor(
    descriptor: DataflowDescriptor,
  ): Promise<{ workflowId: string; alreadyRunning: boolean }> {
    const childId = monitorWorkflowId(input.sandbox, input.name);
    // The sandbox's run feed hands the monitor its runs: start it first (idempotent: one feed per sandbox).
    await activities.steps.ensureRunFeed.executeWithOptions(
      { startToCloseTimeout: '1m', retry: { maximumAttempts: 10 }, summary: 'make sure the run feed runs' },
      [{ sandbox: input.sandbox }],
    );
    try {
      await wf.startChild('dataflowMonitor', {
        workflowId: childId,
        ...(input.monitorTaskQueue ? { taskQueue: input.monitorTaskQueue } : {}),
        args: [{ dataflow: descriptor }],
        parentClosePolicy: wf.ParentClosePolicy.ABANDON,
        typedSearchAttributes: [
          { key: DataflowSandbox, value: input.sandbox },
          { key: DataflowName, value: input.name },
          { key: DataflowState, value: 'healthy' },
        ],
        staticSummary: `OneTrust dataflow ${input.name} in sandbox ${input.sandbox}`,
      });
    } catch (error) {
      // Provisioning the same spec again: its monitor is already watching the dataflow.
      if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
      return { workflowId: childId, alreadyRunning: true };
    }
    return { workflowId: childId, alreadyRunning: false };
  }
}

// Worker versioning (README "Upgrading a running fleet"): a provisioning is PINNED, it finishes on the build that
// started it, however long its retries and rollback take; the monitor it starts on the same task queue begins on
// that build too and moves to the current one at its first continue-as-new. Only a versioned worker may name a
// behavior (the server refuses one from an unversioned worker: the dev server, `npm run demo`, the tests), hence
// the getter (see dataflow-monitor.ts).
wf.setWorkflowOptions(
  () => (wf.workflowInfo().currentDeploymentVersion?.deploymentName ? { versioningBehavior: 'PINNED' } : {}),
  provisionDataflow,
);

// ---- Helpers (pure, deterministic) ----------------------------------------------------------------------------

function proxies(timing: ActivityTiming = {}) {
  const initialInterval = timing.initialInterval ?? '1s';
  const startToCloseTimeout = timing.startToCloseTimeout ?? '2m';
  // No attempt limit on either: what may succeed later is bounded by time; AEP's refusals (non-retryable
  // failures) stop at once.
  const stepRetry: RetryPolicy = {
    initialInterval,
    backoffCoefficient: 2,
    maximumInterval: timing.maximumInterval ?? '30s',
  };
  const compensationRetry: RetryPolicy = {
    initialInterval,
    backoffCoefficient: 2,
    maximumInterval: timing.compensationMaximumInterval ?? '5m',
  };
  return {
    steps: wf.proxyActivities<Activities>({
      startToCloseTimeout,
      scheduleToCloseTimeout: timing.stepRetryTimeout ?? defaultStepRetryTimeout,
      retry: stepRetry,
      // A cancel waits for a running create to finish, so the rollback that follows can find what it made.
      cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
    }),
    /** Rollback deletes: patient, so an AEP outage delays the rollback instead of leaving orphans. */
    rollbackSteps: wf.proxyActivities<Activities>({
      startToCloseTimeout,
      scheduleToCloseTimeout: timing.compensationRetryTimeout ?? '24h',
      retry: compensationRetry,
    }),
  };
}

const defaultStepRetryTimeout = '10m';

/**
 * The step kept failing with retryable errors until its retry window closed. Steps have no attempt limit, so a
 * retryable failure can only end one that way: the server reports either the schedule-to-close timeout (it fired
 * during an attempt or a backoff) or the last attempt's own retryable failure (the next retry would have started
 * past the window).
 */
function usedUpRetryWindow(error: unknown): boolean {
  let cause: unknown = error;
  while (cause instanceof wf.TemporalFailure) {
    if (cause instanceof wf.TimeoutFailure && cause.timeoutType === TimeoutType.SCHEDULE_TO_CLOSE) return true;
    if (cause instanceof wf.ApplicationFailure) return !cause.nonRetryable;
    cause = causeOf(cause);
  }
  return false;
}

function formatDuration(duration: Duration): string {
  return typeof duration === 'number' ? `${duration} ms` : duration;
}

/** Splits mapping destinations into tenant field paths and class fields, for the schema-fit check. */
function mappingDestinations(mapping: MappingRule[]): { tenantFields: string[]; classFields: string[] } {
  const tenantFields = new Set<string>();
  const classFields = new Set<string>();
  for (const rule of mapping) {
    const match = /^_([^.]+)\.(.+)$/.exec(rule.destination);
    if (match) tenantFields.add(match[2] as string);
    else classFields.add(rule.destination);
  }
  return { tenantFields: [...tenantFields], classFields: [...classFields] };
}

function failureDetails(error: unknown): AepFailureDetails | undefined {
  let cause: unknown = error;
  while (cause instanceof wf.TemporalFailure) {
    if (cause instanceof wf.ApplicationFailure) {
      const first = cause.details?.[0];
      if (typeof first === 'object' && first !== null && 'step' in first) return first as AepFailureDetails;
    }
    cause = causeOf(cause);
  }
  return undefined;
}

/**
 * An error's cause. A step that used up its retry window fails with a TimeoutFailure whose cause (the last
 * attempt's failure, e.g. AEP's 503) the SDK leaves unconverted in the raw failure: convert it here.
 */
function causeOf(error: Error): unknown {
  const cause = (error as { cause?: unknown }).cause;
  if (cause !== undefined || !(error instanceof wf.TimeoutFailure) || !error.failure?.cause) return cause;
  return lastAttemptFailureConverter.failureToError(error.failure.cause, wf.defaultPayloadConverter);
}

const lastAttemptFailureConverter = new DefaultFailureConverter();

function describe(details: AepFailureDetails): string {
  const head = [details.status !== undefined ? `HTTP ${details.status}` : undefined, details.code]
    .filter(Boolean)
    .join(' ');
  return `${head ? `${head}: ` : ''}${details.detail}`;
}

/** The innermost useful message (an ActivityFailure's own message is just "Activity task failed"). */
function messageOf(error: unknown): string {
  let cause: unknown = error;
  let message = error instanceof Error ? error.message : String(error);
  while (cause instanceof Error) {
    if (!(cause instanceof wf.ActivityFailure) && cause.message) message = cause.message;
    cause = causeOf(cause);
  }
  return message;
}

export function describeSchedule(schedule: DataflowSchedule): string {
  const start = new Date(schedule.startTime * 1000).toISOString();
  return schedule.frequency === 'once'
    ? `runs once at ${start}`
    : `every ${schedule.interval} ${schedule.frequency}(s) from ${start}`;
}

/** Plain symbols (not emoji) so the checklist reads the same in every browser font. */
const stateMarks: Record<StepState, [symbol: string, word: string]> = {
  pending: ['☐', 'pending'],
  running: ['▶', '**running**'],
  done: ['☑', 'created'],
  reused: ['☑', 'already there'],
  failed: ['☒', '**failed**'],
  'rolled-back': ['↩', 'rolled back'],
  'rollback-failed': ['⚠', '**rollback failed**'],
};

/** Markdown for the Web UI's "Current details": a checklist of the steps, their state and their resource ids. */
/** Long XDM `$id` URLs overflow the Web UI's details pane: show their kind and a prefix of the hash. */
function shortForDisplay(value: string | number): string {
  const text = String(value);
  const xdmId = /^https:\/\/ns\.adobe\.com\/[^/]+\/(\w+)\/(\w{12})\w*$/.exec(text);
  return xdmId ? `${xdmId[1]}/${xdmId[2]}…` : text;
}

export function renderDetails(progress: ProvisioningProgress): string {
  const headline: Record<ProvisioningPhase, string> = {
    'looking-for-existing': 'looking for resources that already exist',
    provisioning: 'provisioning',
    compensating: 'failed, rolling back what this run created',
    'starting-monitor': 'starting the monitor',
    succeeded: 'provisioned',
    failed: 'failed and rolled back',
    cancelled: 'cancelled and rolled back',
  };
  const lines = [
    `### OneTrust dataflow \`${progress.name}\` in sandbox \`${progress.sandbox}\`: ${headline[progress.phase]}`,
    '',
  ];
  progress.steps.forEach((step, index) => {
    const [symbol, word] = stateMarks[step.state];
    const outcome = step.key === 'explore-preview' && step.state === 'done' ? 'checked' : word;
    const resources = Object.entries(step.resources)
      .map(([key, value]) => `${key} \`${shortForDisplay(value)}\``)
      .join(', ');
    const title = step.state === 'running' ? `**${step.title}**` : step.title;
    lines.push(
      `${index + 1}. ${symbol} ${title}: ${outcome}` +
        `${resources ? ` · ${resources}` : ''}${step.note ? ` · ${step.note}` : ''}`,
    );
  });
  if (progress.failure) {
    lines.push('', `**Failure:** ${progress.failure.message}`);
    if (progress.failure.rolledBack.length > 0) {
      lines.push('', `Rolled back: ${progress.failure.rolledBack.join('; ')}`);
    }
    if (progress.failure.leftBehind.length > 0)
      lines.push('', `**Left behind:** ${progress.failure.leftBehind.join('; ')}`);
  }
  if (progress.monitorWorkflowId) lines.push('', `Monitor: \`${progress.monitorWorkflowId}\``);
  for (const warning of progress.warnings ?? []) lines.push('', `**Warning:** ${warning}`);
  return forWebUi(lines);
}
