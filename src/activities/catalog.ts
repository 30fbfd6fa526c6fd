/** Catalog step: the dataset the dataflow writes into, following the target schema. */
import type { SandboxClient } from '../aep';
import { xdmFullContentType } from '../contracts/platform-ids';
import { asStep, checkFailure } from './aep-failure';
import type {
  DataflowRef,
  DeleteOutcome,
  EnsureDatasetInput,
  ProvisioningActivities,
} from '../contracts/provisioning-activities';
import { allOf, firstOf } from './dataflow-ref';
import type { ActivityDependencies } from './dependencies';
import { handOverDataset } from './hand-over';
import { mustLookFirst } from './look-first';
import { deleteOwned } from './owned-deletes';
import { datasetUsedByOthers } from './used-by-others';

export function createCatalogActivities({
  aep,
}: ActivityDependencies): Pick<ProvisioningActivities, 'ensureDataset' | 'deleteDataset'> {
  const catalog = (dataflow: DataflowRef): SandboxClient['catalog'] => aep.forSandbox(dataflow.sandbox).catalog;

  return {
    async ensureDataset(input: EnsureDatasetInput): Promise<{ datasetId: string; created: boolean }> {
      return asStep('dataset', async () => {
        const api = catalog(input.dataflow);
        const name = input.dataflow.datasetName;
        const existing = mustLookFirst(input.lookFirst)
          ? await firstOf(api.listDatasets({ name }), (dataset) => dataset.name === name)
          : undefined;
        if (existing) {
          if (existing.schemaRef?.id !== input.schemaId) {
            throw checkFailure(
              'dataset',
              `a dataset named "${name}" already exists with schema ${existing.schemaRef?.id ?? '(none)'}, ` +
                `not ${input.schemaId}: choose another target.datasetName`,
            );
          }
          return { datasetId: existing.id, created: false };
        }
        const datasetId = await api.createDataset({
          name,
          description: input.description,
          schemaRef: { id: input.schemaId, contentType: xdmFullContentType },
        });
        return { datasetId, created: true };
      });
    },

    /**
     * Dataflows may share a dataset name (and one may reuse another's dataset), so only datasets with this
     * dataflow's mark, and the recorded one unless another dataflow's mark is on it, are deleted; and not one
     * another dataflow's target connection writes into (it reused ours while both were being provisioned): that
     * one is handed over to it, so its teardown deletes it (this dataflow will have no monitor to).
     */
    async deleteDataset(input: { dataflow: DataflowRef; datasetId?: string }): Promise<DeleteOutcome> {
      return asStep('delete dataset', async () => {
        const api = catalog(input.dataflow);
        const name = input.dataflow.datasetName;
        return deleteOwned({
          dataflow: input.dataflow,
          found: await allOf(api.listDatasets({ name }), (dataset) => dataset.name === name),
          recordedId: input.datasetId,
          read: (id) => api.getDataset(id),
          remove: (id) => api.deleteDataset(id),
          usedByOthers: (dataset) =>
            datasetUsedByOthers(aep.forSandbox(input.dataflow.sandbox), input.dataflow, dataset.id),
          handOver: (dataset, to) => handOverDataset(api, dataset.id, dataset.description, input.dataflow, to),
        });
      });
    },
  };
}
