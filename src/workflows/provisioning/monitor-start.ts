/**
 * Starting the dataflow's monitor from provisioning, as an abandoned child on the same build. It starts before its
 * flow exists, once the survey has ended (`monitor-started-when-the-survey-ends`; in the workflow task that scheduled
 * the dataflow's create, for provisionings started on the release before), and waits for its flow
 * (monitor/awaited-dataflow.ts): its start, its first workflow task and the run feed's check fall in the build's AEP
 * calls, and provisioning closes one workflow task after its last create. Before those, it started once everything
 * was built, on the critical path.
 */
import * as wf from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import type { DataflowDescriptor, DataflowIds } from '../../contracts/dataflow-types';
import { parseDuration } from '../../contracts/durations';
import type { ProvisionDataflowInput } from '../../contracts/provisioning-messages';
import { DataflowName, DataflowSandbox, DataflowState } from '../../contracts/search-attributes';
import { monitorWorkflowId } from '../../contracts/workflow-ids';
import { defaultStepRetryTimeout } from './activity-options';

export interface MonitorStart {
  workflowId: string;
  /** Provisioning the same spec again: its monitor was already watching the dataflow. */
  alreadyRunning: boolean;
}

/** The ids built so far; the rest are empty until the dataflow step's activity tells the monitor all of them. */
export function idsSoFar(ids: Partial<DataflowIds>): DataflowIds {
  return {
    baseConnectionId: '',
    sourceConnectionId: '',
    fieldGroupId: '',
    schemaId: '',
    schemaAltId: '',
    datasetId: '',
    targetConnectionId: '',
    mappingSetId: '',
    mappingVersion: 0,
    flowId: '',
    ...ids,
  };
}

/** What the monitor watches: everything provisioning built, with the schedule AEP holds. */
export function monitorDescriptor(
  input: ProvisionDataflowInput,
  ids: DataflowIds,
  schedule: DataflowDescriptor['schedule'],
): DataflowDescriptor {
  return {
    sandbox: input.sandbox,
    name: input.name,
    ids,
    schedule,
    oneTrust: input.oneTrust,
    ...(input.alerts ? { alerts: input.alerts } : {}),
    ...(input.monitor ? { monitor: input.monitor } : {}),
  };
}

/**
 * Starts the monitor. `awaitsDataflowFrom` (this provisioning's id) starts it before the flow exists: its
 * descriptor has no flow id yet and the schedule the spec asked for, and it waits to be told them.
 */
export async function startMonitor(
  input: ProvisionDataflowInput,
  descriptor: DataflowDescriptor,
  awaitsDataflowFrom?: string,
): Promise<MonitorStart> {
  const childId = monitorWorkflowId(input.sandbox, input.name);
  try {
    await wf.startChild('dataflowMonitor', {
      workflowId: childId,
      ...(input.monitorTaskQueue ? { taskQueue: input.monitorTaskQueue } : {}),
      args: [
        {
          dataflow: descriptor,
          ...(awaitsDataflowFrom
            ? { awaitsDataflowFrom, awaitDataflowLimitMs: awaitDataflowLimitMs(input.activityTiming) }
            : {}),
        },
      ],
      parentClosePolicy: wf.ParentClosePolicy.ABANDON,
      typedSearchAttributes: [
        { key: DataflowSandbox, value: input.sandbox },
        { key: DataflowName, value: input.name },
        { key: DataflowState, value: 'healthy' },
      ],
      staticSummary: `OneTrust dataflow ${input.name} in sandbox ${input.sandbox}`,
    });
  } catch (error) {
    if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
    return { workflowId: childId, alreadyRunning: true };
  }
  return { workflowId: childId, alreadyRunning: false };
}

/**
 * How long a monitor started beside the create waits before it asks how the provisioning went: half as long again
 * as the dataflow step may retry, so it asks only when the provisioning was stopped from outside.
 */
function awaitDataflowLimitMs(timing: ProvisionDataflowInput['activityTiming']): number {
  const window = timing?.stepRetryTimeout ?? defaultStepRetryTimeout;
  const windowMs = typeof window === 'number' ? window : (parseDuration(window) ?? 10 * 60_000);
  return Math.max(1_000, Math.round(windowMs * 1.5));
}
