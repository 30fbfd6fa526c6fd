/**
 * The dataflow monitor's activities, spread into the worker's activity set by src/activities/index.ts.
 * The workflow sees them as contracts' `MonitorActivities`.
 */
import type { MonitorActivities } from '../../contracts/monitor-activities';
import type { ActivityDependencies } from '../dependencies';
import { createAlertActivities } from './alerts';
import { createDataflowChangeActivities } from './dataflow-changes';
import { createInspectionActivities } from './inspect-dataflow';
import { createProvisioningOutcomeActivities } from './provisioning-outcome';
import { createRunListingActivities } from './list-runs';
import { createResealActivities } from './reseal-secrets';
import { createTeardownActivities } from './teardown';
import { createTokenRotationActivities } from './token-rotation';

export function createMonitorActivities(deps: ActivityDependencies): MonitorActivities {
  return {
    ...createRunListingActivities(deps),
    ...createTokenRotationActivities(deps),
    ...createDataflowChangeActivities(deps),
    ...createTeardownActivities(deps),
    ...createAlertActivities(deps),
    ...createResealActivities(deps),
    ...createInspectionActivities(deps),
    ...createProvisioningOutcomeActivities(deps),
  };
}
