/**
 * `plan`: what provisioning the spec would do to AEP, read without a write of any kind. Per resource: create (not
 * there), keep (there as the spec says), change (there, with the fields that differ) or shared (there, but another
 * dataflow's: provisioning reuses it and never changes it). The OneTrust token is judged by expiry only.
 */
import type { SandboxClient } from '../../aep';
import {
  clientSecretsToCompare,
  oneTrustEndpointDifferences,
  type OneTrustEndpoint,
} from '../../contracts/onetrust-endpoint-changes';
import { isManagedBy, markedDataflow } from '../../contracts/ownership-mark';
import type { ProvisioningStepKey } from '../../contracts/provisioning-steps';
import type { MappingRule } from '../../contracts/dataflow-types';
import type { DataflowPlan, PlanActivities, PlanDataflowInput, PlannedResource } from '../../contracts/plan-activities';
import { asStep, openSealedSecret } from '../aep-failure';
import type { ActivityDependencies } from '../dependencies';
import { createExistingResourceActivities } from '../existing-resources';
import { flowSettingDifferences, mappingDifferences } from './spec-differences';

export function createPlanActivities(deps: ActivityDependencies): PlanActivities {
  const survey = createExistingResourceActivities(deps);
  return {
    async planDataflowChanges(input: PlanDataflowInput): Promise<DataflowPlan> {
      return asStep('plan', async () => {
        const api = deps.aep.forSandbox(input.dataflow.sandbox);
        const existing = await survey.findExistingResources({ dataflow: input.dataflow });
        const { sandbox, name } = input.dataflow;
        const simple = (key: ProvisioningStepKey, id: string | undefined): PlannedResource =>
          id === undefined ? { key, action: 'create' } : { key, action: 'keep', id };

        const resources: PlannedResource[] = [
          simple('base-connection', existing.baseConnectionId),
          simple('source-connection', existing.sourceConnectionId),
          await planOwnedOrShared(
            'target-schema',
            existing.schemaId,
            async (id) => (await api.schemaRegistry.getSchema(id)).description,
            { sandbox, name },
          ),
          await planOwnedOrShared(
            'dataset',
            existing.datasetId,
            async (id) => (await api.catalog.getDataset(id)).description,
            { sandbox, name },
          ),
          simple('target-connection', existing.targetConnectionId),
          await planMapping(api, existing.mappingSetId, input.mapping, input.mappingVersion),
          await planFlow(api, existing.flowId, input),
        ];
        const token = planToken(input, existing.baseConnectionId !== undefined);
        const monitor = input.oneTrust ? planOneTrustEndpoint(deps.secrets, input.oneTrust) : [];
        const changeCount =
          resources.filter((resource) => resource.action === 'create' || resource.action === 'change').length +
          (token.action === 'keep' ? 0 : 1) +
          monitor.length;
        return { resources, token, ...(monitor.length > 0 ? { monitor } : {}), changeCount };
      });
    },
  };
}

/** The monitor's OneTrust base URL and client credentials against the spec's; the secrets are opened only here. */
function planOneTrustEndpoint(
  secrets: ActivityDependencies['secrets'],
  { wanted, inUse }: { wanted: OneTrustEndpoint; inUse: OneTrustEndpoint },
): string[] {
  const [spec, monitor] = [wanted.clientCredentials, inUse.clientCredentials];
  const sameSecret =
    spec !== undefined &&
    monitor !== undefined &&
    clientSecretsToCompare(inUse, wanted) &&
    openSealedSecret(secrets, spec.clientSecret, 'plan') === openSealedSecret(secrets, monitor.clientSecret, 'plan');
  return oneTrustEndpointDifferences(inUse, wanted, sameSecret).changes;
}

/** A resource someone else made is reused as it is: say whose it is. */
function sharedNote(description: unknown, sandbox: string, name: string): string | undefined {
  if (isManagedBy(description, sandbox, name)) return undefined;
  const owner = markedDataflow(description);
  return owner
    ? `belongs to dataflow ${owner.sandbox}/${owner.name}: reused, never changed by this one`
    : 'made outside this tool: reused, never changed by this dataflow';
}

/** A schema or dataset: created when missing, kept when it is this dataflow's, else shared (reused, never changed). */
async function planOwnedOrShared(
  key: 'target-schema' | 'dataset',
  id: string | undefined,
  readDescription: (id: string) => Promise<unknown>,
  dataflow: { sandbox: string; name: string },
): Promise<PlannedResource> {
  if (id === undefined) return { key, action: 'create' };
  const note = sharedNote(await readDescription(id), dataflow.sandbox, dataflow.name);
  return note ? { key, action: 'shared', id, note } : { key, action: 'keep', id };
}

async function planMapping(
  api: SandboxClient,
  mappingSetId: string | undefined,
  mapping: MappingRule[],
  version: number | undefined,
): Promise<PlannedResource> {
  if (mappingSetId === undefined) return { key: 'mapping-set', action: 'create' };
  const changes = await mappingDifferences(api, mappingSetId, mapping, version);
  return changes.length === 0
    ? { key: 'mapping-set', action: 'keep', id: mappingSetId }
    : { key: 'mapping-set', action: 'change', id: mappingSetId, changes, note: 'a new mapping-set version' };
}

async function planFlow(
  api: SandboxClient,
  flowId: string | undefined,
  input: PlanDataflowInput,
): Promise<PlannedResource> {
  if (flowId === undefined) return { key: 'dataflow', action: 'create' };
  const flow = await api.flowService.getFlow(flowId);
  const { changes } = flowSettingDifferences(flow, input);
  const notes = flow.state !== undefined && flow.state !== 'enabled' ? [`state ${flow.state} (resume enables it)`] : [];
  return changes.length > 0
    ? { key: 'dataflow', action: 'change', id: flowId, changes: [...changes, ...notes] }
    : { key: 'dataflow', action: 'keep', id: flowId, ...(notes.length > 0 ? { changes: notes } : {}) };
}

function planToken(input: PlanDataflowInput, connectionExists: boolean): DataflowPlan['token'] {
  if (!connectionExists)
    return { action: 'set', reason: `a new connection gets the spec's token (expires ${input.tokenExpiresAt})` };
  if (input.tokenInUseExpiresAt === undefined) {
    return {
      action: 'replace',
      reason: "no monitor tracks the connection's token: provision puts the spec's in (proven by an explore preview)",
    };
  }
  const spec = Date.parse(input.tokenExpiresAt);
  const inUse = Date.parse(input.tokenInUseExpiresAt);
  if (spec > inUse) {
    return {
      action: 'replace',
      reason: `the spec's token expires later (${input.tokenExpiresAt} > ${input.tokenInUseExpiresAt})`,
    };
  }
  return {
    action: 'keep',
    reason:
      spec === inUse
        ? `the same expiry as the token in use (${input.tokenInUseExpiresAt})`
        : `the spec's token is older (expires ${input.tokenExpiresAt}, the one in use ${input.tokenInUseExpiresAt})`,
  };
}
