/**
 * How `provision` gets one dataflow's provisioning workflow going, whether it was given one spec or many: find
 * what an earlier run left (done and watched, still running, or nothing usable), then start a new run if needed.
 */
import { WorkflowNotFoundError, type WorkflowHandleWithFirstExecutionRunId } from '@temporalio/client';
import type { ResolvedDataflowSpec } from '../config';
import type { provisionDataflow } from '../workflows/provision-dataflow';
import type { ProvisionDataflowInput } from '../contracts/provisioning-messages';
import { DataflowName, DataflowSandbox, DataflowStage } from '../contracts/search-attributes';
import { monitorWorkflowId, provisionWorkflowId } from '../contracts/workflow-ids';
import { provisionStaticDetails, provisionStaticSummary } from './provision-input';
import type { TemporalSession } from '../temporal/temporal-client';

export type EarlierProvisioning = { kind: 'none' } | { kind: 'running' } | { kind: 'provisioned' };

/**
 * A completed provisioning whose monitor is running means the dataflow exists and is watched. Otherwise
 * provisioning runs (again): its monitor was torn down, terminated, failed or is gone, or provisioning failed or
 * was stopped. A new run reuses every resource that is still there and starts a new monitor.
 */
export async function earlierProvisioning(
  session: TemporalSession,
  spec: ResolvedDataflowSpec,
): Promise<EarlierProvisioning> {
  const status = await workflowStatus(session, provisionWorkflowId(spec.sandbox, spec.name));
  if (status === 'RUNNING') return { kind: 'running' };
  if (status !== 'COMPLETED') return { kind: 'none' };
  const monitorStatus = await workflowStatus(session, monitorWorkflowId(spec.sandbox, spec.name));
  return monitorStatus === 'RUNNING' ? { kind: 'provisioned' } : { kind: 'none' };
}

async function workflowStatus(session: TemporalSession, workflowId: string): Promise<string | undefined> {
  try {
    return (await session.client.workflow.getHandle(workflowId).describe()).status.name;
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) return undefined;
    throw error;
  }
}

export function startProvisioningWorkflow(
  session: TemporalSession,
  spec: ResolvedDataflowSpec,
  input: ProvisionDataflowInput,
): Promise<WorkflowHandleWithFirstExecutionRunId<typeof provisionDataflow>> {
  // By name: the CLI never loads workflow code, only its type.
  return session.client.workflow.start<typeof provisionDataflow>('provisionDataflow', {
    workflowId: provisionWorkflowId(spec.sandbox, spec.name),
    taskQueue: session.taskQueue,
    args: [input],
    // A concurrent `provision` of the same spec joins this run instead of starting a second one.
    workflowIdConflictPolicy: 'USE_EXISTING',
    workflowIdReusePolicy: 'ALLOW_DUPLICATE',
    staticSummary: provisionStaticSummary(spec),
    staticDetails: provisionStaticDetails(spec),
    typedSearchAttributes: [
      { key: DataflowSandbox, value: spec.sandbox },
      { key: DataflowName, value: spec.name },
      { key: DataflowStage, value: 'starting' },
    ],
  });
}
