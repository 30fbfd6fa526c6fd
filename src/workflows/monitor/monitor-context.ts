/** What the monitor's parts share: its state, who it is, and the two things every part may need to do. */
import { ActivityFailure } from '@temporalio/workflow';
import type { DataflowMonitorInput } from '../../contracts/monitor-messages';
import type { AlertDraft } from './run-tracking';
import type { MonitorAction, MonitorState, WorkItem } from '../../contracts/monitor-state';

export interface MonitorContext {
  readonly workflowId: string;
  readonly input: DataflowMonitorInput;
  readonly state: MonitorState;
  /** Sends an alert (webhook or log) and records it as the last alert. */
  raise(draft: AlertDraft): Promise<void>;
  /** Queues work to be done in order, one item at a time. */
  enqueue(action: MonitorAction, source: WorkItem['source']): WorkItem;
  reconcileIntervalMs(): number;
  /** Shows the state now (Web UI details, DataflowState), e.g. while a long action is under way. */
  publish(): void;
}

/** The most useful line of a failure: an activity's own message rather than "Activity task failed". */
export function failureMessage(error: unknown): string {
  if (error instanceof ActivityFailure && error.cause) return error.cause.message;
  if (error instanceof Error) return error.message;
  return String(error);
}

export function isoNow(): string {
  return new Date(Date.now()).toISOString();
}
