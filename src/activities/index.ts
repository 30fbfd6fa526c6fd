/**
 * Every activity the worker registers, built over injected clients (so tests can point them at the simulator).
 * Workflows import only the type `Activities` from here.
 */
import { scopedToActivities } from './activity-call-scope';
import { createCatalogActivities } from './catalog';
import { createDataPrepActivities } from './data-prep';
import type { ActivityDependencies } from './dependencies';
import { createExistingResourceActivities } from './existing-resources';
import { createFlowServiceActivities } from './flow-service';
import { createMonitorActivities } from './monitor';
import { createPlanActivities } from './plan/plan-dataflow';
import { createRunFeedActivities } from './run-feed';
import { createSchemaRegistryActivities } from './schema-registry';

export function createActivities(dependencies: ActivityDependencies) {
  const deps: ActivityDependencies = { ...dependencies, aep: scopedToActivities(dependencies.aep) };
  return {
    ...createExistingResourceActivities(deps),
    ...createFlowServiceActivities(deps),
    ...createSchemaRegistryActivities(deps),
    ...createCatalogActivities(deps),
    ...createDataPrepActivities(deps),
    ...createMonitorActivities(deps),
    ...createRunFeedActivities(deps),
    ...createPlanActivities(deps),
  };
}

export type Activities = ReturnType<typeof createActivities>;
export type { ActivityDependencies, WebhookSender } from './dependencies';
export type { DataflowRef } from './dataflow-ref';
export type { ExistingResources } from './existing-resources';
export type { ExplorePreviewSummary, DataflowCreated } from './flow-service';
export type { TargetSchemaResult } from './schema-registry';
export type { AepFailureDetails } from './aep-failure';
export type { DataflowPlan, PlanDataflowInput, PlannedResource, PlannedAction } from './plan/plan-dataflow';
