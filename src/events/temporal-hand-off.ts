/**
 * The receiver's hand-off to Temporal: each sandbox's events go to its run feed as one `flowRunEvents` signal. Once
 * the server has accepted the signal it is in the feed's history, durable: only then does the receiver answer 200.
 * The feed drops a redelivered event by its id and hands a run to its monitor once, however it arrived.
 *
 * A feed is only started for a sandbox this tool manages: the signal goes to the feed if it runs (the usual case:
 * provisioning and every monitor make sure of it). If it does not, one visibility query, limited to one result,
 * asks whether any dataflow monitor (`dataflow:<sandbox>:*`) runs; only then is the feed started (signal-with-start,
 * with the worker's feed settings). The answer is remembered briefly, so a burst for one sandbox asks once. Events
 * of an unmanaged sandbox start nothing and are reported back.
 *
 * Events of one sandbox that arrive close together go out as one signal (`gatherMs`, IO_EVENTS_GATHER_MS): the
 * first opens a short window, those arriving within it join, and every delivery in it is answered once that one
 * signal is accepted (or refused: then all of them get 503 and I/O Events sends them again). At a steady stream
 * this turns one signal (and one workflow task of the feed) per event into one per window.
 */
import type { Client } from '@temporalio/client';
import { WorkflowNotFoundError } from '@temporalio/common';
import { runFeedInput, type RunFeedSettings } from '../contracts/run-feed-settings';
import { flowRunEventsSignal, type PushedRunEvent } from '../contracts/run-feed-messages';
import { DataflowSandbox } from '../contracts/search-attributes';
import { monitorWorkflowId, runFeedWorkflowId } from '../contracts/workflow-ids';
import type { HandOff, HandOffReport } from './events-receiver';
import type { FlowRunEvent } from './flow-run-event';
import type { EventsReceiverLogger } from './receiver-logger';

/** How long whether a sandbox has a running monitor is remembered. */
export const managedSandboxRememberedMs = 30_000;
const largestRememberedSandboxes = 10_000;

export function temporalHandOff(options: {
  client: Client;
  /** Where a feed that is not running yet is started, and how it looks (the worker's RUN_FEED_* settings). */
  runFeed: RunFeedSettings;
  logger: EventsReceiverLogger;
  /** How long events of one sandbox are gathered into one signal; 0 sends each delivery's events at once. */
  gatherMs?: number;
  now?: () => number;
}): (...args: Parameters<HandOff>) => Promise<HandOffReport> {
  const now = options.now ?? Date.now;
  const gatherMs = options.gatherMs ?? 0;
  const managed = new Map<string, { managed: boolean; checkedAt: number }>();

  async function hasRunningMonitor(sandbox: string, signal: AbortSignal): Promise<boolean> {
    const known = managed.get(sandbox);
    if (known && now() - known.checkedAt < managedSandboxRememberedMs) return known.managed;
    const prefix = monitorWorkflowId(sandbox, '');
    const query = `WorkflowType = 'dataflowMonitor' AND WorkflowId STARTS_WITH ${quoted(prefix)} AND ExecutionStatus = 'Running'`;
    let found = false;
    await options.client.withAbortSignal(signal, async () => {
      for await (const execution of options.client.workflow.list({ query, pageSize: 1 })) {
        found = execution.workflowId.startsWith(prefix);
        break;
      }
    });
    if (managed.size >= largestRememberedSandboxes) managed.clear();
    managed.set(sandbox, { managed: found, checkedAt: now() });
    return found;
  }

  async function handToFeed(sandbox: string, events: PushedRunEvent[], signal: AbortSignal): Promise<boolean> {
    const workflowId = runFeedWorkflowId(sandbox);
    try {
      await options.client.withAbortSignal(signal, () =>
        options.client.workflow.getHandle(workflowId).signal(flowRunEventsSignal, { events }),
      );
      return true;
    } catch (error) {
      if (!isWorkflowGone(error)) throw error;
    }
    if (!(await hasRunningMonitor(sandbox, signal))) return false;
    await options.client.withAbortSignal(signal, () =>
      options.client.workflow.signalWithStart('sandboxRunFeed', {
        workflowId,
        taskQueue: options.runFeed.taskQueue,
        args: [runFeedInput(sandbox, options.runFeed)],
        signal: flowRunEventsSignal,
        signalArgs: [{ events }],
        typedSearchAttributes: [{ key: DataflowSandbox, value: sandbox }],
        staticSummary: `Run feed of sandbox ${sandbox}: lists its runs and hands each to its dataflow's monitor`,
      }),
    );
    return true;
  }

  /** Events of a sandbox waiting for their window to close, and the deliveries waiting on them. */
  const gathering = new Map<string, GatheredEvents>();

  function handToFeedGathered(sandbox: string, events: PushedRunEvent[], signal: AbortSignal): Promise<boolean> {
    if (gatherMs <= 0) return handToFeed(sandbox, events, signal);
    let batch = gathering.get(sandbox);
    if (batch === undefined) {
      // The first delivery's deadline is the earliest of the window: the signal must be accepted within it.
      const opened: GatheredEvents = { events: [], waiting: [], signal };
      gathering.set(sandbox, opened);
      setTimeout(() => {
        gathering.delete(sandbox);
        handToFeed(sandbox, opened.events, opened.signal).then(
          (handed) => opened.waiting.forEach((waiter) => waiter.resolve(handed)),
          (error: unknown) => opened.waiting.forEach((waiter) => waiter.reject(error)),
        );
      }, gatherMs);
      batch = opened;
    }
    batch.events.push(...events);
    return new Promise((resolve, reject) => batch.waiting.push({ resolve, reject }));
  }

  return async (events, { signal }): Promise<HandOffReport> => {
    const bySandbox = new Map<string, PushedRunEvent[]>();
    for (const event of events) {
      if (event.sandboxName === undefined) {
        // Nothing says where it belongs; the feeds' own listing still finds the run.
        options.logger.warn('flow-run event without a sandbox name: left to the run feed’s listing', {
          eventId: event.eventId,
          flowId: event.flowId,
        });
        continue;
      }
      bySandbox.set(event.sandboxName, [...(bySandbox.get(event.sandboxName) ?? []), pushedEvent(event)]);
    }
    const report: HandOffReport = { handedOn: 0, unmanaged: [] };
    await Promise.all(
      [...bySandbox].map(async ([sandbox, sandboxEvents]) => {
        if (await handToFeedGathered(sandbox, sandboxEvents, signal)) report.handedOn += sandboxEvents.length;
        else report.unmanaged.push({ sandbox, eventIds: sandboxEvents.map((event) => event.eventId) });
      }),
    );
    return report;
  };
}

interface GatheredEvents {
  events: PushedRunEvent[];
  waiting: Array<{ resolve: (handed: boolean) => void; reject: (error: unknown) => void }>;
  signal: AbortSignal;
}

function pushedEvent(event: FlowRunEvent): PushedRunEvent {
  return {
    eventId: event.eventId,
    runId: event.runId,
    flowId: event.flowId,
    outcome: event.outcome,
    ...(event.run !== undefined ? { run: event.run } : {}),
  };
}

/** A visibility query string literal. */
function quoted(text: string): string {
  return `'${text.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

function isWorkflowGone(error: unknown): boolean {
  if (error instanceof WorkflowNotFoundError) return true;
  // Over a native connection the client may surface the raw gRPC NOT_FOUND.
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === 5;
}
