/**
 * Provisioning's activities (the survey, one step per resource, the rollback's deletes), spread into the worker's
 * activity set by src/activities/index.ts. The workflow sees them as contracts' `ProvisioningActivities`.
 */
import type { ProvisioningActivities } from '../contracts/provisioning-activities';
import { createCatalogActivities } from './catalog';
import { createDataPrepActivities } from './data-prep';
import { createDatasetAndTargetConnectionActivities } from './dataset-and-target-connection';
import type { ActivityDependencies } from './dependencies';
import { createExistingResourceActivities } from './existing-resources';
import { createFlowServiceActivities } from './flow-service';
import { createSchemaRegistryActivities } from './schema-registry';

export function createProvisioningActivities(deps: ActivityDependencies): ProvisioningActivities {
  return {
    ...createExistingResourceActivities(deps),
    ...createFlowServiceActivities(deps),
    ...createSchemaRegistryActivities(deps),
    ...createCatalogActivities(deps),
    ...createDatasetAndTargetConnectionActivities(deps),
    ...createDataPrepActivities(deps),
  };
}
