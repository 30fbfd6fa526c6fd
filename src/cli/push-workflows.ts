/**
 * The workflows of the push path as `list` and `status` show them: the I/O Events journal readers and the sandboxes'
 * run feeds that are running (from visibility), each with the counters its `status` query answers, or, when it does
 * not answer (no worker), why not: a line that says so, never a failed command. A task queue no worker polls is
 * asked about once, and its workflows are not queried (each query would wait out its deadline).
 */
import { eventsJournalStatusQuery, type EventsJournalStatus } from '../contracts/events-journal-messages';
import { runFeedStatusQuery, type RunFeedStatus } from '../contracts/run-feed-messages';
import type { TemporalSession } from '../temporal/temporal-client';
import { concurrencyLimit } from './concurrency-limit';
import { messageOf } from './monitor-session';
import { noWorkerProblem } from './worker-presence';

/** How long one status query may take: a running worker answers in milliseconds. */
const queryDeadlineMs = 3_000;

/** The counters a feed of an earlier build does not answer. */
type LaterCounters = 'foreignRuns' | 'staleDuplicates' | 'runsRead';

/** A run feed's push counters, the later ones 0 when the feed's build does not count them. */
export type PushCounters = RunFeedStatus['pushed'];

export interface JournalReaderReport {
  workflowId: string;
  /** Its `status` answer; absent when it gave none (then `problem` says why). */
  status?: EventsJournalStatus;
  problem?: string;
}

export interface RunFeedReport {
  workflowId: string;
  sandbox: string;
  pushed?: PushCounters;
  problem?: string;
}

/** Every running journal reader (usually one, or none: the pull path is off) with its status. */
export async function runningJournalReaders(session: TemporalSession): Promise<JournalReaderReport[]> {
  return forEachRunning(session, 'eventsJournal', async (workflow) => {
    const { workflowId } = workflow;
    const handle = session.client.workflow.getHandle(workflowId);
    const answer = await askWithin(session, workflow, () => handle.query(eventsJournalStatusQuery));
    return 'problem' in answer ? { workflowId, problem: answer.problem } : { workflowId, status: answer.value };
  });
}

/** Every running sandbox run feed with its push counters. */
export async function runningRunFeeds(session: TemporalSession): Promise<RunFeedReport[]> {
  return forEachRunning(session, 'sandboxRunFeed', async (workflow) => {
    const { workflowId } = workflow;
    const sandbox = workflowId.replace(/^runs:/, '');
    const handle = session.client.workflow.getHandle(workflowId);
    const answer = await askWithin(session, workflow, () => handle.query(runFeedStatusQuery));
    return 'problem' in answer
      ? { workflowId, sandbox, problem: answer.problem }
      : { workflowId, sandbox: answer.value.sandbox, pushed: pushCounters(answer.value.pushed) };
  });
}

/** The feed's `pushed`, with the counters a feed of an earlier build does not answer read as 0. */
export function pushCounters(
  pushed: Omit<RunFeedStatus['pushed'], LaterCounters> & Partial<Record<LaterCounters, number>>,
): PushCounters {
  return {
    ...pushed,
    foreignRuns: pushed.foreignRuns ?? 0,
    staleDuplicates: pushed.staleDuplicates ?? 0,
    runsRead: pushed.runsRead ?? 0,
  };
}

interface RunningWorkflow {
  workflowId: string;
  taskQueue: string;
  /** Whether a worker polls its task queue (asked once per queue): without one, no query is sent. */
  workerPolls: Promise<boolean>;
}

/** One status query, within the deadline; its failure is a problem to show, not an error. */
async function askWithin<T>(
  session: TemporalSession,
  workflow: RunningWorkflow,
  query: () => Promise<T>,
): Promise<{ value: T } | { problem: string }> {
  if (!(await workflow.workerPolls)) {
    return { problem: `no answer: no worker polls task queue "${workflow.taskQueue}" (start one: npm run worker)` };
  }
  try {
    return { value: await session.client.withDeadline(Date.now() + queryDeadlineMs, query) };
  } catch (error) {
    const cause = error instanceof Error && error.cause !== undefined ? `: ${messageOf(error.cause)}` : '';
    return {
      problem:
        `no answer within ${queryDeadlineMs / 1000} s (is a worker polling task queue "${workflow.taskQueue}"?): ` +
        `${messageOf(error)}${cause}`,
    };
  }
}

/** `report` for each running workflow of the type, in workflow id order, a few at a time (queries reach a worker). */
async function forEachRunning<R>(
  session: TemporalSession,
  workflowType: string,
  report: (workflow: RunningWorkflow) => Promise<R>,
): Promise<R[]> {
  const running: RunningWorkflow[] = [];
  const workerPolls = new Map<string, Promise<boolean>>();
  const query = `WorkflowType = '${workflowType}' AND ExecutionStatus = 'Running'`;
  for await (const { workflowId, taskQueue } of session.client.workflow.list({ query })) {
    if (!workerPolls.has(taskQueue)) {
      workerPolls.set(
        taskQueue,
        noWorkerProblem(session, taskQueue).then(
          (problem) => problem === undefined,
          () => true, // cannot tell: the query will say
        ),
      );
    }
    running.push({ workflowId, taskQueue, workerPolls: workerPolls.get(taskQueue)! });
  }
  running.sort((a, b) => a.workflowId.localeCompare(b.workflowId));
  const limit = concurrencyLimit(8);
  return Promise.all(running.map((workflow) => limit(() => report(workflow))));
}

/** One line of a journal reader's counters, as `list` and `status` show it. */
export function describeJournalReader(reader: JournalReaderReport): string {
  const { status } = reader;
  if (!status) return reader.problem ?? 'no answer';
  const { counts } = status;
  return (
    `${counts.reads} read(s), ${counts.eventsHandedOn} event(s) handed on, ${counts.skipped} skipped (other event codes, no dataflow of ours); ` +
    `last read ${status.lastReadAt ?? 'none yet'}; last error ${status.lastError ?? 'none'}`
  );
}

/** One line of a run feed's push counters. */
export function describePushCounters(pushed: PushCounters): string {
  if (pushed.events === 0) return 'nothing pushed yet (the feed lists the runs)';
  return (
    `${pushed.events} event(s) pushed, ${pushed.duplicates} duplicate(s) dropped, ${pushed.staleDuplicates} stale duplicate(s), ` +
    `${pushed.runsDelivered} run(s) handed on (${pushed.runsRead} read from AEP), ${pushed.foreignRuns} run(s) of flows not ours` +
    (pushed.lastEventAt ? ` (last ${pushed.lastEventAt})` : '')
  );
}
