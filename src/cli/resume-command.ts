/** `resume <sandbox/name> [--json]`: enables the flow again; runs follow its schedule from now on. */
import type { Command } from 'commander';
import { resumeUpdate } from '../workflows/dataflow-monitor';
import { processIo } from './command-io';
import { connectTemporal } from './temporal-client';
import { describeOutcome, Reporter, withMonitor, type MonitorCommandDependencies } from './monitor-session';

export function registerResumeCommand(program: Command): void {
  program
    .command('resume')
    .description('resume a paused dataflow: enable its flow in AEP again')
    .argument('<sandbox/name>', 'the dataflow, e.g. prod/consent-daily')
    .option('--json', 'print one JSON object instead of text')
    .action(async (target: string, options: { json?: boolean }) => {
      process.exitCode = await runResume(
        target,
        { json: options.json ?? false },
        { io: processIo, connect: connectTemporal },
      );
    });
}

export async function runResume(
  target: string,
  options: { json: boolean },
  deps: MonitorCommandDependencies,
): Promise<number> {
  const reporter = new Reporter(deps.io, options.json);
  return withMonitor(target, reporter, deps, async (handle) => {
    const outcome = await handle.executeUpdate(resumeUpdate);
    return reporter.succeed({ outcome }, describeOutcome(outcome));
  });
}
