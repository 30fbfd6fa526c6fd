/** Catalog step: the dataset the dataflow writes into, following the target schema. */
import type { SandboxClient } from '../aep';
import { xdmFullContentType } from '../dataflow/platform-ids';
import { asStep, checkFailure } from './aep-failure';
import { allOf, firstOf, type DataflowRef } from './dataflow-ref';
import type { ActivityDependencies } from './dependencies';
import { deleteEach, withKnownId } from './flow-service';
import { mustLookFirst } from './look-first';

export function createCatalogActivities({ aep }: ActivityDependencies) {
  const catalog = (dataflow: DataflowRef): SandboxClient['catalog'] => aep.forSandbox(dataflow.sandbox).catalog;

  return {
    async ensureDataset(input: {
      dataflow: DataflowRef;
      schemaId: string;
      description: string;
      lookFirst?: boolean;
    }): Promise<{ datasetId: string; created: boolean }> {
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

    async deleteDataset(input: { dataflow: DataflowRef; datasetId?: string }): Promise<{ deleted: string[] }> {
      return asStep('delete dataset', async () => {
        const api = catalog(input.dataflow);
        const name = input.dataflow.datasetName;
        const named = await allOf(api.listDatasets({ name }), (dataset) => dataset.name === name);
        return deleteEach(withKnownId(named, input.datasetId), (id) => api.deleteDataset(id));
      });
    },
  };
}
