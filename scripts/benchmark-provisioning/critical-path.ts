/**
 * Where one provisioning's time goes, along its critical path: the five AEP calls in a row (field group, schema,
 * dataset, target connection, dataflow) in three activities, and Temporal's part before, between and after them.
 * Measured from the history's timestamps (the server's clock) and the simulator's log of when each call arrived
 * (the same machine's clock), so every segment of every run is a difference of two recorded instants.
 */
import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import type { SimulatorAdmin } from '../../test/harness/simulator-admin';

export interface CriticalPathSegment {
  key: string;
  /** What the segment is, for the table. */
  label: string;
}

export const criticalPathSegments: readonly CriticalPathSegment[] = [
  { key: 'start', label: 'Workflow start → the field group create leaves (first workflow task, eager activity)' },
  { key: 'schema', label: 'Target schema activity: field group and schema creates, to its completion' },
  { key: 'firstHop', label: 'Its completion → the dataset create leaves (one workflow task)' },
  { key: 'dataset', label: 'Dataset and target connection activity: two creates, to its completion' },
  { key: 'secondHop', label: 'Its completion → the dataflow create leaves (one workflow task)' },
  { key: 'dataflow', label: 'Dataflow activity: its create, to its completion' },
  { key: 'end', label: 'Its completion → workflow closed (one workflow task; two and the monitor’s start before)' },
];

/** The segments of one provisioning, in milliseconds. */
export async function measureCriticalPath(
  client: Client,
  admin: SimulatorAdmin,
  workflowId: string,
  sandbox: string,
): Promise<Record<string, number>> {
  const { events } = await client.workflow.getHandle(workflowId).fetchHistory();
  const origin = eventMillis(events?.[0]);
  const activityTypes = new Map<string, string>();
  const completedAt = new Map<string, number>();
  for (const event of events ?? []) {
    const scheduled = event.activityTaskScheduledEventAttributes;
    if (scheduled) activityTypes.set(String(event.eventId), scheduled.activityType?.name ?? '');
    const completed = event.activityTaskCompletedEventAttributes;
    if (completed) completedAt.set(activityTypes.get(String(completed.scheduledEventId)) ?? '', eventMillis(event));
  }
  const requests = await admin.requests(sandbox);
  const createLeft = (pathEnd: string): number => {
    const request = requests.find((entry) => entry.method === 'POST' && entry.path.endsWith(pathEnd));
    if (!request) throw new Error(`no POST …${pathEnd} in the simulator's log for ${sandbox}`);
    return Date.parse(request.time);
  };
  const activityCompleted = (activityType: string): number => {
    const at = completedAt.get(activityType);
    if (at === undefined) throw new Error(`no completed ${activityType} in ${workflowId}'s history`);
    return at;
  };
  const fieldGroup = createLeft('/tenant/fieldgroups');
  const dataset = createLeft('/dataSets');
  const dataflow = createLeft('/flowservice/flows');
  const schemaDone = activityCompleted('ensureTargetSchema');
  const datasetDone = activityCompleted('ensureDatasetAndTargetConnection');
  const dataflowDone = activityCompleted('ensureDataflow');
  return {
    start: fieldGroup - origin,
    schema: schemaDone - fieldGroup,
    firstHop: dataset - schemaDone,
    dataset: datasetDone - dataset,
    secondHop: dataflow - datasetDone,
    dataflow: dataflowDone - dataflow,
    end: eventMillis(events?.at(-1)) - dataflowDone,
  };
}

/** A history event's time in epoch milliseconds (the server's clock). */
export function eventMillis(event: temporal.api.history.v1.IHistoryEvent | undefined): number {
  return Number(event?.eventTime?.seconds ?? 0) * 1000 + (event?.eventTime?.nanos ?? 0) / 1e6;
}
