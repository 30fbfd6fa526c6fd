/**
 * What the monitor reads to tell whether its dataflow still is what it last applied (drift) and what a spec would
 * change (apply): the live flow (state, schedule, mapping version, connection ids), whether every other resource
 * of the dataflow still exists (connections, mapping set, schema, field group, dataset) and how its source and
 * target connections are wired, and whether two sealed secrets hold the same value (compared here, in the worker,
 * so neither is ever opened in workflow code or history). A look reads each resource once: eight GETs, whatever
 * it finds.
 */
import { isNotFound, type SandboxClient } from '../../aep';
import { isManagedBy, markedDataflow } from '../../contracts/ownership-mark';
import type { SealedSecret } from '../../secrets';
import type { DataflowIds } from '../../contracts/dataflow-types';
import { asStep, openSealedSecret } from '../aep-failure';
import type { CompareWithSpecInput, LiveDataflow, SpecComparison } from '../../contracts/monitor-activities';
import type { ActivityDependencies } from '../dependencies';
import { flowSettingDifferences, mappingDifferences } from '../plan/spec-differences';

export function createInspectionActivities({ aep, secrets }: ActivityDependencies) {
  return {
    async inspectDataflow(input: { sandbox: string; ids: DataflowIds }): Promise<LiveDataflow> {
      return asStep('look for drift', async () => {
        const api = aep.forSandbox(input.sandbox);
        const { ids } = input;
        const [flow, sourceConnection, targetConnection, dataset, baseConnection, mappingSet, schema, fieldGroup] =
          await Promise.all([
            ifFound(api.flowService.getFlow(ids.flowId)),
            ifFound(api.flowService.getSourceConnection(ids.sourceConnectionId)),
            ifFound(api.flowService.getTargetConnection(ids.targetConnectionId)),
            ifFound(api.catalog.getDataset(ids.datasetId)),
            ifFound(api.flowService.getConnection(ids.baseConnectionId)),
            ifFound(api.dataPrep.getMappingSet(ids.mappingSetId)),
            ifFound(api.schemaRegistry.getSchema(ids.schemaId)),
            ifFound(api.schemaRegistry.getFieldGroup(ids.fieldGroupId)),
          ]);
        // In the order earlier releases listed them, so a drift already alerted reads the same.
        const missing = (
          [
            [dataset, `dataset ${ids.datasetId}`],
            [baseConnection, `base connection ${ids.baseConnectionId}`],
            [sourceConnection, `source connection ${ids.sourceConnectionId}`],
            [targetConnection, `target connection ${ids.targetConnectionId}`],
            [mappingSet, `mapping set ${ids.mappingSetId}`],
            [schema, `schema ${ids.schemaId}`],
            [fieldGroup, `field group ${ids.fieldGroupId}`],
          ] as const
        )
          .filter(([found]) => found === undefined)
          .map(([, label]) => label);
        const wiring = {
          ...(sourceConnection !== undefined
            ? { sourceConnection: optional('baseConnectionId', sourceConnection.baseConnectionId) }
            : {}),
          ...(targetConnection !== undefined
            ? { targetConnection: optional('dataSetId', targetConnection.params?.dataSetId) }
            : {}),
        };
        if (flow === undefined) return { missing: [`flow ${ids.flowId}`, ...missing], ...wiring };
        const mapping = flow.transformations?.find((transformation) => transformation.params?.mappingId)?.params;
        return {
          flow: {
            ...(flow.state !== undefined ? { state: flow.state } : {}),
            ...(flow.scheduleParams?.frequency !== undefined ? { frequency: flow.scheduleParams.frequency } : {}),
            ...(flow.scheduleParams?.interval !== undefined ? { interval: Number(flow.scheduleParams.interval) } : {}),
            ...(typeof mapping?.mappingId === 'string' ? { mappingSetId: mapping.mappingId } : {}),
            ...(mapping?.mappingVersion !== undefined ? { mappingVersion: Number(mapping.mappingVersion) } : {}),
            sourceConnectionIds: flow.sourceConnectionIds,
            targetConnectionIds: flow.targetConnectionIds,
          },
          missing,
          ...wiring,
        };
      });
    },

    async compareDataflowWithSpec(input: CompareWithSpecInput): Promise<SpecComparison> {
      return asStep('compare with the spec', async () => {
        const api = aep.forSandbox(input.sandbox);
        const { ids } = input;
        const [flow, mappingChanges, shared] = await Promise.all([
          api.flowService.getFlow(ids.flowId),
          mappingDifferences(api, ids.mappingSetId, input.mapping, ids.mappingVersion),
          sharedResources(api, input.sandbox, input.dataflowName, ids),
        ]);
        const settings = flowSettingDifferences(flow, input);
        const params = flow.transformations?.find((transformation) => transformation.params?.mappingId)?.params;
        const mappingPointsElsewhere =
          params !== undefined &&
          (params.mappingId !== ids.mappingSetId || Number(params.mappingVersion) !== ids.mappingVersion);
        return {
          description: settings.description,
          schedule: settings.schedule,
          flowChanges: settings.changes,
          mappingChanges,
          mappingPointsElsewhere,
          ...(flow.state !== undefined ? { flowState: flow.state } : {}),
          shared,
        };
      });
    },

    /** Whether two sealed secrets hold the same value (either may be absent). */
    sameSecret(input: { first?: SealedSecret | string; second?: SealedSecret | string }): Promise<boolean> {
      const open = (secret: SealedSecret | string | undefined) =>
        secret === undefined || typeof secret === 'string' ? secret : openSealedSecret(secrets, secret, 'compare');
      return new Promise((resolve) => resolve(open(input.first) === open(input.second)));
    },
  };
}

async function ifFound<T>(request: Promise<T>): Promise<T | undefined> {
  try {
    return await request;
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
}

/** `{ key: value }` when the value is a string, else `{}` (an absent field stays absent in the recorded result). */
function optional<K extends string>(key: K, value: unknown): { [key in K]?: string } {
  return (typeof value === 'string' ? { [key]: value } : {}) as { [key in K]?: string };
}

async function sharedResources(api: SandboxClient, sandbox: string, name: string, ids: DataflowIds): Promise<string[]> {
  const [schema, dataset] = await Promise.all([
    api.schemaRegistry.getSchema(ids.schemaId),
    api.catalog.getDataset(ids.datasetId),
  ]);
  const whose = (description: unknown) => {
    const owner = markedDataflow(description);
    return owner ? `dataflow ${owner.sandbox}/${owner.name}'s` : 'made outside this tool';
  };
  return [
    ...(isManagedBy(schema.description, sandbox, name)
      ? []
      : [`target schema ${ids.schemaId} (${whose(schema.description)}): reused, never changed by this dataflow`]),
    ...(isManagedBy(dataset.description, sandbox, name)
      ? []
      : [`dataset ${ids.datasetId} (${whose(dataset.description)}): reused, never changed by this dataflow`]),
  ];
}
