/**
 * Flow Service steps: base connection, explore preview, source connection, target connection, dataflow,
 * and their deletes. Each create first looks for the resource by its deterministic name (invariant 1);
 * each delete treats "already gone" as done (invariant 2) and removes only what this dataflow owns (its mark in
 * the description, or the id the workflow recorded when no other dataflow's mark is on it: owned-deletes.ts).
 */
import type { SandboxClient } from '../aep';
import {
  dataLakeConnectionSpec,
  oneTrustAuthSpecName,
  oneTrustConnectionSpec,
  oneTrustFlowSpec,
} from '../contracts/platform-ids';
import type { DataflowSchedule } from '../contracts/dataflow-types';
import type {
  CheckExplorePreviewInput,
  DataflowCreated,
  DataflowRef,
  DeleteOutcome,
  EnsureBaseConnectionInput,
  EnsureDataflowInput,
  EnsureSourceConnectionInput,
  EnsureTargetConnectionInput,
  ExplorePreviewSummary,
  ProvisioningActivities,
} from '../contracts/provisioning-activities';
import { asStep, checkFailure, openSealedSecret } from './aep-failure';
import { allOf, findDataflowFlow, firstOf, namesOf } from './dataflow-ref';
import type { ActivityDependencies } from './dependencies';
import { mustLookFirst } from './look-first';
import { deleteOwned } from './owned-deletes';
import { temporalClientOf } from './run-feed/temporal-client';
import { tellMonitorItsDataflow } from './tell-monitor';
import { Context } from '@temporalio/activity';

/** When the spec gave no start time and the default is about to pass, start this long from now instead. */
const defaultStartDelaySeconds = 60;
/** A start time this close to now could pass before AEP validates it. */
const startTimeSafetySeconds = 10;

type FlowServiceActivities = Pick<
  ProvisioningActivities,
  | 'ensureBaseConnection'
  | 'checkExplorePreview'
  | 'ensureSourceConnection'
  | 'ensureTargetConnection'
  | 'ensureDataflow'
  | 'deleteDataflow'
  | 'deleteTargetConnection'
  | 'deleteSourceConnection'
  | 'deleteBaseConnection'
>;

