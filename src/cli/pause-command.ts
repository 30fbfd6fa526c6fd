/** `pause <sandbox/name> [--json]`: disables the flow (no runs until resumed) and waits for AEP to confirm. */
import type { Command } from 'commander';
import { pauseUpdate } from '../workflows/dataflow-monitor';
import { processIo } from './command-io';
import { connectTemporal } from './temporal-client';
import { describeOutcome, Reporter, withMonitor, type MonitorCommandDependencies } from './monitor-session';

export function registerPauseCommand(program: Command): void {
  program
    .command('pause')
    .description('pause a dataflow: disable its flow in AEP so no runs start until `resume`')
    .argument('<sandbox/name>', 'the dataflow, e.g. prod/consent-daily')
    .option('--json', 'print one JSON object instead of text')
    .action(async (target: string, options: { json?: boolean }) => {
      process.exitCode = await runPause(
        target,
        { json: options.json ?? false },
        { io: processIo, connect: connectTemporal },
      );
    });
}

export async function runPause(
  target: string,
  options: { json: boolean },
  deps: MonitorCommandDependencies,
): Promise<number> {
  const reporter = new Reporter(deps.io, options.json);
  return withMonitor(target, reporter, deps, async (handle) => {
    const outcome = await handle.executeUpdate(pauseUpdate);
    return reporter.succeed({ outcome }, describeOutcome(outcome));
  });
}
