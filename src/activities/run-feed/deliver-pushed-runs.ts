/**
 * Runs that Adobe I/O Events pushed (a webhook delivery or the journal): read each run once (`GET /runs/{id}`: an
 * event names the run, AEP has its details), and hand the finished ones to their monitors as a look would, one
 * message per monitor. A run the feed already handed on is skipped; a run still in progress is returned to be
 * followed, so its end is seen even if its own event never comes.
 */
import type { Client } from '@temporalio/client';
import { isNotFound, type AepClient } from '../../aep';
import type { RunUpdate } from '../../contracts/monitor-messages';
import type { RunSummary } from '../../contracts/monitor-state';
import type { DeliveredRun, FollowedRun, PushResult } from '../../contracts/run-feed-state';
import { asStep } from '../aep-failure';
import type { DeliverPushedRunsInput } from '../../contracts/run-feed-activities';
import { summarizeRun } from '../run-summary';
import { signalMonitors } from './deliver-sandbox-runs';
import type { FlowOwners } from './flow-owners';

export async function deliverPushedRuns(
  input: DeliverPushedRunsInput,
  dependencies: { aep: AepClient; owners: FlowOwners; temporal: () => Client },
): Promise<PushResult> {
  const alreadyDelivered = new Set(input.deliveredIds);
  const runIds = [...new Set(input.events.map((event) => event.runId))].filter((id) => !alreadyDelivered.has(id));
  const flowService = dependencies.aep.forSandbox(input.sandbox).flowService;
  const runs = await asStep('read the pushed runs', () =>
    Promise.all(runIds.map((id) => flowService.getRun(id).catch(ignoreNotFound))),
  );

  const started: FollowedRun[] = [];
  const delivered: DeliveredRun[] = [];
  const finishedByFlow = new Map<string, RunSummary[]>();
  for (const run of runs) {
    if (run === undefined) continue; // deleted with its flow since the event: nothing to hand on
    const summary = summarizeRun(run);
    const startedAtMs = summary.startedAt === undefined ? run.createdAt : Date.parse(summary.startedAt);
    if (summary.outcome === 'running') {
      started.push([run.id, run.flowId, startedAtMs]);
      continue;
    }
    delivered.push([run.id, startedAtMs]);
    finishedByFlow.set(run.flowId, [...(finishedByFlow.get(run.flowId) ?? []), summary]);
  }

  const owners = await asStep('find the monitors of the flows', () =>
    dependencies.owners.resolve(input.sandbox, finishedByFlow.keys()),
  );
  const listedAt = new Date().toISOString();
  const messages = new Map<string, RunUpdate>();
  let runsIgnored = 0;
  for (const [flowId, summaries] of finishedByFlow) {
    const monitor = owners.get(flowId);
    if (monitor === undefined) runsIgnored += summaries.length;
    else messages.set(monitor, { runs: summaries, listedAt });
  }
  const { signalled, missing } = await signalMonitors(dependencies.temporal(), messages);
  for (const monitor of missing) runsIgnored += messages.get(monitor)?.runs.length ?? 0;
  return { delivered, started, monitorsSignalled: signalled, runsIgnored };
}

function ignoreNotFound(error: unknown): undefined {
  if (isNotFound(error)) return undefined;
  throw error;
}
