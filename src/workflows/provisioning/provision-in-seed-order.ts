/**
 * How provisionDataflow ran before its steps became a dependency graph: every step in the seed's order, one after
 * the other, each looking up before it creates. Kept unchanged for provisionings that started on a release before
 * the graph (they replay this path: see the `provisioning-as-dependency-graph` patch in provision-dataflow.ts);
 * remove it with deprecatePatch once no such provisioning can still be running.
 */
import * as wf from '@temporalio/workflow';
import type { DataflowRef, ExistingResources } from '../../contracts/provisioning-activities';
import type { DataflowDescriptor, DataflowIds } from '../../contracts/dataflow-types';
import { provisioningSteps, stepNumber, stepTitle, type ProvisioningStepKey } from '../../contracts/provisioning-steps';
import { DataflowName, DataflowSandbox, DataflowStage } from '../../contracts/search-attributes';
import { resourceDescription } from '../../contracts/ownership-mark';
import { defaultStepRetryTimeout, provisioningActivities } from './activity-options';
import {
  describeAepFailure,
  failureDetails,
  formatDuration,
  messageOf,
  surveyFailure,
  usedUpRetryWindow,
} from './failure-causes';
import { mappingDestinations } from './mapping-destinations';
import { monitorDescriptor, startMonitor, type MonitorStart } from './monitor-start';
import {
  progressQuery,
  provisioningFailed,
  type ProvisionDataflowInput,
  type ProvisionDataflowResult,
  type ProvisioningFailure,
  type ProvisioningProgress,
  type StepProgress,
  type StepState,
} from '../../contracts/provisioning-messages';
import { describeSchedule, renderDetails } from '../../contracts/progress-details';

export async function provisionInSeedOrder(input: ProvisionDataflowInput): Promise<ProvisionDataflowResult> {
  const workflowId = wf.workflowInfo().workflowId;
  const dataflow: DataflowRef = {
    sandbox: input.sandbox,
    name: input.name,
    schemaTitle: input.target.schemaTitle,
    datasetName: input.target.datasetName,
  };
  const description = resourceDescription(input.sandbox, input.name, input.description);

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

  const activities = provisioningActivities(input.activityTiming);
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
    progress.failure = surveyFailure(error);
    progress.phase = 'failed';
    wf.upsertSearchAttributes([{ key: DataflowStage, value: 'failed:look-for-existing' }]);
    publish();
    throw provisioningFailed(progress.failure);
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
    throw provisioningFailed(failure, error);
  }

  const completeIds = ids as DataflowIds;
  let monitorId: string | undefined;
  const warnings: string[] = [];
  if (input.startMonitor ?? true) {
    progress.phase = 'starting-monitor';
    publish();
    // Everything is built: a cancel now must not leave the dataflow running unwatched.
    const monitor = await wf.CancellationScope.nonCancellable(() =>
      startMonitorAfterItsFeed(monitorDescriptor(input, completeIds, schedule)),
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
      (details?.detail !== undefined && details.step !== undefined ? describeAepFailure(details) : messageOf(error)) +
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

  async function startMonitorAfterItsFeed(descriptor: DataflowDescriptor): Promise<MonitorStart> {
    // The sandbox's run feed hands the monitor its runs: start it first (idempotent: one feed per sandbox).
    await activities.steps.ensureRunFeed.executeWithOptions(
      { startToCloseTimeout: '1m', retry: { maximumAttempts: 10 }, summary: 'make sure the run feed runs' },
      [{ sandbox: input.sandbox }],
    );
    return startMonitor(input, descriptor);
  }
}

// Worker versioning (README "Upgrading a running fleet"): a provisioning is PINNED, it finishes on the build that
// started it, however long its retries and rollback take; the monitor it starts on the same task queue begins on
// that build too and moves to the current one at its first continue-as-new. Only a versioned worker may name a
// behavior (the server refuses one from an unversioned worker: the dev server, `npm run demo`, the tests), hence
