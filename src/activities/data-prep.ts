/** Data Prep step: the mapping set from OneTrust records to the target schema, tenant namespace filled in. */
import type { SandboxClient } from '../aep';
import { xdmFullContentType } from '../contracts/platform-ids';
import { parseDestination, tenantPlaceholder, withTenant } from '../contracts/target-schema';
import type { MappingRule } from '../contracts/dataflow-types';
import { asStep, checkFailure } from './aep-failure';
import type {
  DataflowRef,
  DeleteOutcome,
  EnsureMappingSetInput,
  ProvisioningActivities,
} from '../contracts/provisioning-activities';
import { allOf, firstOf, namesOf } from './dataflow-ref';
import type { ActivityDependencies } from './dependencies';
import { mustLookFirst } from './look-first';
import { deleteEach, withKnownId } from './owned-deletes';

export function createDataPrepActivities({
  aep,
}: ActivityDependencies): Pick<ProvisioningActivities, 'ensureMappingSet' | 'deleteMappingSet'> {
  const dataPrep = (dataflow: DataflowRef): SandboxClient['dataPrep'] => aep.forSandbox(dataflow.sandbox).dataPrep;

  return {
    async ensureMappingSet(
      input: EnsureMappingSetInput,
    ): Promise<{ mappingSetId: string; mappingVersion: number; created: boolean }> {
      return asStep('mapping-set', async () => {
        const mappings = resolveMapping(input.mapping, input.tenantId);
        const api = dataPrep(input.dataflow);
        const name = namesOf(input.dataflow).mappingSet;
        const existing = mustLookFirst(input.lookFirst)
          ? await firstOf(api.listMappingSets({ name }), (set) => set.name === name)
          : undefined;
        if (existing) return { mappingSetId: existing.id, mappingVersion: existing.version, created: false };
        const created = await api.createMappingSet({
          name,
          description: input.description,
          outputSchema: { schemaRef: { id: input.schemaId, contentType: xdmFullContentType } },
          mappings,
        });
        return { mappingSetId: created.id, mappingVersion: created.version, created: true };
      });
    },

    /**
     * A mapping set has no description to carry an ownership mark: aep-contract.md §5 lists none among the fields
     * GET and the list show, and the simulator keeps none of the create's. Its name, though, is this dataflow's alone
     * (`onetrust:<sandbox>:<name>:mapping`, the same identity the mark holds; sandboxes have no colon), so the sets
     * found by that name and the id the workflow recorded are deleted, as before.
     */
    async deleteMappingSet(input: { dataflow: DataflowRef; mappingSetId?: string }): Promise<DeleteOutcome> {
      return asStep('delete mapping set', async () => {
        const api = dataPrep(input.dataflow);
        const name = namesOf(input.dataflow).mappingSet;
        const named = await allOf(api.listMappingSets({ name }), (set) => set.name === name);
        return deleteEach(withKnownId(named, input.mappingSetId), (id) => api.deleteMappingSet(id));
      });
    },
  };
}

/** Fills in the tenant; a destination naming another tenant's namespace cannot be written and is refused. */
export function resolveMapping(mapping: MappingRule[], tenantId: string): MappingRule[] {
  return mapping.map((rule) => {
    const destination = withTenant(rule.destination, tenantId);
    const namespace = parseDestination(destination).namespace;
    if (namespace !== undefined && namespace !== tenantId) {
      throw checkFailure(
        'mapping-set',
        `mapping destination "${rule.destination}" is in namespace _${namespace}, but this organisation's tenant ` +
          `namespace is _${tenantId} (write "_${tenantPlaceholder}.…" to have it filled in)`,
      );
    }
    return { ...rule, destination };
  });
}
