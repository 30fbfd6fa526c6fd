/**
 * Hands each monitor its `runUpdates` message, many at once. Every signal carries a request id made from what it
 * says (the monitor, the runs and how they ended, the `lookNow` requests it answers): Temporal records a signal
 * once per request id for a workflow run, so an activity attempt that signalled and then died (a worker killed,
 * a heartbeat lost) sends the same messages again on retry and the server drops them instead of the monitor
 * hearing them twice. A message with other content (a run that ended in between) is a new signal, as it should be.
 */
import { createHash } from 'node:crypto';
import { heartbeat } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import { defaultPayloadConverter, WorkflowNotFoundError } from '@temporalio/common';
import { runUpdatesSignal, type RunUpdate } from '../../contracts/monitor-messages';

/** Monitors signalled at once: a look may wake thousands, and each signal is one short RPC. */
const signalConcurrency = 64;

export async function signalMonitors(
  client: Client,
  messages: Map<string, RunUpdate>,
): Promise<{ signalled: number; missing: string[] }> {
  const queue = [...messages];
  const missing: string[] = [];
  let signalled = 0;
  async function sendNext(): Promise<void> {
    for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
      const [workflowId, update] = next;
      try {
        await client.workflowService.signalWorkflowExecution({
          namespace: client.options.namespace,
          workflowExecution: { workflowId },
          signalName: runUpdatesSignal.name,
          input: { payloads: [defaultPayloadConverter.toPayload(update)] },
          identity: client.options.identity,
          requestId: messageRequestId(workflowId, update),
        });
        signalled += 1;
      } catch (error) {
        // Torn down, terminated or never started: its runs have nobody to tell. Anything else fails the look.
        if (!isWorkflowGone(error)) throw error;
        missing.push(workflowId);
      }
      if ((signalled + missing.length) % 50 === 0) heartbeat();
    }
  }
  await Promise.all(Array.from({ length: Math.min(signalConcurrency, queue.length) }, sendNext));
  return { signalled, missing };
}

/** The same message to the same monitor gets the same id, whenever and from whichever worker it is sent. */
export function messageRequestId(monitorWorkflowId: string, update: RunUpdate): string {
  const runs = update.runs.map((run) => `${run.id}:${run.outcome}`).sort();
  const answers = [...(update.answers ?? [])].sort();
  const content = JSON.stringify([monitorWorkflowId, runs, answers]);
  const hex = createHash('sha256').update(content).digest('hex');
  // Shaped as a UUID, as request ids usually are.
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

function isWorkflowGone(error: unknown): boolean {
  if (error instanceof WorkflowNotFoundError) return true;
  // The raw gRPC call surfaces NOT_FOUND as its status code.
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === 5;
}
