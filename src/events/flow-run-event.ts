import type { PushedRunFacts } from '../contracts/run-feed-messages';

/** One flow-run notification from Adobe I/O Events, whichever envelope it came in, as the rest of the product sees it. */
export type FlowRunOutcome = 'started' | 'succeeded' | 'failed';

export interface FlowRunEvent {
  /** I/O Events' event id: the same on every redelivery of the event, so it identifies duplicates. */
  eventId: string;
  /** As Adobe sent it, e.g. sources_flow_run_success. */
  eventCode: string;
  outcome: FlowRunOutcome;
  runId: string;
  flowId: string;
  sandboxName?: string;
  organizationId?: string;
  /** The client id the event was meant for, when the payload names one. */
  recipientClientId?: string;
  /** The finished run as the event describes it, when it carries usable metrics (see run-facts.ts). */
  run?: PushedRunFacts;
}
