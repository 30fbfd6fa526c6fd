/**
 * The provisioning steps as a dependency graph, described once: what each step needs, how it runs and how it is
 * undone. The seed runs them in one line, but they form two branches that meet at the dataflow:
 *
 *   base connection → explore preview → source connection ─┐
 *   target schema → dataset → target connection ───────────┼→ dataflow
 *                 └→ mapping set ──────────────────────────┘
 *
 * The source connection waits for the explore preview although AEP would make it without: a token OneTrust refuses
 * must stop that branch before it builds anything more, as in the seed.
 */
import type { DataflowRef, ExistingResources } from '../../activities';
import type { DataflowIds, DataflowSchedule } from '../dataflow-types';
import type { ProvisioningStepKey } from '../provisioning-steps';
import type { provisioningActivities } from './activity-options';
import { mappingDestinations } from './mapping-destinations';
import type { ProvisionDataflowInput } from './messages';
import { describeSchedule } from './progress-details';

/** What every step reads, and what they build together. */
export interface StepContext {
  input: ProvisionDataflowInput;
  dataflow: DataflowRef;
  /** The description every resource carries, with the dataflow's ownership mark. */
  description: string;
  /** What the survey before the first step found. */
  existing: ExistingResources;
  ids: Partial<DataflowIds>;
  built: { tenantId: string; schedule: DataflowSchedule };
  activities: ReturnType<typeof provisioningActivities>;
}

export interface StepOutcome {
  /** Resource ids (or facts) the step produced, shown in the checklist. */
  resources: Record<string, string | number>;
  note?: string;
}

export interface ProvisioningStep {
  key: ProvisioningStepKey;
  /** Steps whose resources this one needs; it starts as soon as all of them are done. */
  needs: readonly ProvisioningStepKey[];
  /**
   * The survey found this step's resource: it is reused, and neither created nor deleted by this run. Absent for
   * a step that builds nothing (the explore preview).
   */
  foundBefore?: (existing: ExistingResources) => boolean;
  /** The survey found something the create must look at first (default: foundBefore). */
  surveyFoundAny?: (existing: ExistingResources) => boolean;
  run: (context: StepContext, call: { summary: string; lookFirst: boolean }) => Promise<StepOutcome>;
  /** Deletes what the step may have made; registered before the step runs, since it may create and then fail. */
  undo?: (context: StepContext) => Promise<{ deleted: string[] }>;
}

/** In the seed's order: the checklist, the CLI and "step k of 8" follow this order, not the order of completion. */
export const provisioningGraph: readonly ProvisioningStep[] = [
  {
    key: 'base-connection',
    needs: [],
    foundBefore: (existing) => existing.baseConnectionId !== undefined,
    async run(context, { summary, lookFirst }) {
      const { dataflow, description, input, ids } = context;
      const result = await context.activities.steps.ensureBaseConnection.executeWithOptions({ summary }, [
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
    async run(context, { summary }) {
      const { dataflow, input, ids } = context;
      const mappingSources = input.mapping.filter((rule) => rule.sourceType === 'ATTRIBUTE').map((rule) => rule.source);
      const preview = await context.activities.steps.checkExplorePreview.executeWithOptions({ summary }, [
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
    needs: ['explore-preview'],
    foundBefore: (existing) => existing.sourceConnectionId !== undefined,
    async run(context, { summary, lookFirst }) {
      const { dataflow, description, ids } = context;
      const result = await context.activities.steps.ensureSourceConnection.executeWithOptions({ summary }, [
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
    foundBefore: (existing) => existing.schemaId !== undefined,
    surveyFoundAny: (existing) => existing.schemaId !== undefined || existing.fieldGroupId !== undefined,
    async run(context, { summary, lookFirst }) {
      const { dataflow, description, input, ids, built } = context;
      const { tenantFields, classFields } = mappingDestinations(input.mapping);
      const result = await context.activities.steps.ensureTargetSchema.executeWithOptions({ summary }, [
        {
          dataflow,
          description,
          tenantFields,
          classFields,
          lookFirst,
        },
      ]);
      built.tenantId = result.tenantId;
      ids.fieldGroupId = result.fieldGroupId;
      ids.schemaId = result.schemaId;
      ids.schemaAltId = result.schemaAltId;
      return {
        resources: { fieldGroupId: result.fieldGroupId, schemaId: result.schemaId },
        note: `tenant _${result.tenantId}`,
      };
    },
    // A field group found by the survey is someone else's (or an earlier run's) even when the schema is new.
    undo: ({ activities, dataflow, ids, existing }) =>
      activities.rollbackSteps.deleteTargetSchema({
        dataflow,
        removeSchema: existing.schemaId === undefined,
        removeFieldGroup: existing.fieldGroupId === undefined && existing.schemaId === undefined,
        schemaId: ids.schemaAltId,
        fieldGroupId: ids.fieldGroupId,
      }),
  },
  {
    key: 'dataset',
    needs: ['target-schema'],
    foundBefore: (existing) => existing.datasetId !== undefined,
    async run(context, { summary, lookFirst }) {
      const { dataflow, description, ids } = context;
      const result = await context.activities.steps.ensureDataset.executeWithOptions({ summary }, [
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
    foundBefore: (existing) => existing.targetConnectionId !== undefined,
    async run(context, { summary, lookFirst }) {
      const { dataflow, description, ids } = context;
      const result = await context.activities.steps.ensureTargetConnection.executeWithOptions({ summary }, [
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
    async run(context, { summary, lookFirst }) {
      const { dataflow, description, input, ids, built } = context;
      const result = await context.activities.steps.ensureMappingSet.executeWithOptions({ summary }, [
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
    needs: ['source-connection', 'target-connection', 'mapping-set'],
    foundBefore: (existing) => existing.flowId !== undefined,
    async run(context, { summary, lookFirst }) {
      const { dataflow, description, input, ids, built } = context;
      const result = await context.activities.steps.ensureDataflow.executeWithOptions({ summary }, [
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
        },
      ]);
      ids.flowId = result.flowId;
      built.schedule = result.schedule;
      return { resources: { flowId: result.flowId }, note: describeSchedule(result.schedule) };
    },
    undo: ({ activities, dataflow, ids }) => activities.rollbackSteps.deleteDataflow({ dataflow, flowId: ids.flowId }),
  },
];
