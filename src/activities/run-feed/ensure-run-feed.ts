/**
 * Starts a sandbox's run feed unless it already runs (`USE_EXISTING`): provisioning calls it before starting a
 * monitor, and monitors call it when they reconcile or find the feed missing. Idempotent by construction, so
 * retries and races between many monitors of one sandbox start exactly one feed.
 */
import type { Client } from '@temporalio/client';
import { WorkflowIdConflictPolicy } from '@temporalio/common';
import { DataflowSandbox } from '../../contracts/search-attributes';
import { runFeedWorkflowId } from '../../contracts/workflow-ids';
import { runFeedInput, type RunFeedSettings } from '../../contracts/run-feed-settings';

/**
 * Feeds this worker process started or found running in the last few seconds: ten thousand monitors starting
 * together would otherwise send ten thousand start calls for one workflow id, which the server serialises.
 */
const recentlyConfirmed = new Map<string, number>();
const confirmationTtlMs = 5_000;

export async function ensureRunFeed(
  sandbox: string,
  dependencies: { temporal: () => Client; settings: RunFeedSettings },
): Promise<{ workflowId: string; runId: string }> {
  const workflowId = runFeedWorkflowId(sandbox);
  const key = `${dependencies.settings.taskQueue}/${workflowId}`;
  const confirmedAt = recentlyConfirmed.get(key);
  if (confirmedAt !== undefined && Date.now() - confirmedAt < confirmationTtlMs) return { workflowId, runId: '' };
  const input = runFeedInput(sandbox, dependencies.settings);
  const handle = await dependencies.temporal().workflow.start('sandboxRunFeed', {
    workflowId,
    taskQueue: dependencies.settings.taskQueue,
    args: [input],
    workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
    typedSearchAttributes: [{ key: DataflowSandbox, value: sandbox }],
    staticSummary: `Run feed of sandbox ${sandbox}: lists its runs and hands each to its dataflow's monitor`,
  });
  if (recentlyConfirmed.size > 10_000) recentlyConfirmed.clear();
  recentlyConfirmed.set(key, Date.now());
  // With USE_EXISTING a running feed's run id comes back instead of a new one.
  return { workflowId, runId: handle.firstExecutionRunId };
}
