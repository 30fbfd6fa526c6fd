/**
 * The receiver's hand-off to Temporal: each sandbox's events go to its run feed as one `flowRunEvents` signal
 * (signal-with-start, so a sandbox whose feed is not running yet gets one). Once the server has accepted the
 * signal it is in the feed's history, durable: only then does the receiver answer 200. The feed drops a
 * redelivered event by its id and hands a run to its monitor once, however it arrived.
 */
import type { Client } from '@temporalio/client';
import { flowRunEventsSignal, type PushedRunEvent, type SandboxRunFeedInput } from '../contracts/run-feed-messages';
import { DataflowSandbox } from '../contracts/search-attributes';
import { runFeedWorkflowId } from '../contracts/workflow-ids';
import type { HandOff } from './events-receiver';
import type { FlowRunEvent } from './flow-run-event';
import type { EventsReceiverLogger } from './receiver-logger';

export function temporalHandOff(options: {
  client: Client;
  /** The run feeds' task queue (RUN_FEED_TASK_QUEUE, else TASK_QUEUE), for a feed that is not running yet. */
  runFeedTaskQueue: string;
  logger: EventsReceiverLogger;
}): HandOff {
  return async (events, { signal }) => {
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
    await Promise.all(
      [...bySandbox].map(([sandbox, sandboxEvents]) =>
        options.client.withAbortSignal(signal, () =>
          options.client.workflow.signalWithStart('sandboxRunFeed', {
            workflowId: runFeedWorkflowId(sandbox),
            taskQueue: options.runFeedTaskQueue,
            args: [{ sandbox } satisfies SandboxRunFeedInput],
            signal: flowRunEventsSignal,
            signalArgs: [{ events: sandboxEvents }],
            typedSearchAttributes: [{ key: DataflowSandbox, value: sandbox }],
            staticSummary: `Run feed of sandbox ${sandbox}: lists its runs and hands each to its dataflow's monitor`,
          }),
        ),
      ),
    );
  };
}

function pushedEvent(event: FlowRunEvent): PushedRunEvent {
  return { eventId: event.eventId, runId: event.runId, flowId: event.flowId, outcome: event.outcome };
}
