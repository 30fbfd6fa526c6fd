/**
 * What the workflow histories of one design say about a measurement window: history events and workflow tasks
 * recorded in it, for every run, when its monitor first knew that it had finished (the workflow task that
 * processed the message or the activity result carrying it), the runs the feed handed on more than once, the
 * tasks each worker took, and the workflows cached on a worker SIGKILLed on purpose (./carry-on.ts).
 */
import type { Client } from '@temporalio/client';
import { payloadValue } from '../../test/harness/history-payloads';
import { runUpdateOf, type HistoryEvent } from '../../test/harness/run-update-signals';
import { cachedOnKilled, type CachedOnKilled, type WorkerKill } from './carry-on';
import { eventTimeMs } from './event-time';

export interface LearnedRun {
  monitorWorkflowId: string;
  learnedAtMs: number;
  completedAtMs?: number;
  outcome: string;
}

export interface HistoryFigures {
  executions: number;
  eventsInWindow: number;
  workflowTasksInWindow: number;
  /** First time each finished run was known to its monitor. */
  learned: Map<string, LearnedRun>;
  /** The largest payload in any history (workflow input, activity input or result, signal), in bytes. */
  largestPayloadBytes: number;
  /**
   * Finished runs that reached their monitor in more than one `runUpdates` message (answers to `lookNow` aside):
   * with push, a run both pushed and listed by a look would show here. Monitors recognise runs by id, so this is
   * wasted work rather than a double alert, but the feed promises to hand each run on once.
   */
  runsHandedOnTwice: number;
  /** Tasks each worker identity (`pid@host`) started over the whole benchmark. */
  tasksByWorker: Map<string, WorkerTasks>;
  /** Executions open and cached on the killed worker when it was killed; empty without a kill. */
  cachedOnKilled: CachedOnKilled[];
}

export interface WorkerTasks {
  workflowTasks: number;
  /** Activity tasks (not local activities: those run inside a workflow task). A retried one counts its last attempt. */
  activityTasks: number;
}

const runListingActivities = new Set(['listRecentRuns', 'reconcileRuns']);

export async function readHistories(
  client: Client,
  taskQueue: string,
  window: { fromMs: number; toMs: number },
  onProgress?: (done: number) => void,
  /** The worker killed on purpose, and the instant after which a task not yet completed no longer counts as waiting. */
  kill?: WorkerKill & { waitingUntilMs: number },
): Promise<HistoryFigures> {
  const executions: Array<{ workflowId: string; runId: string }> = [];
  for await (const execution of client.workflow.list({ query: `TaskQueue = '${taskQueue}'` })) {
    executions.push({ workflowId: execution.workflowId, runId: execution.runId });
  }
  const figures: HistoryFigures = {
    executions: executions.length,
    eventsInWindow: 0,
    workflowTasksInWindow: 0,
    learned: new Map(),
    largestPayloadBytes: 0,
    runsHandedOnTwice: 0,
    tasksByWorker: new Map(),
    cachedOnKilled: [],
  };
  const handOns = new Map<string, number>();
  let next = 0;
  let done = 0;
  const readNext = async (): Promise<void> => {
    for (let index = next++; index < executions.length; index = next++) {
      const { workflowId, runId } = executions[index]!;
      const history = await client.workflow.getHandle(workflowId, runId).fetchHistory();
      const events = history.events ?? [];
      analyse(workflowId, events, window, figures, handOns);
      const cached = kill ? cachedOnKilled(workflowId, events, kill, kill.waitingUntilMs) : undefined;
      if (cached) figures.cachedOnKilled.push(cached);
      done += 1;
      if (done % 500 === 0) onProgress?.(done);
    }
  };
  await Promise.all(Array.from({ length: 16 }, readNext));
  figures.runsHandedOnTwice = [...handOns.values()].filter((count) => count > 1).length;
  return figures;
}