export function createFlowServiceActivities(deps: ActivityDependencies): FlowServiceActivities {
  const { aep, secrets } = deps;
  const temporal = temporalClientOf(deps);
  const flowService = (dataflow: DataflowRef): SandboxClient['flowService'] =>
    aep.forSandbox(dataflow.sandbox).flowService;

  return {
    async ensureBaseConnection(
      input: EnsureBaseConnectionInput,
    ): Promise<{ baseConnectionId: string; created: boolean }> {
      return asStep('base-connection', async () => {
        const api = flowService(input.dataflow);
        const name = namesOf(input.dataflow).baseConnection;
        if (mustLookFirst(input.lookFirst)) {
          const existing = await firstOf(api.listConnections({ property: [`name==${name}`] }), (c) => c.name === name);
          if (existing) return { baseConnectionId: existing.id, created: false };
        }
        const created = await api.createConnection({
          name,
          description: input.description,
          connectionSpec: { ...oneTrustConnectionSpec },
          // The token is opened here, in the worker, and goes only to AEP: never into a result or a log.
          auth: {
            specName: oneTrustAuthSpecName,
            params: { accessToken: openSealedSecret(secrets, input.token, 'base-connection') },
          },
        });
        return { baseConnectionId: created.id, created: true };
      });
    },

    /**
     * Proves the token and the data shape before anything else is built: OneTrust must answer through AEP,
     * and every field the mapping reads must exist in the preview's schema.
     */
    async checkExplorePreview(input: CheckExplorePreviewInput): Promise<ExplorePreviewSummary> {
      return asStep('explore-preview', async () => {
        const preview = await flowService(input.dataflow).exploreConnection(input.baseConnectionId, {
          objectType: 'rest',
          object: 'json',
          fileType: 'json',
          preview: true,
        });
        if (preview.schema === undefined || preview.format === undefined) {
          throw checkFailure('explore-preview', 'the preview has no format or schema: is this a OneTrust connection?');
        }
        const missing = input.mappingSources.filter((source) => !schemaHasPath(preview.schema, source));
        if (missing.length > 0) {
          throw checkFailure(
            'explore-preview',
            `the OneTrust preview has no field ${missing.map((path) => `"${path}"`).join(', ')} that the mapping reads`,
          );
        }
        const content = propertyAt(preview.schema, ['content']);
        return {
          format: preview.format,
          previewRecords: preview.data?.length ?? 0,
          recordFields: Object.keys(propertiesOf(content) ?? {}),
        };
      });
    },

    async ensureSourceConnection(
      input: EnsureSourceConnectionInput,
    ): Promise<{ sourceConnectionId: string; created: boolean }> {
      return asStep('source-connection', async () => {
        const api = flowService(input.dataflow);
        const name = namesOf(input.dataflow).sourceConnection;
        if (mustLookFirst(input.lookFirst)) {
          const existing = await firstOf(
            api.listSourceConnections({ property: [`name==${name}`] }),
            (c) => c.name === name,
          );
          if (existing) return { sourceConnectionId: existing.id, created: false };
        }
        const created = await api.createSourceConnection({
          name,
          description: input.description,
          baseConnectionId: input.baseConnectionId,
          connectionSpec: { ...oneTrustConnectionSpec },
          data: { format: 'json' },
          params: {},
        });
        return { sourceConnectionId: created.id, created: true };
      });
    },

    async ensureTargetConnection(
      input: EnsureTargetConnectionInput,
    ): Promise<{ targetConnectionId: string; created: boolean }> {
      return asStep('target-connection', async () => {
        const api = flowService(input.dataflow);
        const name = namesOf(input.dataflow).targetConnection;
        if (mustLookFirst(input.lookFirst)) {
          const existing = await firstOf(
            api.listTargetConnections({ property: [`name==${name}`] }),
            (c) => c.name === name,
          );
          if (existing) return { targetConnectionId: existing.id, created: false };
        }
        const created = await api.createTargetConnection({
          name,
          description: input.description,
          connectionSpec: { ...dataLakeConnectionSpec },
          data: { format: 'json' },
          params: { dataSetId: input.datasetId },
        });
        return { targetConnectionId: created.id, created: true };
      });
    },

    async ensureDataflow(
      input: EnsureDataflowInput,
    ): Promise<DataflowCreated & { created: boolean; monitorTold?: boolean }> {
      const made = await asStep('dataflow', async (): Promise<DataflowCreated & { created: boolean }> => {
        const api = flowService(input.dataflow);
        const name = namesOf(input.dataflow).flow;
        const existing = mustLookFirst(input.lookFirst)
          ? await findDataflowFlow(api, name, input.sourceConnectionId)
          : undefined;
        if (existing) {
          const params = existing.scheduleParams;
          const schedule: DataflowSchedule = params
            ? {
                frequency: params.frequency as DataflowSchedule['frequency'],
                startTime: params.startTime,
                ...(params.interval !== undefined ? { interval: params.interval } : {}),
              }
            : input.schedule;
          return { flowId: existing.id, schedule, created: false };
        }
        const schedule = { ...input.schedule };
        const nowSeconds = Math.floor(Date.now() / 1000);
        if (input.startTimeIsDefault && schedule.startTime < nowSeconds + startTimeSafetySeconds) {
          schedule.startTime = nowSeconds + defaultStartDelaySeconds;
        }
        const created = await api.createFlow({
          name,
          description: input.description,
          flowSpec: { ...oneTrustFlowSpec },
          sourceConnectionIds: [input.sourceConnectionId],
          targetConnectionIds: [input.targetConnectionId],
          transformations: [
            { name: 'Mapping', params: { mappingId: input.mappingSetId, mappingVersion: input.mappingVersion } },
          ],
          scheduleParams: {
            startTime: String(schedule.startTime),
            frequency: schedule.frequency,
            ...(schedule.interval !== undefined ? { interval: schedule.interval } : {}),
          },
        });
        return { flowId: created.id, schedule, created: true };
      });
      if (input.tellMonitor === undefined) return made;
      const monitorTold = await tellMonitorItsDataflow(temporal(), input.tellMonitor.workflowId, {
        provisioningWorkflowId: Context.current().info.workflowExecution?.workflowId ?? '',
        flowId: made.flowId,
        ids: { ...input.tellMonitor.ids, flowId: made.flowId },
        schedule: made.schedule,
      });
      return { ...made, monitorTold };
    },

    // The deletes below remove only what carries this dataflow's mark, plus the recorded id (see owned-deletes.ts).
    async deleteDataflow(input: { dataflow: DataflowRef; flowId?: string }): Promise<DeleteOutcome> {
      return asStep('delete dataflow', async () => {
        const api = flowService(input.dataflow);
        const name = namesOf(input.dataflow).flow;
        return deleteOwned({
          dataflow: input.dataflow,
          found: await allOf(api.listFlows({ property: [`name==${name}`] }), (flow) => flow.name === name),
          recordedId: input.flowId,
          read: (id) => api.getFlow(id),
          remove: (id) => api.deleteFlow(id),
        });
      });
    },

    async deleteTargetConnection(input: {
      dataflow: DataflowRef;
      targetConnectionId?: string;
    }): Promise<DeleteOutcome> {
      return asStep('delete target connection', async () => {
        const api = flowService(input.dataflow);
        const name = namesOf(input.dataflow).targetConnection;
        return deleteOwned({
          dataflow: input.dataflow,
          found: await allOf(api.listTargetConnections({ property: [`name==${name}`] }), (c) => c.name === name),
          recordedId: input.targetConnectionId,
          read: (id) => api.getTargetConnection(id),
          remove: (id) => api.deleteTargetConnection(id),
        });
      });
    },

    async deleteSourceConnection(input: {
      dataflow: DataflowRef;
      sourceConnectionId?: string;
    }): Promise<DeleteOutcome> {
      return asStep('delete source connection', async () => {
        const api = flowService(input.dataflow);
        const name = namesOf(input.dataflow).sourceConnection;
        return deleteOwned({
          dataflow: input.dataflow,
          found: await allOf(api.listSourceConnections({ property: [`name==${name}`] }), (c) => c.name === name),
          recordedId: input.sourceConnectionId,
          read: (id) => api.getSourceConnection(id),
          remove: (id) => api.deleteSourceConnection(id),
        });
      });
    },

    async deleteBaseConnection(input: { dataflow: DataflowRef; baseConnectionId?: string }): Promise<DeleteOutcome> {
      return asStep('delete base connection', async () => {
        const api = flowService(input.dataflow);
        const name = namesOf(input.dataflow).baseConnection;
        return deleteOwned({
          dataflow: input.dataflow,
          found: await allOf(api.listConnections({ property: [`name==${name}`] }), (c) => c.name === name),
          recordedId: input.baseConnectionId,
          read: (id) => api.getConnection(id),
          remove: (id) => api.deleteConnection(id),
        });
      });
    },
  };
}

function propertiesOf(node: unknown): Record<string, unknown> | undefined {
  if (typeof node !== 'object' || node === null) return undefined;
  const properties = (node as { properties?: unknown }).properties;
  return typeof properties === 'object' && properties !== null ? (properties as Record<string, unknown>) : undefined;
}

/** Walks a JSON schema by property names, stepping into array `items` on the way. */
function propertyAt(schema: unknown, path: string[]): unknown {
  let node: unknown = schema;
  for (const segment of path) {
    while (typeof node === 'object' && node !== null && (node as { type?: unknown }).type === 'array') {
      node = (node as { items?: unknown }).items;
    }
    node = propertiesOf(node)?.[segment];
    if (node === undefined) return undefined;
  }
  return node;
}

function schemaHasPath(schema: unknown, source: string): boolean {
  return propertyAt(schema, source.split('.')) !== undefined;
}
