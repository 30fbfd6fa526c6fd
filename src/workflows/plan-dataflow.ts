/**
 * planDataflow: what provisioning a spec would do, read from AEP by one read-only activity (the CLI has no AEP
 * credentials; the worker does). Short-lived; nothing is written, so there is nothing to undo.
 */
import * as wf from '@temporalio/workflow';
import type { DataflowPlan, PlanActivities, PlanDataflowInput } from '../contracts/plan-activities';

const { planDataflowChanges } = wf.proxyActivities<PlanActivities>({
  startToCloseTimeout: '2m',
  retry: { initialInterval: '1s', maximumInterval: '10s', maximumAttempts: 5 },
});

export async function planDataflow(input: PlanDataflowInput): Promise<DataflowPlan> {
  return planDataflowChanges.executeWithOptions(
    { summary: `plan ${input.dataflow.sandbox}/${input.dataflow.name} (read only)` },
    [input],
  );
}
