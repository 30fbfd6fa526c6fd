/**
 * Fleet monitoring, measured: N OneTrust dataflows on a scaled simulator clock, watched by today's design (one
 * run feed per sandbox, event-driven monitors) and by the design before it (every monitor polling its own runs)
 * side by side, each on a fresh simulator and Temporal dev server with the same settings.
 *
 *   npm run benchmark:fleet -- --dataflows N [--sandboxes S] [--minutes M] [--warmup W] [--time-scale T]
 *                              [--failure-share F] [--feed-interval 60] [--poll-interval 60] [--designs polling,feed]
 *
 * The polling design runs from a git worktree of the commit before the feed (.benchmark/, shared node_modules).
 */
import { resolve } from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { pollingDesignCheckout } from './benchmark-fleet/baseline-worktree';
import { measureDesign, type Design, type DesignFigures, type FleetOptions } from './benchmark-fleet/measure-design';
import { execFileSync } from 'node:child_process';

function positive(value: string): number {
  const number = Number(value);
  if (!Number.isFinite(number) || number <= 0) throw new InvalidArgumentError('expected a positive number');
  return number;
}

function share(value: string): number {
  const number = Number(value);
  if (!Number.isFinite(number) || number < 0 || number > 1) throw new InvalidArgumentError('expected 0 to 1');
  return number;
}

async function main(): Promise<void> {
  const options = new Command()
    .name('benchmark:fleet')
    .requiredOption('--dataflows <count>', 'dataflows in the fleet', positive)
    .option('--sandboxes <count>', 'sandboxes they are spread over', positive, 1)
    .option('--minutes <minutes>', 'length of the measurement window', positive, 8)
    .option('--warmup <minutes>', 'time between the last monitor starting and the window', positive, 2)
    .option('--time-scale <factor>', 'simulator clock speed: 15-minute flows run every 15/T minutes', positive, 3)
    .option('--failure-share <share>', 'share of runs that fail', share, 0.05)
    .option('--feed-interval <seconds>', "run feed's look interval", positive, 60)
    .option('--poll-interval <seconds>', "polling design's per-dataflow interval (same freshness)", positive, 60)
    .option('--designs <list>', 'designs to measure, in order', 'polling,feed')
    .parse()
    .opts<{
      dataflows: number;
      sandboxes: number;
      minutes: number;
      warmup: number;
      timeScale: number;
      failureShare: number;
      feedInterval: number;
      pollInterval: number;
      designs: string;
    }>();
  const projectRoot = resolve(__dirname, '..');
  const temporalCli = execFileSync('bash', [resolve(projectRoot, 'scripts/install-temporal.sh')], {
    encoding: 'utf8',
  }).trim();
  const designs = options.designs.split(',').map((design) => design.trim()) as Design[];
  const results: DesignFigures[] = [];
  for (const design of designs) {
    if (design !== 'polling' && design !== 'feed') throw new Error(`unknown design ${String(design)}`);
    const fleetOptions: FleetOptions = {
      dataflows: Math.floor(options.dataflows),
      sandboxes: Math.floor(options.sandboxes),
      windowMinutes: options.minutes,
      warmupMinutes: options.warmup,
      timeScale: options.timeScale,
      failureShare: options.failureShare,
      feedIntervalSeconds: options.feedInterval,
      pollIntervalSeconds: options.pollInterval,
      temporalCli,
      projectRoot,
      designRoot: design === 'polling' ? pollingDesignCheckout(projectRoot) : projectRoot,
    };
    results.push(await measureDesign(design, fleetOptions));
  }
  console.log(
    `\n${options.dataflows} dataflows in ${options.sandboxes} sandbox(es), 15-minute schedules on a ×${options.timeScale} ` +
      `clock (a run every ${(15 / options.timeScale).toFixed(1)} real minutes per dataflow), ` +
      `${(options.failureShare * 100).toFixed(0)} % of runs failing; window ${options.minutes} min after ${options.warmup} min warm-up\n`,
  );
  console.log(table(results));
}

function table(results: DesignFigures[]): string {
  const label = (design: Design) => (design === 'feed' ? 'run feed (this version)' : 'per-dataflow polling (before)');
  const rows: Array<[string, (figures: DesignFigures) => string]> = [
    ['runs finished in the window', (f) => String(f.runsFinishedInWindow)],
    ['AEP run-listing calls / hour', (f) => whole(f.runListingCallsPerHour)],
    ['all AEP calls / hour', (f) => whole(f.aepCallsPerHour)],
    ['workflow tasks / hour', (f) => whole(f.workflowTasksPerHour)],
    ['history events / hour', (f) => whole(f.historyEventsPerHour)],
    ['history events per finished run', (f) => f.historyEventsPerFinishedRun.toFixed(1)],
    ['largest payload in any history', (f) => `${(f.largestPayloadBytes / 1024).toFixed(1)} KiB`],
    ['worker peak RSS', (f) => (f.workerPeakRssBytes ? `${(f.workerPeakRssBytes / 2 ** 20).toFixed(0)} MiB` : '?')],
    [
      'detection latency p50 / p95 / max',
      (f) =>
        f.latencySeconds
          ? `${f.latencySeconds.p50.toFixed(1)} / ${f.latencySeconds.p95.toFixed(1)} / ${f.latencySeconds.max.toFixed(1)} s`
          : 'none',
    ],
    ['runs never seen by their monitor', (f) => String(f.runsUnseen)],
    ['failure streaks alerted', (f) => `${f.failureStreaksAlerted} of ${f.failureStreaks}`],
    ['set-up (fleet + monitors)', (f) => `${f.setupSeconds.toFixed(0)} s`],
  ];
  const header = ['', ...results.map((figures) => label(figures.design))];
  const body = rows.map(([name, cell]) => [name, ...results.map(cell)]);
  const widths = header.map((_, column) => Math.max(...[header, ...body].map((row) => row[column]!.length)));
  const line = (cells: string[]) => `| ${cells.map((cell, column) => cell.padEnd(widths[column]!)).join(' | ')} |`;
  return [line(header), line(widths.map((width) => '-'.repeat(width))), ...body.map(line)].join('\n');
}

function whole(value: number): string {
  return Math.round(value).toLocaleString('en-US');
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? (error.stack ?? error.message) : error);
  process.exit(1);
});
