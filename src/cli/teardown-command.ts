/**
 * `teardown <sandbox/name> [--keep-data] [--json]`: deletes the flow, its connections and mapping set, and unless
 * --keep-data the dataset, schema and field group; then the monitor ends. Prints what was deleted and kept.
 */
import type { Command } from 'commander';
import { teardownUpdate } from '../contracts/monitor-messages';
import { processIo } from '../runtime/command-io';
import { connectTemporal } from '../temporal/temporal-client';
import { describeOutcome, Reporter, withMonitor, type MonitorCommandDependencies } from './monitor-session';

export interface TeardownOptions {
  keepData: boolean;
  json: boolean;
}

export function registerTeardownCommand(program: Command): void {
  program
    .command('teardown')
    .description('delete a dataflow and everything provisioning made for it; its monitor then ends')
    .argument('<sandbox/name>', 'the dataflow, e.g. prod/consent-daily')
    .option('--keep-data', 'keep the dataset (with the data in it), its schema and field group')
    .option('--json', 'print one JSON object instead of text')
    .action(async (target: string, options: { keepData?: boolean; json?: boolean }) => {
      process.exitCode = await runTeardown(
        target,
        { keepData: options.keepData ?? false, json: options.json ?? false },
        { io: processIo, connect: connectTemporal },
      );
    });
}

export async function runTeardown(
  target: string,
  options: TeardownOptions,
  deps: MonitorCommandDependencies,
): Promise<number> {
  const reporter = new Reporter(deps.io, options.json);
  return withMonitor(target, reporter, deps, async (monitor) => {
    const outcome = await monitor.update(teardownUpdate, { keepData: options.keepData });
    return reporter.succeed({ outcome }, describeOutcome(outcome));
  });
}
