/**
 * The pull path's switch: with IO_EVENTS_JOURNAL_URL set (the journal URL of a "Sources flow run" registration in
 * the Developer Console), the worker makes sure one eventsJournal workflow reads it. Starting is idempotent
 * (USE_EXISTING), so every worker of a fleet can do it at start-up.
 */
import { WorkflowIdConflictPolicy } from '@temporalio/common';
import type { Client } from '@temporalio/client';
import { isLoopbackHost } from '../aep/events-journal';
import type { EventsJournalInput } from '../contracts/events-journal-messages';
import { eventsJournalWorkflowId } from '../contracts/workflow-ids';

/**
 * IO_EVENTS_JOURNAL_URL, checked: an https URL (http only to a loopback host: the simulator, tests), or undefined
 * when the pull path is off. The organisation's token is sent to it.
 */
export function eventsJournalUrlFromEnv(env: NodeJS.ProcessEnv): string | undefined {
  const text = env.IO_EVENTS_JOURNAL_URL?.trim();
  if (!text) return undefined;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new Error(`IO_EVENTS_JOURNAL_URL must be the journal URL from the Developer Console (got "${text}")`);
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && isLoopbackHost(url.hostname))) {
    throw new Error(`IO_EVENTS_JOURNAL_URL must be an https URL (http only to a loopback host; got "${text}")`);
  }
  return url.toString();
}

export async function startEventsJournal(
  client: Client,
  settings: { journalUrl: string; taskQueue: string; longestEmptyWaitMs?: number },
): Promise<string> {
  const workflowId = eventsJournalWorkflowId(settings.journalUrl);
  await client.workflow.start('eventsJournal', {
    workflowId,
    taskQueue: settings.taskQueue,
    args: [
      {
        journalUrl: settings.journalUrl,
        runFeedTaskQueue: settings.taskQueue,
        ...(settings.longestEmptyWaitMs !== undefined ? { longestEmptyWaitMs: settings.longestEmptyWaitMs } : {}),
      } satisfies EventsJournalInput,
    ],
    workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
    staticSummary: 'Reads the Adobe I/O Events journal and hands flow-run events to the run feeds',
  });
  return workflowId;
}
