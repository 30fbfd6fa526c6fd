/**
 * `status <sandbox/name> [--json] [--refresh]`: what the monitor knows: state, schedule, token expiry, the
 * failure streak, the last alert and the last runs, with what I/O Events pushed to the sandbox's run feed and what
 * the journal reader (if one runs) has read. With --refresh the monitor looks at the runs first.
 */
import type { Command } from 'commander';
import { refreshUpdate, statusQuery } from '../contracts/monitor-messages';
import { noWorkerProblem } from './worker-presence';
import { exitCodes } from '../runtime/command-io';
import { describeDuration } from '../contracts/durations';
import type { MonitorStatus } from '../contracts/monitor-status';
import { failureCauseDescriptions } from '../contracts/run-classification';
import { dataflowHealthStates, type RunSummary } from '../contracts/monitor-state';
import { processIo } from '../runtime/command-io';
import { runFeedStatusQuery } from '../contracts/run-feed-messages';
import { connectTemporal, type TemporalSession } from '../temporal/temporal-client';
import { Reporter, withMonitor, type MonitorCommandDependencies } from './monitor-session';
import {
  describeJournalReader,
  pushCounters,
  runningJournalReaders,
  type JournalReaderReport,
  type PushCounters,
} from './push-workflows';
import { formatTable } from './text-table';

export interface StatusOptions {
  json: boolean;
  refresh: boolean;
}

export function registerStatusCommand(program: Command): void {
  program
    .command('status')
    .description(
      `show a dataflow's state (${dataflowHealthStates.join(', ')}), token expiry, failures, last alert and last runs`,
    )
    .argument('<sandbox/name>', 'the dataflow, e.g. prod/consent-daily')
    .option('--refresh', 'have the monitor look at the runs now, and show what it found')
    .option('--json', 'print one JSON object instead of text')
    .action(async (target: string, options: { json?: boolean; refresh?: boolean }) => {
      process.exitCode = await runStatus(
        target,
        { json: options.json ?? false, refresh: options.refresh ?? false },
        { io: processIo, connect: connectTemporal },
      );
    });
}

export async function runStatus(
  target: string,
  options: StatusOptions,
  deps: MonitorCommandDependencies,
): Promise<number> {
  const reporter = new Reporter(deps.io, options.json);
  return withMonitor(target, reporter, deps, async (monitor) => {
    if (!options.refresh) {
      // A query needs a worker to answer it: with none, say so now rather than time out in silence.
      const { taskQueue, status: execution } = await monitor.handle.describe();
      const problem = execution.name === 'RUNNING' ? await noWorkerProblem(monitor.session, taskQueue) : undefined;
      if (problem) return reporter.fail(exitCodes.unavailable, 'no-worker', problem);
    }
    const status = options.refresh ? await monitor.update(refreshUpdate) : await monitor.handle.query(statusQuery);
    // What I/O Events pushed to the sandbox's run feed (its own query): absent when the feed cannot answer. And
    // the journal readers of the pull path, when it is on (a reader that does not answer says so on its line).
    const tornDown = status.state === 'torn-down';
    const [pushed, journalReaders] = tornDown
      ? [undefined, []]
      : await Promise.all([
          pushedToFeed(monitor.session, status),
          // Visibility failing here (the monitor answered) leaves the line out rather than the status.
          runningJournalReaders(monitor.session).catch((): JournalReaderReport[] => []),
        ]);
    return reporter.succeed(
      { status, ...(pushed ? { pushed } : {}), ...(journalReaders.length > 0 ? { journalReaders } : {}) },
      formatStatus(status, pushed, journalReaders),
    );
  });
}

