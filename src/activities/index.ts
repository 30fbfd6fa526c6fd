/**
 * Every activity the worker registers, built over injected clients (so tests can point them at the simulator).
 * Workflows import none of it: they see the activities through their interfaces in src/contracts.
 */
import { scopedToActivities } from './activity-call-scope';
import type { ActivityDependencies } from './dependencies';
import { heartbeatingWhileRunning } from './heartbeat-while-running';
import { createMonitorActivities } from './monitor';
import { createPlanActivities } from './plan/plan-dataflow';
import { createProvisioningActivities } from './provisioning';
import { createRunFeedActivities } from './run-feed';

export function createActivities(dependencies: ActivityDependencies) {
  const deps: ActivityDependencies = { ...dependencies, aep: scopedToActivities(dependencies.aep) };
  return {
    // Provisioning schedules its steps with a heartbeat timeout: a step lost with its worker is retried in 30 s.
    ...heartbeatingWhileRunning(createProvisioningActivities(deps)),
    ...createMonitorActivities(deps),
    ...createRunFeedActivities(deps),
    ...createPlanActivities(deps),
  };
}

export type Activities = ReturnType<typeof createActivities>;
export type { ActivityDependencies, WebhookSender } from './dependencies';
export type { AepFailureDetails } from './aep-failure';
/** Every worker registers it: an attempt's deadline counts from its start (attempt-start.ts). */
export { recordAttemptStart } from './attempt-start';
