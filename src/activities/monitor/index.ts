/**
 * The dataflow monitor's activities, spread into the worker's activity set by src/activities/index.ts.
 * The workflow imports only the type `MonitorActivities`.
 */
import type { ActivityDependencies } from '../dependencies';
import { createAlertActivities } from './alerts';
import { createDataflowChangeActivities } from './dataflow-changes';
import { createInspectionActivities } from './inspect-dataflow';
import { createRunListingActivities } from './list-runs';
import { createResealActivities } from './reseal-secrets';
import { createTeardownActivities } from './teardown';
import { createTokenRotationActivities } from './token-rotation';

export function createMonitorActivities(deps: ActivityDependencies) {
  return {
    ...createRunListingActivities(deps),
    ...createTokenRotationActivities(deps),
    ...createDataflowChangeActivities(deps),
    ...createTeardownActivities(deps),
    ...createAlertActivities(deps),
    ...createResealActivities(deps),
    ...createInspectionActivities(deps),
  };
}

export type MonitorActivities = ReturnType<typeof createMonitorActivities>;
export type { ListRecentRunsInput, RunPage } from './list-runs';
export type {
  RotateOneTrustTokenInput,
  TokenRotationResult,
  MintOneTrustTokenInput,
  MintedToken,
  ClientCredentialsCheck,
} from './token-rotation';
export type { UpdateFlowSettingsInput, FlowPatchResult, PublishMappingVersionInput } from './dataflow-changes';
export type { DataflowResourceKind, DeleteDataflowResourceInput, DeleteDataflowResourceResult } from './teardown';
export type { SendAlertInput, SendAlertResult } from './alerts';
export type { LiveDataflow, LiveFlow, CompareWithSpecInput, SpecComparison } from './inspect-dataflow';
