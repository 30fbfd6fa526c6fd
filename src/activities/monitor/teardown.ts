/**
 * Tearing a dataflow down, one resource per call so the workflow shows progress and retries each on its own.
 * "Already gone" (404) is done. Data resources (dataset, schema, field group) are deleted only when this dataflow
 * created them (provisioning tags their description) and no other dataflow uses them, by the rule rollback uses
 * (used-by-others.ts): provisioning reuses a dataset with the same name and a schema with the same title, so what
 * this dataflow made may be what another dataflow writes into. What is kept says why, and when the user is another
 * dataflow of ours it is handed over to it (hand-over.ts): it takes that dataflow's mark, so its teardown takes it.
 */
import { isManagedBy } from '../../contracts/ownership-mark';
import { isNotFound } from '../../aep';
import { asStep } from '../aep-failure';
import type { DeleteDataflowResourceInput, DeleteDataflowResourceResult } from '../../contracts/monitor-activities';
import type { ActivityDependencies } from '../dependencies';
import {
  handedOverEarlier,
  handOverDataset,
  handOverPatch,
  handOverSchema,
  keepOrHandOver,
  type KeepOrHandOver,
} from '../hand-over';
import { readUnlessMissing } from '../owned-deletes';
import { datasetUsedByOthers, fieldGroupUsedByOthers, schemaUsedByOthers } from '../used-by-others';

async function deleteTreatingMissingAsDone(remove: () => Promise<void>): Promise<DeleteDataflowResourceResult> {
  try {
    await remove();
    return { outcome: 'deleted' };
  } catch (error) {
    if (isNotFound(error)) return { outcome: 'already-gone' };
    throw error;
  }
}

/**
 * Deletes a data resource of ours unless another dataflow uses it: then it is kept, saying by what, and handed over
 * to that dataflow. One an earlier attempt handed over is kept (never deleted); one another dataflow made, too.
 */
async function deleteUnlessUsed(
  resource: KeepOrHandOver,
  remove: () => Promise<void>,
): Promise<DeleteDataflowResourceResult> {
  const { dataflow, description } = resource;
  if (!handedOverEarlier(description, dataflow) && !isManagedBy(description, dataflow.sandbox, dataflow.name)) {
    return { outcome: 'kept', reason: 'not created by this dataflow (provisioning reused it)' };
  }
  const { kept } = await keepOrHandOver(resource);
  return kept === undefined ? deleteTreatingMissingAsDone(remove) : { outcome: 'kept', reason: kept };
}

export function createTeardownActivities({ aep }: ActivityDependencies) {
  return {
    async deleteDataflowResource(input: DeleteDataflowResourceInput): Promise<DeleteDataflowResourceResult> {
      const sandbox = aep.forSandbox(input.sandbox);
      const { flowService, catalog, schemaRegistry, dataPrep } = sandbox;
      const dataflow = { sandbox: input.sandbox, name: input.dataflowName };

      return asStep(`teardown: delete ${input.kind} ${input.id}`, async () => {
        switch (input.kind) {
          case 'flow':
            return deleteTreatingMissingAsDone(() => flowService.deleteFlow(input.id));
          case 'targetConnection':
            return deleteTreatingMissingAsDone(() => flowService.deleteTargetConnection(input.id));
          case 'sourceConnection':
            return deleteTreatingMissingAsDone(() => flowService.deleteSourceConnection(input.id));
          case 'baseConnection':
            return deleteTreatingMissingAsDone(() => flowService.deleteConnection(input.id));
          case 'mappingSet':
            return deleteTreatingMissingAsDone(() => dataPrep.deleteMappingSet(input.id));
          case 'dataset': {
            const dataset = await readUnlessMissing(() => catalog.getDataset(input.id));
            if (!dataset) return { outcome: 'already-gone' };
            const { description } = dataset;
            return deleteUnlessUsed(
              {
                dataflow,
                description,
                findUse: () => datasetUsedByOthers(sandbox, dataflow, input.id),
                handOver: (to) => handOverDataset(catalog, input.id, description, dataflow, to),
              },
              () => catalog.deleteDataset(input.id),
            );
          }
          case 'schema': {
            const schema = await readUnlessMissing(() => schemaRegistry.getSchema(input.id));
            if (!schema) return { outcome: 'already-gone' };
            return deleteUnlessUsed(
              {
                dataflow,
                description: schema.description,
                findUse: () => schemaUsedByOthers(sandbox, dataflow, schema.$id),
                handOver: (to) => handOverSchema(schemaRegistry, schema, dataflow, to),
              },
              () => schemaRegistry.deleteSchema(input.id),
            );
          }
          case 'fieldGroup': {
            const fieldGroup = await readUnlessMissing(() => schemaRegistry.getFieldGroup(input.id));
            if (!fieldGroup) return { outcome: 'already-gone' };
            return deleteUnlessUsed(
              {
                dataflow,
                description: fieldGroup.description,
                findUse: () => fieldGroupUsedByOthers(schemaRegistry, fieldGroup),
                handOver: async (to) => {
                  await schemaRegistry.patchFieldGroup(input.id, handOverPatch(fieldGroup.description, dataflow, to));
                },
              },
              () => schemaRegistry.deleteFieldGroup(input.id),
            );
          }
        }
      });
    },
  };
}
