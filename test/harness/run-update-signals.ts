/**
 * What the run feed handed to monitors, counted where it was sent: the finished runs in every `runUpdates` signal
 * recorded in the monitors' histories, across every run (continue-as-new generation) of each monitor workflow id.
 * A monitor's own counters cannot show a run handed on twice (it drops a run id it already settled); these can.
 */
import type { Client } from '@temporalio/client';
import type { temporal } from '@temporalio/proto';
import { runUpdatesSignal, type RunUpdate } from '../../src/contracts/monitor-messages';
import { payloadValue } from './history-payloads';

export type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

/** One `runUpdates` signal as its monitor's history recorded it. */
export interface RecordedRunUpdate {
  workflowId: string;
  /** The run (generation) of the monitor that received it. */
  executionRunId: string;
  eventId: number;
  update: RunUpdate;
}

/** The message of a `runUpdates` signal event; undefined for any other event. */
export function runUpdateOf(event: HistoryEvent): RunUpdate | undefined {
  const signal = event.workflowExecutionSignaledEventAttributes;
  if (signal?.signalName !== runUpdatesSignal.name) return undefined;
  const update = payloadValue(signal.input?.payloads?.[0]) as RunUpdate | undefined;
  return update && Array.isArray(update.runs) ? update : undefined;
}

/** The ids of the finished runs (success or failed) a message hands on; runs in progress hand nothing on. */
export function finishedRunIds(update: Pick<RunUpdate, 'runs'>): string[] {
  return update.runs.filter((run) => run.outcome !== 'running').map((run) => run.id);
}

/**
 * Every run of a workflow id with its history: those visibility lists, the current one, and whatever their
 * continue-as-new links lead to (visibility may lag behind the newest generation; the links do not).
 */
export async function executionHistories(
  client: Client,
  workflowId: string,
): Promise<Array<{ executionRunId: string; events: HistoryEvent[] }>> {
  const toRead = new Set<string>();
  const query = `WorkflowId = '${workflowId.replace(/'/g, "\\'")}'`;
  for await (const execution of client.workflow.list({ query })) toRead.add(execution.runId);
  toRead.add((await client.workflow.getHandle(workflowId).describe()).runId);
  const histories = new Map<string, HistoryEvent[]>();
  for (let next = unread(toRead, histories); next !== undefined; next = unread(toRead, histories)) {
    const events = (await client.workflow.getHandle(workflowId, next).fetchHistory()).events ?? [];
    histories.set(next, events);
    const previous = events[0]?.workflowExecutionStartedEventAttributes?.continuedExecutionRunId;
    const following = events.at(-1)?.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId;
    if (previous) toRead.add(previous);
    if (following) toRead.add(following);
  }
  return [...histories].map(([executionRunId, events]) => ({ executionRunId, events }));
}

function unread(runIds: Set<string>, read: Map<string, unknown>): string | undefined {
  for (const runId of runIds) if (!read.has(runId)) return runId;
  return undefined;
}

/** Every `runUpdates` signal the given monitors received, in every generation, oldest first per execution. */
export async function runUpdateSignals(client: Client, monitorWorkflowIds: string[]): Promise<RecordedRunUpdate[]> {
  const recorded: RecordedRunUpdate[] = [];
  for (const workflowId of monitorWorkflowIds) {
    for (const { executionRunId, events } of await executionHistories(client, workflowId)) {
      for (const event of events) {
        const update = runUpdateOf(event);
        if (update) recorded.push({ workflowId, executionRunId, eventId: Number(event.eventId), update });
      }
    }
  }
  return recorded;
}

/** How many `runUpdates` signals, across the given monitors and all their generations, named each finished run. */
export async function handOnCounts(client: Client, monitorWorkflowIds: string[]): Promise<Map<string, number>> {
  return countHandOns(await runUpdateSignals(client, monitorWorkflowIds));
}

export function countHandOns(signals: ReadonlyArray<Pick<RecordedRunUpdate, 'update'>>): Map<string, number> {
  const counts = new Map<string, number>();
  for (const { update } of signals) {
    for (const id of finishedRunIds(update)) counts.set(id, (counts.get(id) ?? 0) + 1);
  }
  return counts;
}

/** Compares the counts with the runs that should have been handed on: those never named, and those named more than once. */
export function handOnDiscrepancies(
  counts: ReadonlyMap<string, number>,
  expectedRunIds: Iterable<string>,
): { missing: string[]; twice: Array<[runId: string, times: number]>; unexpected: string[] } {
  const expected = new Set(expectedRunIds);
  return {
    missing: [...expected].filter((id) => !counts.has(id)),
    twice: [...counts].filter(([, times]) => times > 1),
    unexpected: [...counts.keys()].filter((id) => !expected.has(id)),
  };
}
