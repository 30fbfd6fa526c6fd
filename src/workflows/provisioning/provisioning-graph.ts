/**
 * The provisioning steps as a dependency graph, described once: what each step needs, how it runs and how it is
 * undone. The seed runs them in one line, but they form two branches that meet at the dataflow:
 *
 *   base connection → explore preview ─────────────────────┐
 *                   → source connection ───────────────────┤
 *   target schema → dataset → target connection ───────────┼→ dataflow
 *                 └→ mapping set ──────────────────────────┘
 *
 * The schema branch is the longest (five AEP calls one after another), so it starts at once, beside the survey:
 * schema and field group titles are unique, so they are made first and looked up only when AEP says the title is
 * taken. Every other step waits for the survey. The source connection is made beside the explore preview: if
 * OneTrust refuses the token, the preview fails, the source connection's create is waited for and rolled back.
 *
 * Provisionings started before this shape (`shorterCriticalPath` false) replay the earlier one: the schema after
 * the survey, the source connection after the preview. Since `datasetWithTargetConnection`, one activity makes the
 * dataset and then its target connection: the checklist still shows two steps, the second done when the first is.
 */
import type { DataflowRef, ExistingResources } from '../../contracts/provisioning-activities';
import type { DataflowIds, DataflowSchedule } from '../../contracts/dataflow-types';
import type { ProvisioningStepKey } from '../../contracts/provisioning-steps';
import type { Priority } from '@temporalio/common';
import type { provisioningActivities } from './activity-options';
import { mappingDestinations } from './mapping-destinations';
import type { ProvisionDataflowInput } from '../../contracts/provisioning-messages';
import { describeSchedule } from '../../contracts/progress-details';

/** What every step reads, and what they build together. */
export interface StepContext {
  /** The graph above; false for provisionings started before it (they replay the earlier shape). */
  shorterCriticalPath: boolean;
  /** The dataset step's activity makes the target connection too; false for provisionings started before. */
  datasetWithTargetConnection: boolean;
  /** When the workflow run started (epoch ms): what AEP made since then, with this dataflow's mark, is this run's. */
  runStartedAtMs: number;
  input: ProvisionDataflowInput;
  dataflow: DataflowRef;
  /** The description every resource carries, with the dataflow's ownership mark. */
  description: string;
  /** What the survey before the first step found. */
  existing: ExistingResources;
  ids: Partial<DataflowIds>;
  built: {
    tenantId: string;
    schedule: DataflowSchedule;
    /** What the target schema step made, as it said (the schema is not surveyed on the shorter path). */
    targetSchemaMade?: { schema: boolean; fieldGroup: boolean };
    /** Whether the dataflow step's activity told the monitor started beside it its flow. */
    monitorTold?: boolean;
  };
  /** The monitor started before the flow, which the dataflow step's activity tells every id (monitor-start.ts). */
  monitorToTell?: string;
  activities: ReturnType<typeof provisioningActivities>;
}

export interface StepOutcome {
  /** Resource ids (or facts) the step produced, shown in the checklist. */
  resources: Record<string, string | number>;
  note?: string;
  /** Whether the resource was there before the run, when the step tells it instead of the survey. */
  foundBefore?: boolean;
  /** Whose the resource it found is, when another dataflow's ("prod/consent"). */
  owner?: string;
  /** What the step's activity made for the step made with it (`madeWith`). */
  alsoMade?: { resources: Record<string, string | number> };
}

/** What a step's activity is scheduled with: the checklist's summary, and its place in a backlogged queue. */
export interface StepActivityOptions {
  summary: string;
  priority: Priority;
}

