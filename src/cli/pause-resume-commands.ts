/**
 * `pause <sandbox/name> [--json]` disables the flow (no runs until resumed); `resume <sandbox/name> [--json]`
 * enables it again, runs following its schedule from then on. Both wait for AEP to confirm.
 */
import type { Command } from 'commander';
import { pauseUpdate, resumeUpdate } from '../contracts/monitor-messages';
import { processIo } from '../runtime/command-io';
import { connectTemporal } from '../temporal/temporal-client';
import { describeOutcome, Reporter, withMonitor, type MonitorCommandDependencies } from './monitor-session';

type FlowStateChange = 'pause' | 'resume';

const descriptions: Record<FlowStateChange, string> = {
  pause: 'pause a dataflow: disable its flow in AEP so no runs start until `resume`',
  resume: 'resume a paused dataflow: enable its flow in AEP again',
};

export function registerPauseAndResumeCommands(program: Command): void {
  for (const change of ['pause', 'resume'] as const) {
    program
      .command(change)
      .description(descriptions[change])
      .argument('<sandbox/name>', 'the dataflow, e.g. prod/consent-daily')
      .option('--json', 'print one JSON object instead of text')
      .action(async (target: string, options: { json?: boolean }) => {
        process.exitCode = await changeFlowState(
          change,
          target,
          { json: options.json ?? false },
          { io: processIo, connect: connectTemporal },
        );
      });
  }
}

export async function changeFlowState(
  change: FlowStateChange,
  target: string,
  options: { json: boolean },
  deps: MonitorCommandDependencies,
): Promise<number> {
  const reporter = new Reporter(deps.io, options.json);
  return withMonitor(target, reporter, deps, async (monitor) => {
    const outcome = await monitor.update(change === 'pause' ? pauseUpdate : resumeUpdate);
    return reporter.succeed({ outcome }, describeOutcome(outcome));
  });
}

export const runPause = (target: string, options: { json: boolean }, deps: MonitorCommandDependencies) =>
  changeFlowState('pause', target, options, deps);
export const runResume = (target: string, options: { json: boolean }, deps: MonitorCommandDependencies) =>
  changeFlowState('resume', target, options, deps);
