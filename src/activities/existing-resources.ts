/**
 * Before building anything, provisioning looks for every resource the dataflow would create. What exists then
 * was made by someone or something else (an earlier provisioning of the same spec, a shared schema): it is
 * reused and never deleted by this run's compensation. Recorded in history, so a replay or a retry agrees.
 */
import type {
  ExistingResources,
  FindExistingResourcesInput,
  ProvisioningActivities,
} from '../contracts/provisioning-activities';
import { findDataflowFlow, firstOf, namesOf } from './dataflow-ref';
import { asStep } from './aep-failure';
import type { ActivityDependencies } from './dependencies';

export function createExistingResourceActivities({
  aep,
}: ActivityDependencies): Pick<ProvisioningActivities, 'findExistingResources'> {
  return {
    async findExistingResources(input: FindExistingResourcesInput): Promise<ExistingResources> {
      return asStep('look for existing resources', async () => {
        const sandbox = aep.forSandbox(input.dataflow.sandbox);
        const names = namesOf(input.dataflow);
        const byName =
          <T extends { name: string }>(name: string) =>
          (item: T) =>
            item.name === name;
        const byTitle = (title: string) => (item: { title: string }) => item.title === title;
        // Every look-up side by side; the flow by its name too (only a renamed flow needs the source connection).
        const [base, source, fieldGroup, schema, dataset, target, mappingSet, namedFlow] = await Promise.all([
          firstOf(
            sandbox.flowService.listConnections({ property: [`name==${names.baseConnection}`] }),
            byName(names.baseConnection),
          ),
          firstOf(
            sandbox.flowService.listSourceConnections({ property: [`name==${names.sourceConnection}`] }),
            byName(names.sourceConnection),
          ),
          input.withoutTargetSchema
            ? undefined
            : firstOf(
                sandbox.schemaRegistry.listFieldGroups({ title: names.fieldGroupTitle }),
                byTitle(names.fieldGroupTitle),
              ),
          input.withoutTargetSchema
            ? undefined
            : firstOf(
                sandbox.schemaRegistry.listSchemas({ title: input.dataflow.schemaTitle }),
                byTitle(input.dataflow.schemaTitle),
              ),
          firstOf(
            sandbox.catalog.listDatasets({ name: input.dataflow.datasetName }),
            byName(input.dataflow.datasetName),
          ),
          firstOf(
            sandbox.flowService.listTargetConnections({ property: [`name==${names.targetConnection}`] }),
            byName(names.targetConnection),
          ),
          firstOf(sandbox.dataPrep.listMappingSets({ name: names.mappingSet }), (set) => set.name === names.mappingSet),
          firstOf(
            sandbox.flowService.listFlows({ property: [`name==${names.flow}`] }),
            (flow) => flow.name === names.flow,
          ),
        ]);
        // Only a renamed flow needs the second look-up, and only a flow reading this dataflow's source connection can be it.
        const flow =
          namedFlow ?? (source ? await findDataflowFlow(sandbox.flowService, names.flow, source.id) : undefined);
        const found: ExistingResources = {};
        if (base) found.baseConnectionId = base.id;
        if (source) found.sourceConnectionId = source.id;
        if (fieldGroup) found.fieldGroupId = fieldGroup.$id;
        if (schema) found.schemaId = schema.$id;
        if (dataset) found.datasetId = dataset.id;
        if (target) found.targetConnectionId = target.id;
        if (mappingSet) found.mappingSetId = mappingSet.id;
        if (flow) found.flowId = flow.id;
        return found;
      });
    },
  };
}