export interface ProvisioningStep {
  key: ProvisioningStepKey;
  /** Steps whose resources this one needs; it starts as soon as all of them are done. */
  needs: readonly ProvisioningStepKey[];
  /** What the step needed in provisionings started before the shorter critical path, when that differs. */
  neededBeforeShorterPath?: readonly ProvisioningStepKey[];
  /** Starts without waiting for the survey (on the shorter critical path): it tells what it found itself. */
  startsBeforeSurvey?: boolean;
  /**
   * The step whose activity makes this step's resource too, when `datasetWithTargetConnection`: this step has no
   * activity of its own; its rollback is registered when that one starts, it shows done when that one's activity
   * is, and a failure of that activity in this step's part is this step's failure.
   */
  madeWith?: ProvisioningStepKey;
  /**
   * The survey found this step's resource: it is reused, and neither created nor deleted by this run. Absent for
   * a step that builds nothing (the explore preview).
   */
  foundBefore?: (existing: ExistingResources) => boolean;
  /** The survey found something the create must look at first (default: foundBefore). */
  surveyFoundAny?: (existing: ExistingResources) => boolean;
  run: (
    context: StepContext,
    call: {
      options: StepActivityOptions;
      lookFirst: boolean;
      /** The same, for the step whose resource this step's activity makes too (`madeWith`). */
      lookFirstForMadeWith?: boolean;
    },
  ) => Promise<StepOutcome>;
  /** Deletes what the step may have made; registered before the step runs, since it may create and then fail. */
  undo?: (context: StepContext) => Promise<{ deleted: string[]; keptFor?: Record<string, string> }>;
}

