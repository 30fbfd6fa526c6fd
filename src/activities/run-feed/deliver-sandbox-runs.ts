/**
 * One look of a sandbox's run feed: list every run that started since the cursor (all pages) and the runs still
 * followed as in progress, keep the finished ones not handed on yet, group them by flow, find each flow's
 * monitor, and send each monitor ONE `runUpdates` signal with all of its runs. Monitors asking for a look now
 * (`status --refresh`) get a message even without news, with their runs in progress too.
 *
 * Signals go out from here rather than from workflow code so the feed's history stays a few events per look
 * however many monitors it wakes. A look retried after a crash signals again; the server drops a message it
 * already recorded (signal-monitors.ts), and monitors drop a run they already counted (by id).
 */
import { heartbeat } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import type { AepClient } from '../../aep';
import type { RunUpdate } from '../../contracts/monitor-messages';
import type { RunSummary } from '../../contracts/monitor-state';
import type { DeliveredRun, FollowedRun, LookResult } from '../../contracts/run-feed-state';
import { asStep } from '../aep-failure';
import type { DeliverSandboxRunsInput } from '../../contracts/run-feed-activities';
import { summarizeRun } from '../run-summary';
import type { FlowOwners } from './flow-owners';
import { signalMonitors } from './signal-monitors';

/** Runs followed by id per listing (`id==a,b,…`): keeps the query string near 2 KB. */
const runsPerIdListing = 50;
/** A run still "in progress" a day after it started is stuck: it is no longer followed. */
const stuckRunMs = 86_400_000;

interface ListedRun {
  flowId: string;
  summary: RunSummary;
  startedAtMs: number;
}

export async function deliverSandboxRuns(
  input: DeliverSandboxRunsInput,
  dependencies: { aep: AepClient; owners: FlowOwners; temporal: () => Client },
): Promise<LookResult> {
  const listed = await asStep('list the sandbox runs', () => listRuns(dependencies.aep, input));
  const delivered = new Set(input.deliveredIds);
  const now = Date.now();

  const followed: FollowedRun[] = [];
  const finishedByFlow = new Map<string, ListedRun[]>();
  const newlyDelivered: DeliveredRun[] = [];
  let newestStartMs: number | undefined;
  const asOfMs = input.asOfMs;
  for (const run of [...listed.values()]) {
    // As of the look's instant: later starts wait for the next look, later ends still count as in progress.
    if (asOfMs !== undefined && run.startedAtMs > asOfMs) {
      listed.delete(run.summary.id);
      continue;
    }
    if (asOfMs !== undefined && endedAfter(run, asOfMs)) run.summary = { ...run.summary, outcome: 'running' };
    newestStartMs = Math.max(newestStartMs ?? run.startedAtMs, run.startedAtMs);
    if (run.summary.outcome === 'running') {
      if (now - run.startedAtMs < stuckRunMs) followed.push([run.summary.id, run.flowId, run.startedAtMs]);
      continue;
    }
    if (delivered.has(run.summary.id)) continue;
    const runs = finishedByFlow.get(run.flowId) ?? [];
    runs.push(run);
    finishedByFlow.set(run.flowId, runs);
  }

  const owners = await asStep('find the monitors of the flows', () =>
    dependencies.owners.resolve(input.sandbox, finishedByFlow.keys(), () => heartbeat()),
  );
  const messages = new Map<string, RunUpdate>();
  const listedAt = new Date(now).toISOString();
  let runsIgnored = 0;
  const runsByMonitor = new Map<string, ListedRun[]>();
  for (const [flowId, runs] of finishedByFlow) {
    const monitor = owners.get(flowId);
    for (const run of runs) newlyDelivered.push([run.summary.id, run.startedAtMs]);
    if (monitor === undefined) {
      runsIgnored += runs.length;
      continue;
    }
    // Two flows can share a monitor: one torn down with --keep-data and the one provisioned in its place.
    runsByMonitor.set(monitor, [...(runsByMonitor.get(monitor) ?? []), ...runs]);
  }
  for (const [monitor, runs] of runsByMonitor) {
    messages.set(monitor, { runs: runs.sort(byStart).map((run) => run.summary), listedAt });
  }
  for (const request of input.lookNow) {
    const message = messages.get(request.monitorWorkflowId) ?? { runs: [], listedAt };
    const inProgress = [...listed.values()].filter(
      (run) => run.flowId === request.flowId && run.summary.outcome === 'running',
    );
    const known = new Set(message.runs.map((run) => run.id));
    message.runs = [
      ...message.runs,
      ...inProgress.filter((run) => !known.has(run.summary.id)).map((run) => run.summary),
    ];
    message.answers = [...(message.answers ?? []), request.requestId];
    messages.set(request.monitorWorkflowId, message);
  }

  const { signalled, missing } = await signalMonitors(dependencies.temporal(), messages);
  for (const monitor of missing)
    runsIgnored += messages.get(monitor)?.runs.filter((run) => run.outcome !== 'running').length ?? 0;
  return {
    ...(newestStartMs !== undefined ? { newestStartMs } : {}),
    followed,
    delivered: newlyDelivered,
    runsListed: listed.size,
    monitorsSignalled: signalled,
    runsIgnored,
  };
}

/** The window since the cursor (every page), then the followed runs the window did not include, by id. */
async function listRuns(aep: AepClient, input: DeliverSandboxRunsInput): Promise<Map<string, ListedRun>> {
  const flowService = aep.forSandbox(input.sandbox).flowService;
  const listed = new Map<string, ListedRun>();
  const keep = (run: Parameters<typeof summarizeRun>[0]) => {
    const summary = { ...summarizeRun(run), flowId: run.flowId };
    const startedAtMs = summary.startedAt === undefined ? run.createdAt : Date.parse(summary.startedAt);
    listed.set(run.id, { flowId: run.flowId, summary, startedAtMs });
  };
  let page = 0;
  for await (const run of flowService.listRuns({ startedAfterMs: input.listFromMs, limit: input.pageSize })) {
    keep(run);
    if (++page % input.pageSize === 0) heartbeat();
  }
  const stillToRead = input.followed.map(([id]) => id).filter((id) => !listed.has(id));
  for (let start = 0; start < stillToRead.length; start += runsPerIdListing) {
    const ids = stillToRead.slice(start, start + runsPerIdListing);
    // A followed run that is not returned was deleted (with its flow, say): it is simply no longer followed.
    for await (const run of flowService.listRuns({ property: [`id==${ids.join(',')}`], limit: runsPerIdListing })) {
      keep(run);
    }
    heartbeat();
  }
  return listed;
}

function endedAfter(run: ListedRun, instantMs: number): boolean {
  if (run.summary.outcome === 'running' || run.summary.completedAt === undefined) return false;
  return Date.parse(run.summary.completedAt) > instantMs;
}

function byStart(a: ListedRun, b: ListedRun): number {
  return a.startedAtMs - b.startedAtMs || (a.summary.id < b.summary.id ? -1 : 1);
}