function analyse(
  workflowId: string,
  events: HistoryEvent[],
  window: { fromMs: number; toMs: number },
  figures: HistoryFigures,
  handOns: Map<string, number>,
): void {
  const activityTypes = new Map<string, string>();
  /** Runs carried by an event, waiting for the workflow task that processes them. */
  let pending: Array<{ id: string; completedAt?: string; outcome: string }> = [];
  for (const event of events) {
    const at = eventTimeMs(event);
    const inWindow = at >= window.fromMs && at <= window.toMs;
    if (inWindow) figures.eventsInWindow += 1;
    figures.largestPayloadBytes = Math.max(figures.largestPayloadBytes, largestPayload(event));
    countTaskStarted(event, figures.tasksByWorker);
    if (event.workflowTaskCompletedEventAttributes) {
      if (inWindow) figures.workflowTasksInWindow += 1;
      for (const run of pending) {
        if (figures.learned.has(run.id)) continue;
        figures.learned.set(run.id, {
          monitorWorkflowId: workflowId,
          learnedAtMs: at,
          ...(run.completedAt ? { completedAtMs: Date.parse(run.completedAt) } : {}),
          outcome: run.outcome,
        });
      }
      pending = [];
    }
    const scheduled = event.activityTaskScheduledEventAttributes;
    if (scheduled?.activityType?.name) activityTypes.set(String(event.eventId), scheduled.activityType.name);
    const update = runUpdateOf(event);
    if (update) {
      const runs = finishedRuns(update.runs);
      pending.push(...runs);
      // A `lookNow` answer repeats runs on purpose; only unasked messages count as hand-ons.
      if ((update.answers ?? []).length === 0) {
        for (const run of runs) handOns.set(run.id, (handOns.get(run.id) ?? 0) + 1);
      }
    }
    // A reconcile (a local activity since this version: its result is in a marker).
    const marker = event.markerRecordedEventAttributes;
    if (marker) {
      for (const entry of Object.values(marker.details ?? {})) {
        for (const payload of entry.payloads ?? []) {
          const result = payloadValue(payload) as { runs?: RunLike[] } | undefined;
          if (result && Array.isArray(result.runs)) pending.push(...finishedRuns(result.runs));
        }
      }
    }
    const completed = event.activityTaskCompletedEventAttributes;
    if (completed && runListingActivities.has(activityTypes.get(String(completed.scheduledEventId)) ?? '')) {
      const result = payloadValue(completed.result?.payloads?.[0]) as { runs?: RunLike[] } | RunLike[] | undefined;
      pending.push(...finishedRuns(Array.isArray(result) ? result : result?.runs));
    }
  }
}

interface RunLike {
  id: string;
  outcome: string;
  completedAt?: string;
}

function finishedRuns(runs: RunLike[] | undefined): RunLike[] {
  return (runs ?? []).filter((run) => run.outcome !== 'running');
}

function largestPayload(event: HistoryEvent): number {
  const payloadLists = [
    event.workflowExecutionStartedEventAttributes?.input,
    event.activityTaskScheduledEventAttributes?.input,
    event.activityTaskCompletedEventAttributes?.result,
    event.workflowExecutionSignaledEventAttributes?.input,
    event.workflowExecutionContinuedAsNewEventAttributes?.input,
  ];
  let largest = 0;
  for (const list of payloadLists) {
    for (const payload of list?.payloads ?? []) largest = Math.max(largest, payload.data?.length ?? 0);
  }
  return largest;
}

function countTaskStarted(event: HistoryEvent, tasksByWorker: Map<string, WorkerTasks>): void {
  const workflowTask = event.workflowTaskStartedEventAttributes;
  const activityTask = event.activityTaskStartedEventAttributes;
  const identity = workflowTask?.identity ?? activityTask?.identity;
  if (!identity) return;
  const tasks = tasksByWorker.get(identity) ?? { workflowTasks: 0, activityTasks: 0 };
  if (workflowTask) tasks.workflowTasks += 1;
  else tasks.activityTasks += 1;
  tasksByWorker.set(identity, tasks);
}
