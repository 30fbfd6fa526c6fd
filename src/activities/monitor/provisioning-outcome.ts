/**
 * How the provisioning that started a monitor beside its dataflow's create went. The monitor asks only when neither
 * the create's activity nor the provisioning told it within its wait (a provisioning terminated in between tells
 * neither); Temporal's record of that workflow is the answer, whichever worker asks.
 */
import type { ProvisioningOutcome } from '../../contracts/monitor-activities';
import type { ProvisionDataflowResult } from '../../contracts/provisioning-messages';
import type { ActivityDependencies } from '../dependencies';
import { temporalClientOf } from '../run-feed/temporal-client';

export function createProvisioningOutcomeActivities(deps: ActivityDependencies) {
  const temporal = temporalClientOf(deps);
  return {
    async provisioningOutcome(input: { provisioningWorkflowId: string }): Promise<ProvisioningOutcome> {
      const handle = temporal().workflow.getHandle(input.provisioningWorkflowId);
      const { status } = await handle.describe();
      if (status.name === 'RUNNING') return { status: 'running' };
      if (status.name !== 'COMPLETED') return { status: 'ended', how: status.name.toLowerCase().replace(/_/g, ' ') };
      const result = (await handle.result()) as ProvisionDataflowResult;
      return { status: 'succeeded', ids: result.ids, schedule: result.schedule };
    },
  };
}
