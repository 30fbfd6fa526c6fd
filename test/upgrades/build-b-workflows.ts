/**
 * The workflow bundle of "build B" in the upgrade tests: the real workflows of src/workflows, except that
 * dataflowMonitor ships a change gated with patched(), as a release that changes a long-lived workflow must.
 * The change is observable: the run records, in its memo, the build that took the patched branch.
 */
import { patched, setWorkflowOptions, upsertMemo, workflowInfo } from '@temporalio/workflow';
import type { WorkflowDefinitionOptionsOrGetter } from '@temporalio/common';
import { dataflowMonitor as dataflowMonitorOfBuildA } from '../../src/workflows/dataflow-monitor';
import type { DataflowMonitorInput, DataflowMonitorResult } from '../../src/contracts/monitor-messages';

export { provisionDataflow } from '../../src/workflows/provision-dataflow';
export { sandboxRunFeed } from '../../src/workflows/sandbox-run-feed';

/** The patch id of build B's change, and the memo key its branch writes. */
export const buildBPatchId = 'upgrade-test-build-b';
export const buildBMemoKey = 'patchedBranchRanOn';

/** Same workflow type name (`dataflowMonitor`) as build A's. */
export async function dataflowMonitor(input: DataflowMonitorInput): Promise<DataflowMonitorResult> {
  if (patched(buildBPatchId)) {
    upsertMemo({ [buildBMemoKey]: workflowInfo().currentDeploymentVersion?.buildId ?? 'an unversioned worker' });
  }
  return dataflowMonitorOfBuildA(input);
}

// The same versioning behavior as the real monitor declares (whatever that is): the test checks the policy.
setWorkflowOptions(
  (dataflowMonitorOfBuildA as unknown as { workflowDefinitionOptions: WorkflowDefinitionOptionsOrGetter })
    .workflowDefinitionOptions,
  dataflowMonitor,
);
