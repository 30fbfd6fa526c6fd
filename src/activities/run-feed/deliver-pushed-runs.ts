/**
 * Runs that Adobe I/O Events pushed (webhook deliveries or the journal), handed to their monitors in one batch:
 * 1. owners first: each event's flow is looked up (cached per worker process, one listing per 50 new flows); runs
 *    of flows that are not ours are counted and cost nothing more;
 * 2. an end whose event carries the run's metrics is handed on as the event says; only the others are read
 *    (`GET /runs/{id}`), and a run still in progress is returned to be followed;
 * 3. a run that started inside `handedOnWindow` and is not followed was listed by a look before: its end was
 *    handed on then, so this one is a late redelivery and is dropped;
 * 4. one `runUpdates` signal per monitor for the whole batch (see signal-monitors.ts for why a retry sends none
 *    twice).
 */
import type { Client } from '@temporalio/client';
import { isNotFound, type AepClient, type Run } from '../../aep';
import type { RunUpdate } from '../../contracts/monitor-messages';
import type { RunSummary } from '../../contracts/monitor-state';
import type { PushedRunEvent } from '../../contracts/run-feed-messages';
import type { DeliveredRun, FollowedRun, PushResult } from '../../contracts/run-feed-state';
import type { DeliverPushedRunsInput } from '../../contracts/run-feed-activities';
import { asStep } from '../aep-failure';
import { summarizeRun } from '../run-summary';
import type { FlowOwners } from './flow-owners';
import { signalMonitors } from './signal-monitors';

export async function deliverPushedRuns(
  input: DeliverPushedRunsInput,
  dependencies: { aep: AepClient; owners: FlowOwners; temporal: () => Client; feedWorkflowId?: string },
): Promise<PushResult> {
  const alreadyDelivered = new Set(input.deliveredIds ?? []);
  const endsByRun = new Map<string, PushedRunEvent>();
  for (const event of input.events) {
    if (alreadyDelivered.has(event.runId)) continue;
    const known = endsByRun.get(event.runId);
    // Of two events of one run, the one that says how it ended.
    if (known === undefined || (known.run === undefined && event.run !== undefined)) endsByRun.set(event.runId, event);
  }

  const owners = await asStep('find the monitors of the flows', () =>
    dependencies.owners.resolve(
      input.sandbox,
      [...endsByRun.values()].map((event) => event.flowId),
    ),
  );
  let foreignRuns = 0;
  const ours: PushedRunEvent[] = [];
  for (const event of endsByRun.values()) {
    if (owners.get(event.flowId) === undefined) foreignRuns += 1;
    else ours.push(event);
  }

  const toRead = ours.filter((event) => event.run === undefined || event.outcome === 'started');
  const flowService = dependencies.aep.forSandbox(input.sandbox).flowService;
  const read = await asStep('read the pushed runs', () =>
    Promise.all(toRead.map((event) => flowService.getRun(event.runId).catch(ignoreNotFound))),
  );
  const readRuns = new Map(read.filter((run): run is Run => run !== undefined).map((run) => [run.id, run]));

  const followed = new Set(input.followedIds ?? []);
  const window = input.handedOnWindow;
  const started: FollowedRun[] = [];
  const delivered: DeliveredRun[] = [];
  const finishedByMonitor = new Map<string, RunSummary[]>();
  let staleDuplicates = 0;
  for (const event of ours) {
    const run = readRuns.get(event.runId);
    if (run === undefined && event.run === undefined) continue; // deleted with its flow since: nothing to hand on
    const summary = { ...summarizeRun(run ?? runFromEvent(event)), flowId: event.flowId };
    // Without a start time the run is remembered as starting now: longer than needed, never too short.
    const startedAtMs = summary.startedAt !== undefined ? Date.parse(summary.startedAt) : Date.now();
    if (summary.outcome === 'running') {
      started.push([event.runId, event.flowId, startedAtMs]);
      continue;
    }
    delivered.push([event.runId, startedAtMs]);
    const wasListed =
      window !== undefined &&
      summary.startedAt !== undefined &&
      startedAtMs >= window.fromMs &&
      startedAtMs < window.toMs;
    if (wasListed && !followed.has(event.runId)) {
      staleDuplicates += 1;
      continue;
    }
    const monitor = owners.get(event.flowId)!;
    finishedByMonitor.set(monitor, [...(finishedByMonitor.get(monitor) ?? []), summary]);
  }

  const listedAt = new Date().toISOString();
  const messages = new Map<string, RunUpdate>();
  for (const [monitor, runs] of finishedByMonitor) messages.set(monitor, { runs: runs.sort(byStart), listedAt });
  const { signalled, missing } = await signalMonitors(dependencies.temporal(), messages);
  let runsIgnored = foreignRuns;
  for (const monitor of missing) runsIgnored += messages.get(monitor)?.runs.length ?? 0;
  return {
    delivered,
    started,
    monitorsSignalled: signalled,
    runsIgnored,
    foreignRuns,
    staleDuplicates,
    runsRead: readRuns.size,
  };
}

/** The run as Flow Service would return it, from what its event said (summarizeRun reads this shape). */
function runFromEvent(event: PushedRunEvent): Run {
  const facts = event.run!;
  return {
    id: event.runId,
    flowId: event.flowId,
    // No start time in the event: none in the summary either (NaN is not a time to summarizeRun).
    createdAt: facts.startedAtMs ?? Number.NaN,
    metrics: {
      statusSummary: {
        status: facts.status,
        errors: (facts.errors ?? []).map((error) => ({ code: error.code ?? '', message: error.message })),
      },
      ...(facts.records
        ? {
            recordSummary: {
              ...(facts.records.input !== undefined ? { inputRecordCount: facts.records.input } : {}),
              ...(facts.records.output !== undefined ? { outputRecordCount: facts.records.output } : {}),
              ...(facts.records.failed !== undefined ? { failedRecordCount: facts.records.failed } : {}),
            },
          }
        : {}),
      durationSummary: {
        ...(facts.startedAtMs !== undefined ? { startedAtUTC: facts.startedAtMs } : {}),
        ...(facts.completedAtMs !== undefined ? { completedAtUTC: facts.completedAtMs } : {}),
      },
    },
  };
}

function ignoreNotFound(error: unknown): undefined {
  if (isNotFound(error)) return undefined;
  throw error;
}

function byStart(a: RunSummary, b: RunSummary): number {
  return (a.startedAt ?? '').localeCompare(b.startedAt ?? '') || (a.id < b.id ? -1 : 1);
}
