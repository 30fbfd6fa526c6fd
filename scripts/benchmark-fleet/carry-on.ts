/**
 * What one history says about a worker SIGKILLed on purpose: whether the workflow was cached on it (the last
 * workflow task started before the kill was that worker's: its next tasks went to that worker's sticky queue,
 * which nobody polls any more, until the server gave up on it) and when another worker first completed one of its
 * workflow tasks. Measured from the kill, and from the moment a task was due (the kill, or the first task scheduled
 * after it when the workflow had nothing to do until then), so that a monitor idle until its next run does not
 * count its idle time as the cost of the kill.
 */
import type { HistoryEvent } from '../../test/harness/run-update-signals';
import { eventTimeMs } from './event-time';
import { percentilesOf, type Percentiles } from './percentiles';

export interface WorkerKill {
  identity: string;
  atMs: number;
}

/** A workflow execution cached on the killed worker when it died. */
export interface CachedOnKilled {
  workflowId: string;
  /** The first workflow task another worker completed after the kill. */
  carriedOnAtMs?: number;
  /** When that task (or the first attempt of it) was due: the kill, or its scheduling if that came later. */
  dueAtMs?: number;
  /** A task was scheduled after the kill (or before it, never completed) and still not completed by `untilMs`. */
  waiting: boolean;
}

/** Undefined when the execution was not open at the kill or not cached on the killed worker. */
export function cachedOnKilled(
  workflowId: string,
  events: HistoryEvent[],
  kill: WorkerKill,
  /** Tasks due this long before the workers were stopped and not completed count as waiting. */
  untilMs: number,
): CachedOnKilled | undefined {
  const first = events[0];
  if (!first || eventTimeMs(first) > kill.atMs) return undefined;
  let lastStartedBeforeKill: string | undefined;
  let startedBy: string | undefined;
  /** The first scheduling of the workflow task not completed yet (retries and sticky timeouts keep it). */
  let pendingSinceMs: number | undefined;
  for (const event of events) {
    const at = eventTimeMs(event);
    if (at <= kill.atMs && closes(event)) return undefined;
    if (event.workflowTaskScheduledEventAttributes) pendingSinceMs ??= at;
    const started = event.workflowTaskStartedEventAttributes;
    if (started) {
      startedBy = started.identity ?? undefined;
      if (at <= kill.atMs) lastStartedBeforeKill = startedBy;
    }
    if (event.workflowTaskCompletedEventAttributes) {
      const dueSinceMs = pendingSinceMs;
      pendingSinceMs = undefined;
      if (at <= kill.atMs || lastStartedBeforeKill !== kill.identity) continue;
      const by = event.workflowTaskCompletedEventAttributes.identity || startedBy;
      if (by === kill.identity) continue;
      return {
        workflowId,
        carriedOnAtMs: at,
        dueAtMs: Math.max(kill.atMs, dueSinceMs ?? at),
        waiting: false,
      };
    }
  }
  if (lastStartedBeforeKill !== kill.identity) return undefined;
  return { workflowId, waiting: pendingSinceMs !== undefined && pendingSinceMs <= untilMs };
}

function closes(event: HistoryEvent): boolean {
  return Boolean(
    event.workflowExecutionCompletedEventAttributes ??
    event.workflowExecutionContinuedAsNewEventAttributes ??
    event.workflowExecutionFailedEventAttributes ??
    event.workflowExecutionTimedOutEventAttributes ??
    event.workflowExecutionTerminatedEventAttributes ??
    event.workflowExecutionCanceledEventAttributes,
  );
}

/** The workflows of one kind cached on the killed worker, and how they carried on elsewhere. */
export interface CarryOnFigures {
  cached: number;
  carriedOn: number;
  /** Had a task due and no other worker had completed it by the end. */
  waiting: number;
  /** Seconds from the kill to the first task another worker completed. */
  afterKillSeconds?: Percentiles;
  /** Seconds from the moment that task was due (the kill, or later if the workflow had nothing to do). */
  onceDueSeconds?: Percentiles;
}

export function carryOnFigures(cached: CachedOnKilled[], kill: WorkerKill): CarryOnFigures {
  const carriedOn = cached.filter((workflow) => workflow.carriedOnAtMs !== undefined);
  return {
    cached: cached.length,
    carriedOn: carriedOn.length,
    waiting: cached.filter((workflow) => workflow.waiting).length,
    ...optional(
      'afterKillSeconds',
      percentilesOf(carriedOn.map((workflow) => (workflow.carriedOnAtMs! - kill.atMs) / 1000)),
    ),
    ...optional(
      'onceDueSeconds',
      percentilesOf(carriedOn.map((workflow) => (workflow.carriedOnAtMs! - (workflow.dueAtMs ?? kill.atMs)) / 1000)),
    ),
  };
}

function optional<K extends string>(key: K, value: Percentiles | undefined): Partial<Record<K, Percentiles>> {
  return value ? ({ [key]: value } as Record<K, Percentiles>) : {};
}