/** In the seed's order: the checklist, the CLI and "step k of 8" follow this order, not the order of completion. */
export const provisioningGraph: readonly ProvisioningStep[] = [
  {
    key: 'base-connection',
    needs: [],
    foundBefore: (existing) => existing.baseConnectionId !== undefined,
    async run(context, { options, lookFirst }) {
      const { dataflow, description, input, ids } = context;
      const result = await context.activities.steps.ensureBaseConnection.executeWithOptions(options, [
        {
          dataflow,
          token: input.oneTrust.token,
          description,
          lookFirst,
        },
      ]);
      ids.baseConnectionId = result.baseConnectionId;
      return { resources: { baseConnectionId: result.baseConnectionId } };
    },
    undo: ({ activities, dataflow, ids }) =>
      activities.rollbackSteps.deleteBaseConnection({ dataflow, baseConnectionId: ids.baseConnectionId }),
  },
  {
    key: 'explore-preview',
    needs: ['base-connection'],
    async run(context, { options }) {
      const { dataflow, input, ids } = context;
      const mappingSources = input.mapping.filter((rule) => rule.sourceType === 'ATTRIBUTE').map((rule) => rule.source);
      const preview = await context.activities.steps.checkExplorePreview.executeWithOptions(options, [
        {
          dataflow,
          baseConnectionId: ids.baseConnectionId!,
          mappingSources,
        },
      ]);
      return {
        resources: { format: preview.format, previewRecords: preview.previewRecords },
        note: `token accepted; ${preview.previewRecords} preview record(s) with the mapped fields`,
      };
    },
  },
  {
    key: 'source-connection',
    needs: ['base-connection'],
    neededBeforeShorterPath: ['explore-preview'],
    foundBefore: (existing) => existing.sourceConnectionId !== undefined,
    async run(context, { options, lookFirst }) {
      const { dataflow, description, ids } = context;
      const result = await context.activities.steps.ensureSourceConnection.executeWithOptions(options, [
        {
          dataflow,
          baseConnectionId: ids.baseConnectionId!,
          description,
          lookFirst,
        },
      ]);
      ids.sourceConnectionId = result.sourceConnectionId;
      return { resources: { sourceConnectionId: result.sourceConnectionId } };
    },
    undo: ({ activities, dataflow, ids }) =>
      activities.rollbackSteps.deleteSourceConnection({ dataflow, sourceConnectionId: ids.sourceConnectionId }),
  },
  {
    key: 'target-schema',
    needs: [],
    startsBeforeSurvey: true,
    foundBefore: (existing) => existing.schemaId !== undefined,
    surveyFoundAny: (existing) => existing.schemaId !== undefined || existing.fieldGroupId !== undefined,
    async run(context, { options, lookFirst }) {
      const { dataflow, description, input, ids, built, shorterCriticalPath, runStartedAtMs } = context;
      const { tenantFields, classFields } = mappingDestinations(input.mapping);
      const result = await context.activities.steps.ensureTargetSchema.executeWithOptions(options, [
        {
          dataflow,
          description,
          tenantFields,
          classFields,
          ...(shorterCriticalPath ? { lookFirst: false, runStartedAtMs } : { lookFirst }),
        },
      ]);
      built.tenantId = result.tenantId;
      ids.fieldGroupId = result.fieldGroupId;
      ids.schemaId = result.schemaId;
      ids.schemaAltId = result.schemaAltId;
      if (shorterCriticalPath)
        built.targetSchemaMade = { schema: result.schemaCreated, fieldGroup: result.fieldGroupCreated };
      return {
        resources: { fieldGroupId: result.fieldGroupId, schemaId: result.schemaId },
        note: `tenant _${result.tenantId}`,
        ...(shorterCriticalPath ? { foundBefore: !result.schemaCreated } : {}),
        ...(result.schemaOwner ? { owner: result.schemaOwner } : {}),
      };
    },
    undo: ({ activities, dataflow, ids, existing, built, shorterCriticalPath, runStartedAtMs }) => {
      const recorded = { schemaId: ids.schemaAltId, fieldGroupId: ids.fieldGroupId };
      if (!shorterCriticalPath) {
        // A field group found by the survey is someone else's (or an earlier run's) even when the schema is new.
        return activities.rollbackSteps.deleteTargetSchema({
          dataflow,
          removeSchema: existing.schemaId === undefined,
          removeFieldGroup: existing.fieldGroupId === undefined && existing.schemaId === undefined,
          ...recorded,
        });
      }
      const made = built.targetSchemaMade;
      // The step said what it made; or it failed before saying, and only what AEP made since the run began goes.
      return activities.rollbackSteps.deleteTargetSchema(
        made
          ? { dataflow, removeSchema: made.schema, removeFieldGroup: made.fieldGroup, ...recorded }
          : { dataflow, removeSchema: true, removeFieldGroup: true, runStartedAtMs, ...recorded },
      );
    },
  },
  {
    key: 'dataset',
    needs: ['target-schema'],
    foundBefore: (existing) => existing.datasetId !== undefined,
    async run(context, { options, lookFirst, lookFirstForMadeWith }) {
      const { dataflow, description, ids } = context;
      if (context.datasetWithTargetConnection) {
        const made = await context.activities.steps.ensureDatasetAndTargetConnection.executeWithOptions(options, [
          {
            dataflow,
            schemaId: ids.schemaId!,
            description,
            datasetLookFirst: lookFirst,
            targetConnectionLookFirst: lookFirstForMadeWith ?? true,
          },
        ]);
        ids.datasetId = made.datasetId;
        ids.targetConnectionId = made.targetConnectionId;
        return {
          resources: { datasetId: made.datasetId },
          alsoMade: { resources: { targetConnectionId: made.targetConnectionId } },
        };
      }
      const result = await context.activities.steps.ensureDataset.executeWithOptions(options, [
        {
          dataflow,
          schemaId: ids.schemaId!,
          description,
          lookFirst,
        },
      ]);
      ids.datasetId = result.datasetId;
      return { resources: { datasetId: result.datasetId } };
    },
    undo: ({ activities, dataflow, ids }) =>
      activities.rollbackSteps.deleteDataset({ dataflow, datasetId: ids.datasetId }),
  },
  {
    key: 'target-connection',
    needs: ['dataset'],
    madeWith: 'dataset',
    foundBefore: (existing) => existing.targetConnectionId !== undefined,
    async run(context, { options, lookFirst }) {
      const { dataflow, description, ids } = context;
      const result = await context.activities.steps.ensureTargetConnection.executeWithOptions(options, [
        {
          dataflow,
          datasetId: ids.datasetId!,
          description,
          lookFirst,
        },
      ]);
      ids.targetConnectionId = result.targetConnectionId;
      return { resources: { targetConnectionId: result.targetConnectionId } };
    },
    undo: ({ activities, dataflow, ids }) =>
      activities.rollbackSteps.deleteTargetConnection({ dataflow, targetConnectionId: ids.targetConnectionId }),
  },
  {
    key: 'mapping-set',
    needs: ['target-schema'],
    foundBefore: (existing) => existing.mappingSetId !== undefined,
    async run(context, { options, lookFirst }) {
      const { dataflow, description, input, ids, built } = context;
      const result = await context.activities.steps.ensureMappingSet.executeWithOptions(options, [
        {
          dataflow,
          schemaId: ids.schemaId!,
          tenantId: built.tenantId,
          mapping: input.mapping,
          description,
          lookFirst,
        },
      ]);
      ids.mappingSetId = result.mappingSetId;
      ids.mappingVersion = result.mappingVersion;
      return { resources: { mappingSetId: result.mappingSetId, mappingVersion: result.mappingVersion } };
    },
    undo: ({ activities, dataflow, ids }) =>
      activities.rollbackSteps.deleteMappingSet({ dataflow, mappingSetId: ids.mappingSetId }),
  },
  {
    key: 'dataflow',
    // The dataflow reads with the OneTrust token: it waits for the preview to have accepted it.
    needs: ['explore-preview', 'source-connection', 'target-connection', 'mapping-set'],
    neededBeforeShorterPath: ['source-connection', 'target-connection', 'mapping-set'],
    foundBefore: (existing) => existing.flowId !== undefined,
    async run(context, { options, lookFirst }) {
      const { dataflow, description, input, ids, built } = context;
      const result = await context.activities.steps.ensureDataflow.executeWithOptions(options, [
        {
          dataflow,
          description,
          sourceConnectionId: ids.sourceConnectionId!,
          targetConnectionId: ids.targetConnectionId!,
          mappingSetId: ids.mappingSetId!,
          mappingVersion: ids.mappingVersion!,
          schedule: input.schedule,
          startTimeIsDefault: input.startTimeIsDefault ?? false,
          lookFirst,
          ...(context.monitorToTell
            ? { tellMonitor: { workflowId: context.monitorToTell, ids: idsWithoutFlow(ids as DataflowIds) } }
            : {}),
        },
      ]);
      ids.flowId = result.flowId;
      built.schedule = result.schedule;
      if (result.monitorTold !== undefined) built.monitorTold = result.monitorTold;
      return { resources: { flowId: result.flowId }, note: describeSchedule(result.schedule) };
    },
    undo: ({ activities, dataflow, ids }) => activities.rollbackSteps.deleteDataflow({ dataflow, flowId: ids.flowId }),
  },
];

/** Every id but the flow's, which the dataflow step's activity adds when it tells the monitor. */
function idsWithoutFlow(ids: DataflowIds): Omit<DataflowIds, 'flowId'> {
  const { flowId: _flowId, ...others } = ids;
  return others;
}

/**
 * A step's priority key: how many steps are left, itself included, on the longest path from it to the dataflow.
 * Temporal serves a backlogged queue's lower keys first (1 to 5 by default), so a provisioning well under way goes
 * ahead of others' first steps: a step retried after its worker died, and every step after it, is no longer queued
 * behind the whole backlog.
 */
export function stepPriorityKey(key: ProvisioningStepKey): number {
  const next = provisioningGraph.filter((step) => step.needs.includes(key));
  return 1 + Math.max(0, ...next.map((step) => stepPriorityKey(step.key)));
}

/** The survey comes before every step that waits for it (the base connection's branch). */
export const surveyPriorityKey = 1 + stepPriorityKey('base-connection');
