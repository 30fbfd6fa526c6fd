/**
 * Tearing a dataflow down, one resource per call so the workflow shows progress and retries each on its own.
 * "Already gone" (404) is done. Data resources (dataset, schema, field group) are deleted only when this dataflow
 * created them (provisioning tags their description) and, for the schema, when no other dataset still uses it:
 * provisioning reuses a fitting schema with the same title, so it may belong to someone else.
 */
import { isManagedBy } from '../../dataflow/ownership-mark';
import { isNotFound } from '../../aep';
import { asStep } from '../aep-failure';
import type { ActivityDependencies } from '../dependencies';

export type DataflowResourceKind =
  | 'flow'
  | 'targetConnection'
  | 'sourceConnection'
  | 'baseConnection'
  | 'mappingSet'
  | 'dataset'
  | 'schema'
  | 'fieldGroup';

export interface DeleteDataflowResourceInput {
  sandbox: string;
  /** The dataflow's name: its owner tag decides whether data resources are ours to delete. */
  dataflowName: string;
  kind: DataflowResourceKind;
  id: string;
}

export interface DeleteDataflowResourceResult {
  outcome: 'deleted' | 'already-gone' | 'kept';
  reason?: string;
}

async function deleteTreatingMissingAsDone(remove: () => Promise<void>): Promise<DeleteDataflowResourceResult> {
  try {
    await remove();
    return { outcome: 'deleted' };
  } catch (error) {
    if (isNotFound(error)) return { outcome: 'already-gone' };
    throw error;
  }
}

/** Reads a resource for an ownership check; undefined when it is already gone. */
async function readUnlessMissing<T>(read: () => Promise<T>): Promise<T | undefined> {
  try {
    return await read();
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
}

export function createTeardownActivities({ aep }: ActivityDependencies) {
  return {
    async deleteDataflowResource(input: DeleteDataflowResourceInput): Promise<DeleteDataflowResourceResult> {
      const sandbox = aep.forSandbox(input.sandbox);
      const { flowService, catalog, schemaRegistry, dataPrep } = sandbox;
      const ours = (description: unknown) => isManagedBy(description, input.sandbox, input.dataflowName);
      const notOurs: DeleteDataflowResourceResult = {
        outcome: 'kept',
        reason: 'not created by this dataflow (provisioning reused it)',
      };

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
            if (!ours(dataset.description)) return notOurs;
            return deleteTreatingMissingAsDone(() => catalog.deleteDataset(input.id));
          }
          case 'schema': {
            const schema = await readUnlessMissing(() => schemaRegistry.getSchema(input.id));
            if (!schema) return { outcome: 'already-gone' };
            if (!ours(schema.description)) return notOurs;
            // Page by page, only the fields needed, and no further than the first other user.
            for await (const dataset of catalog.listDatasets({ properties: ['schemaRef'] })) {
              if (dataset.schemaRef?.id === schema.$id) {
                return { outcome: 'kept', reason: `still used by dataset ${dataset.id}` };
              }
            }
            return deleteTreatingMissingAsDone(() => schemaRegistry.deleteSchema(input.id));
          }
          case 'fieldGroup': {
            const fieldGroup = await readUnlessMissing(() => schemaRegistry.getFieldGroup(input.id));
            if (!fieldGroup) return { outcome: 'already-gone' };
            if (!ours(fieldGroup.description)) return notOurs;
            return deleteTreatingMissingAsDone(() => schemaRegistry.deleteFieldGroup(input.id));
          }
        }
      });
    },
  };
}
