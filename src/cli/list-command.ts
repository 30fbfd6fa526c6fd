/**
 * `list [--all] [--json]`: every monitored dataflow, from Temporal visibility (workflows of type dataflowMonitor
 * with their DataflowSandbox, DataflowName and DataflowState search attributes). --all adds ended monitors.
 * Then the push path: the running I/O Events journal readers and run feeds, with their counters.
 */
import type { Command } from 'commander';
import { DataflowName, DataflowSandbox, DataflowState } from '../contracts/search-attributes';
import { exitCodes, processIo, type CommandIo } from '../runtime/command-io';
import { connectTemporal, type TemporalSession } from '../temporal/temporal-client';
import { messageOf, Reporter } from './monitor-session';
import {
  describeJournalReader,
  describePushCounters,
  runningJournalReaders,
  runningRunFeeds,
  type JournalReaderReport,
  type RunFeedReport,
} from './push-workflows';
import { formatTable } from './text-table';

export interface ListOptions {
  all: boolean;
  json: boolean;
}

export interface MonitoredDataflow {
  sandbox: string;
  name: string;
  state: string;
  workflowId: string;
  /** RUNNING, COMPLETED, … */
  status: string;
  /** When the monitor's current run started (it continues as new now and then). */
  runStartedAt: string;
}

export function registerListCommand(program: Command): void {
  program
    .command('list')
    .description('list every monitored dataflow with its state')
    .option('--all', 'include monitors that have ended (torn down)')
    .option('--json', 'print one JSON object instead of text')
    .action(async (options: { all?: boolean; json?: boolean }) => {
      process.exitCode = await runList(
        { all: options.all ?? false, json: options.json ?? false },
        { io: processIo, connect: connectTemporal },
      );
    });
}

export async function runList(
  options: ListOptions,
  deps: { io: CommandIo; connect: (env: NodeJS.ProcessEnv) => Promise<TemporalSession> },
): Promise<number> {
  const reporter = new Reporter(deps.io, options.json);
  let session: TemporalSession;
  try {
    session = await deps.connect(deps.io.env);
  } catch (error) {
    return reporter.fail(exitCodes.unavailable, 'temporal-unavailable', messageOf(error));
  }
  try {
    const [dataflows, journalReaders, runFeeds] = await Promise.all([
      listMonitoredDataflows(session, options.all),
      runningJournalReaders(session),
      runningRunFeeds(session),
    ]);
    const table =
      dataflows.length === 0
        ? 'No monitored dataflows. Provision one with: npm run client -- provision <spec.json>'
        : formatTable(
            ['SANDBOX/NAME', 'STATE', 'MONITOR'],
            dataflows.map((dataflow) => [
              `${dataflow.sandbox}/${dataflow.name}`,
              dataflow.state,
              dataflow.status === 'RUNNING'
                ? dataflow.workflowId
                : `${dataflow.workflowId} (${dataflow.status.toLowerCase()})`,
            ]),
          );
    const text = [table, ...formatJournalReaders(journalReaders), ...formatRunFeeds(runFeeds)].join('\n');
    return reporter.succeed({ dataflows, journalReaders, runFeeds }, text);
  } catch (error) {
    return reporter.fail(exitCodes.unavailable, 'unexpected', messageOf(error));
  } finally {
    await session.close();
  }
}

export async function listMonitoredDataflows(session: TemporalSession, all: boolean): Promise<MonitoredDataflow[]> {
  const query = `WorkflowType = 'dataflowMonitor'${all ? '' : " AND ExecutionStatus = 'Running'"}`;
  const found = new Map<string, MonitoredDataflow>();
  for await (const execution of session.client.workflow.list({ query })) {
    // Continue-as-new leaves one closed execution per generation: keep the newest of each workflow id.
    if (found.has(execution.workflowId)) continue;
    const attributes = execution.typedSearchAttributes;
    const [, sandboxFromId = '?', nameFromId = '?'] = execution.workflowId.split(':');
    found.set(execution.workflowId, {
      sandbox: attributes.get(DataflowSandbox) ?? sandboxFromId,
      name: attributes.get(DataflowName) ?? nameFromId,
      state: attributes.get(DataflowState) ?? 'unknown',
      workflowId: execution.workflowId,
      status: execution.status.name,
      runStartedAt: execution.startTime.toISOString(),
    });
  }
  return [...found.values()].sort((a, b) => `${a.sandbox}/${a.name}`.localeCompare(`${b.sandbox}/${b.name}`));
}

/** The journal readers' section: none when the pull path is off. */
function formatJournalReaders(readers: JournalReaderReport[]): string[] {
  if (readers.length === 0) return [];
  return [
    '',
    'I/O Events journal readers:',
    ...readers.flatMap((reader) => [
      `  ${reader.workflowId}${reader.status ? `  ${reader.status.journalUrl}` : ''}`,
      `    ${describeJournalReader(reader)}`,
    ]),
  ];
}

/** One line per running run feed: what I/O Events pushed to it. */
function formatRunFeeds(feeds: RunFeedReport[]): string[] {
  if (feeds.length === 0) return [];
  const width = Math.max(...feeds.map((feed) => feed.workflowId.length));
  return [
    '',
    'Run feeds, pushed by I/O Events:',
    ...feeds.map(
      (feed) =>
        `  ${feed.workflowId.padEnd(width)}  ${feed.pushed ? describePushCounters(feed.pushed) : (feed.problem ?? 'no answer')}`,
    ),
  ];
}
