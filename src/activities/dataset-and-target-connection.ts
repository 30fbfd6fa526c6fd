/**
 * The dataset and the target connection that writes into it, made by one activity. The target connection needs
 * nothing but the dataset's id, and the workflow task between two activities cost a round trip through Temporal on
 * the critical path of every provisioning (docs/performance.md). Each part looks first as its own step would (a
 * retry always looks: its lost attempt may have made both), and a failure names the part that failed.
 */
import type {
  DatasetAndTargetConnection,
  EnsureDatasetAndTargetConnectionInput,
  ProvisioningActivities,
} from '../contracts/provisioning-activities';
import { createCatalogActivities } from './catalog';
import type { ActivityDependencies } from './dependencies';
import { createFlowServiceActivities } from './flow-service';

export function createDatasetAndTargetConnectionActivities(
  deps: ActivityDependencies,
): Pick<ProvisioningActivities, 'ensureDatasetAndTargetConnection'> {
  const { ensureDataset } = createCatalogActivities(deps);
  const { ensureTargetConnection } = createFlowServiceActivities(deps);

  return {
    async ensureDatasetAndTargetConnection(
      input: EnsureDatasetAndTargetConnectionInput,
    ): Promise<DatasetAndTargetConnection> {
      const { dataflow, description } = input;
      const dataset = await ensureDataset({
        dataflow,
        schemaId: input.schemaId,
        description,
        lookFirst: input.datasetLookFirst,
      });
      const target = await ensureTargetConnection({
        dataflow,
        datasetId: dataset.datasetId,
        description,
        lookFirst: input.targetConnectionLookFirst,
      });
      return {
        datasetId: dataset.datasetId,
        datasetCreated: dataset.created,
        targetConnectionId: target.targetConnectionId,
        targetConnectionCreated: target.created,
      };
    },
  };
}