export function formatStatus(
  status: MonitorStatus,
  pushed?: PushCounters,
  journalReaders: JournalReaderReport[] = [],
): string {
  const target = `${status.sandbox}/${status.name}`;
  const token = status.token;
  // A torn-down dataflow has no live token and its monitor has ended: nothing will expire or reconcile.
  const tornDown = status.state === 'torn-down';
  const tokenWhen =
    token.expiresInMs >= 0
      ? `in ${describeDuration(token.expiresInMs)}`
      : `${describeDuration(-token.expiresInMs)} ago`;
  const facts: Array<[string, string]> = [
    [
      'workflow',
      `${status.workflowId}${status.continuedAsNew > 0 ? ` (continued as new ${status.continuedAsNew}×)` : ''}`,
    ],
    ['flow', `${status.ids.flowId}, ${describeSchedule(status.schedule)}${status.paused ? ', PAUSED' : ''}`],
    ...(status.drift
      ? [
          [
            'drift',
            `since ${status.drift.since}: ${status.drift.differences.join('; ')}` +
              `\n${' '.repeat(16)}${status.drift.repair.replace('<sandbox/name>', target)}`,
          ] as [string, string],
        ]
      : []),
    ...(status.teardown
      ? [
          [
            'teardown',
            `${status.teardown.phase === 'tearing-down' ? 'under way' : 'STOPPED'}: ${status.teardown.deleted.length} deleted, left: ${status.teardown.left.join(', ') || 'nothing'}` +
              (status.teardown.error
                ? `\n${' '.repeat(16)}${status.teardown.error}\n${' '.repeat(16)}finish it: npm run client -- teardown ${target}`
                : ''),
          ] as [string, string],
        ]
      : []),
    ...(status.resealTrouble
      ? [
          ['secrets', `NOT RE-SEALED since ${status.resealTrouble.since}: ${status.resealTrouble.problem}`] as [
            string,
            string,
          ],
        ]
      : []),
    [
      'token',
      tornDown
        ? `none in use (torn down; it was to expire ${token.expiresAt})`
        : `expires ${token.expiresAt} (${tokenWhen})` +
          (token.automaticRotation ? ', rotated automatically' : '') +
          (status.state === 'token-expired' || status.state === 'token-expiring'
            ? `\n${' '.repeat(16)}rotate it: npm run client -- rotate-token ${target} --token-file <file>`
            : ''),
    ],
    [
      'failures',
      status.consecutiveFailures === 0
        ? 'none'
        : `${status.consecutiveFailures} run(s) in a row since ${status.failingSince ?? '?'}: ${status.failureCause ? failureCauseDescriptions[status.failureCause] : 'unknown cause'}`,
    ],
    [
      'last alert',
      status.lastAlert ? `[${status.lastAlert.kind}] ${status.lastAlert.raisedAt} ${status.lastAlert.message}` : 'none',
    ],
    ['runs from', `${status.runFeedWorkflowId} (last message ${status.lastFeedMessageAt ?? 'none yet'})`],
    ...(pushed
      ? [
          [
            'pushed',
            pushed.events === 0
              ? 'none yet (the feed lists the runs; README "Push: Adobe I/O Events")'
              : `${pushed.events} event(s), ${pushed.duplicates} duplicate(s) dropped, ${pushed.runsDelivered} run(s) handed on` +
                (pushed.lastEventAt ? ` (last ${pushed.lastEventAt})` : '') +
                `\n${' '.repeat(16)}${pushed.staleDuplicates} stale duplicate(s), ${pushed.foreignRuns} run(s) of flows not ours`,
          ] as [string, string],
        ]
      : []),
    ...journalReaders.map((reader): [string, string] => [
      'journal',
      `${reader.workflowId}: ${describeJournalReader(reader)}`,
    ]),
    [
      'reconciled',
      `${status.lastReconcileAt ?? 'not yet'} (` +
        (tornDown ? 'no more: torn down' : `every ${status.reconcileInterval}, next ${status.nextReconcileAt}`) +
        ')' +
        (status.lastReconcileError
          ? `; last reconcile failed${status.reconcileTrouble ? ` (${status.reconcileTrouble.failures} in a row since ${status.reconcileTrouble.since})` : ''}: ${status.lastReconcileError}`
          : ''),
    ],
  ];
  if (status.pendingWork.length > 0) facts.push(['working on', status.pendingWork.join(', ')]);
  const lines = [`${target}: ${status.state}`, ...facts.map(([label, value]) => `  ${label.padEnd(14)}${value}`)];
  lines.push('');
  if (status.lastRuns.length === 0) lines.push('  no runs seen yet');
  else
    lines.push(
      indent(formatTable(['RUN', 'STATUS', 'STARTED', 'IN', 'OUT', 'FAILED', 'CAUSE'], status.lastRuns.map(runRow))),
    );
  return lines.join('\n');
}

async function pushedToFeed(session: TemporalSession, status: MonitorStatus): Promise<PushCounters | undefined> {
  try {
    const feed = session.client.workflow.getHandle(status.runFeedWorkflowId);
    return pushCounters(
      (await session.client.withDeadline(Date.now() + 3_000, () => feed.query(runFeedStatusQuery))).pushed,
    );
  } catch {
    return undefined;
  }
}

function runRow(run: RunSummary): string[] {
  return [
    run.id,
    run.status,
    run.startedAt ?? '',
    String(run.records?.input ?? ''),
    String(run.records?.output ?? ''),
    String(run.records?.failed ?? ''),
    run.cause ? `${run.cause}${run.errors?.[0]?.code ? ` (${run.errors[0].code})` : ''}` : '',
  ];
}

function describeSchedule(schedule: MonitorStatus['schedule']): string {
  if (schedule.frequency === 'once') return 'runs once';
  const interval = schedule.interval ?? 1;
  return `every ${interval} ${schedule.frequency}${interval === 1 ? '' : 's'}`;
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((line) => `  ${line}`)
    .join('\n');
}
