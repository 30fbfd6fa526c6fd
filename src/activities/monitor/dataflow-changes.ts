/**
 * Changing a live dataflow, as the seed's "update your dataflow" describes: name, description and schedule are
 * a PATCH of the flow; a new mapping is a new version of the mapping set (PUT) and then a PATCH of the flow's
 * `/transformations/0` to that version; pause and resume are the flow's disable and enable actions.
 */
import { ownershipMarkPattern } from '../../contracts/ownership-mark';
import type { Flow, JsonPatchOperation } from '../../aep';
import { xdmFullContentType } from '../../contracts/platform-ids';
import { destinationProblem } from '../../contracts/target-schema';
import type { MappingRule } from '../../contracts/dataflow-types';
import { asStep, checkFailure } from '../aep-failure';
import { resolveMapping } from '../data-prep';
import type {
  FlowPatchResult,
  PublishMappingVersionInput,
  UpdateFlowSettingsInput,
} from '../../contracts/monitor-activities';
import type { ActivityDependencies } from '../dependencies';
import { patchWithCurrentEtag } from './etag-patch';

function describedKeepingOwnerTag(current: string | undefined, requested: string): string {
  const tag = ownershipMarkPattern.exec(current ?? '')?.[0];
  return tag === undefined || requested.includes(tag) ? requested : `${requested} ${tag}`.trim();
}

function settingsOperations(flow: Flow, input: UpdateFlowSettingsInput): JsonPatchOperation[] {
  const operations: JsonPatchOperation[] = [];
  if (input.name !== undefined) operations.push({ op: 'replace', path: '/name', value: input.name });
  if (input.description !== undefined) {
    // `add` sets a member whether or not it exists (a flow created without a description has none).
    operations.push({
      op: 'add',
      path: '/description',
      value: describedKeepingOwnerTag(flow.description, input.description),
    });
  }
  if (input.schedule !== undefined) {
    operations.push({ op: 'replace', path: '/scheduleParams/frequency', value: input.schedule.frequency });
    if (input.schedule.interval !== undefined) {
      operations.push({ op: 'add', path: '/scheduleParams/interval', value: input.schedule.interval });
    } else if (flow.scheduleParams?.interval !== undefined) {
      operations.push({ op: 'remove', path: '/scheduleParams/interval' });
    }
  }
  return operations;
}

function sameRules(
  a: ReadonlyArray<Pick<MappingRule, 'source' | 'destination'>>,
  b: ReadonlyArray<Pick<MappingRule, 'source' | 'destination'>>,
): boolean {
  return (
    a.length === b.length &&
    a.every((rule, index) => rule.source === b[index]?.source && rule.destination === b[index]?.destination)
  );
}

export function createDataflowChangeActivities({ aep }: ActivityDependencies) {
  return {
    async updateFlowSettings(input: UpdateFlowSettingsInput): Promise<FlowPatchResult> {
      const flowService = aep.forSandbox(input.sandbox).flowService;
      const changed = [
        ...(input.name !== undefined ? ['name'] : []),
        ...(input.description !== undefined ? ['description'] : []),
        ...(input.schedule !== undefined ? ['schedule'] : []),
      ];
      const patched = await asStep('update dataflow: PATCH the flow', () =>
        patchWithCurrentEtag(
          () => flowService.getFlow(input.flowId),
          (flow) => flowService.patchFlow(input.flowId, settingsOperations(flow, input), flow.etag),
        ),
      );
      return { etag: patched.etag, patchAttempts: patched.attempts, changed };
    },

    async publishMappingVersion(input: PublishMappingVersionInput): Promise<{ mappingVersion: number }> {
      for (const [index, rule] of input.mapping.entries()) {
        const problem = destinationProblem(rule.destination);
        if (problem) throw checkFailure('update mapping', `mapping[${index}].destination: ${problem}`);
      }
      return asStep('update mapping: new mapping-set version', async () => {
        const sandbox = aep.forSandbox(input.sandbox);
        const { tenantId } = await sandbox.schemaRegistry.getStats();
        const mappings = resolveMapping(input.mapping, tenantId);
        const latest = await sandbox.dataPrep.getMappingSet(input.mappingSetId);
        // A retry after a PUT that succeeded unseen finds its version already there: use it, add no other.
        if (latest.version > input.currentVersion && sameRules(latest.mappings, mappings)) {
          return { mappingVersion: latest.version };
        }
        const updated = await sandbox.dataPrep.updateMappingSet(input.mappingSetId, {
          ...(latest.name !== undefined ? { name: latest.name } : {}),
          ...(typeof latest.description === 'string' ? { description: latest.description } : {}),
          outputSchema: { schemaRef: { id: input.schemaId, contentType: xdmFullContentType } },
          mappings,
        });
        return { mappingVersion: updated.version };
      });
    },

    async pointFlowAtMapping(input: {
      sandbox: string;
      flowId: string;
      mappingSetId: string;
      mappingVersion: number;
    }): Promise<FlowPatchResult> {
      const flowService = aep.forSandbox(input.sandbox).flowService;
      const patched = await asStep('update mapping: PATCH the flow to the new version', () =>
        patchWithCurrentEtag(
          () => flowService.getFlow(input.flowId),
          (flow) => {
            const current = flow.transformations?.[0];
            const value = {
              name: current?.name ?? 'Mapping',
              params: {
                ...(current?.params ?? {}),
                mappingId: input.mappingSetId,
                mappingVersion: input.mappingVersion,
              },
            };
            return flowService.patchFlow(
              input.flowId,
              [{ op: 'replace', path: '/transformations/0', value }],
              flow.etag,
            );
          },
        ),
      );
      return { etag: patched.etag, patchAttempts: patched.attempts, changed: ['mapping'] };
    },

    /**
     * Enables or disables the flow. Asking for the state it is already in is a no-op that says so (`unchanged`):
     * AEP refuses it with FLOW-1422-400, which is no failure of the user's.
     */
    async setFlowEnabled(input: {
      sandbox: string;
      flowId: string;
      enabled: boolean;
    }): Promise<{ flowState: string; unchanged?: boolean }> {
      const flowService = aep.forSandbox(input.sandbox).flowService;
      const wanted = input.enabled ? 'enabled' : 'disabled';
      return asStep(input.enabled ? 'resume: enable the flow' : 'pause: disable the flow', async () => {
        const before = await flowService.getFlow(input.flowId);
        if (before.state === wanted) return { flowState: wanted, unchanged: true };
        await flowService.flowAction(input.flowId, input.enabled ? 'enable' : 'disable');
        const flow = await flowService.getFlow(input.flowId);
        return { flowState: flow.state ?? wanted };
      });
    },
  };
}
