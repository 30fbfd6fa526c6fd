/**
 * Fleet monitoring, measured: N OneTrust dataflows on a scaled simulator clock, watched side by side by up to three
 * designs, each on a fresh simulator and Temporal dev server with the same settings:
 * - polling: the design before the run feed, every monitor polling its own runs;
 * - feed: one run feed per sandbox listing its runs every --feed-interval, event-driven monitors;
 * - push: the same feed and worker, plus Adobe I/O Events: the events receiver (`npm run events`) runs as its own
 *   process, one webhook per sandbox is registered on the simulator, and each run's end is pushed to its feed at
 *   once (the feed's looks stay as the safety net). Forged deliveries are sent to it during the window, at a
 *   steady rate alongside the genuine ones (--forged, default 9): three rounds of fixed kinds (unsigned; signed by
 *   a key the key host does not serve; naming another host), then each with two fresh random key paths of Adobe's
 *   documented shape, which the receiver would fetch from the key host (the simulator) but for its fetch caps. None
 *   may pass; the table shows the key-host fetches they caused against the receiver's cap.
 *
 * The table also shows what must hold over a long run: the workers' exits (a dead worker is reported, not fatal;
 * the last lines of its stderr are logged), the feeds' continue-as-new inside the window, and push's counters.
 * Nothing assumes a short window: `--minutes 60` is a soak (progress is logged every 5 minutes).
 *
 * Several workers (issue 22): --workers W starts W worker processes on the same task queue with the same
 * environment (each its own process group; peak RSS per worker: the largest and the sum). --kill-one-at M SIGKILLs
 * the first one, its whole process group, M minutes into the window: counted as "SIGKILLed on purpose", not as an
 * exit, and the table says how its work carried on: each feed's next look (its status's lastTickAt, asked every 5 s),
 * the first workflow task another worker completed for the monitors and feeds cached on it (from the kill, and from
 * when a task was due: an idle monitor has nothing to carry on until its next run), and the detection latency of
 * the runs that ended in the 2 minutes after the kill next to the others'. --add-one-at M starts one more worker M
 * minutes into the window; the table counts the workflow and activity tasks it took (histories name each task's
 * worker, `pid@host`).
 *
 *   npm run benchmark:fleet -- --dataflows N [--sandboxes S] [--minutes M] [--warmup W] [--time-scale T]
 *                              [--failure-share F] [--feed-interval 60] [--poll-interval 60] [--designs polling,feed]
 *                              [--forged 9] [--workers 1] [--kill-one-at M] [--add-one-at M]
 *   npm run benchmark:fleet -- --dataflows 200 --sandboxes 2 --designs feed,push     (push against the feed alone)
 *   npm run benchmark:fleet -- --dataflows 10000 --time-scale 1 --designs feed,push --forged 10000
 *   npm run benchmark:fleet -- --dataflows 10000 --time-scale 1 --minutes 8 --designs feed --workers 2 --kill-one-at 4
 *
 * The polling design runs from a git worktree of the commit before the feed (.benchmark/, shared node_modules).
 */
import { resolve } from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { pollingDesignCheckout } from './benchmark-fleet/baseline-worktree';
import { designTable } from './benchmark-fleet/design-table';
import {
  designs as knownDesigns,
  measureDesign,
  type Design,
  type DesignFigures,
  type FleetOptions,
} from './benchmark-fleet/measure-design';
import { execFileSync } from 'node:child_process';

function positive(value: string): number {
  const number = Number(value);
  if (!Number.isFinite(number) || number <= 0) throw new InvalidArgumentError('expected a positive number');
  return number;
}

function wholeNumber(value: string): number {
  const number = Number(value);
  if (!Number.isInteger(number) || number < 0) throw new InvalidArgumentError('expected a whole number, 0 or more');
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
    .option('--designs <list>', 'designs to measure, in order: polling, feed, push', 'polling,feed')
    .option(
      '--forged <count>',
      "forged deliveries sent to push's receiver during the window (the first 9 of fixed kinds, the rest on random key paths)",
      wholeNumber,
      9,
    )
    .option('--workers <count>', 'worker processes on the task queue', positive, 1)
    .option('--kill-one-at <minutes>', 'SIGKILL one worker (its process group) this far into the window', positive)
    .option('--add-one-at <minutes>', 'start one more worker this far into the window', positive)
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
      forged: number;
      workers: number;
      killOneAt?: number;
      addOneAt?: number;
    }>();
  const workers = Math.floor(options.workers);
  for (const [flag, minutes] of [
    ['--kill-one-at', options.killOneAt],
    ['--add-one-at', options.addOneAt],
  ] as const) {
    if (minutes !== undefined && minutes >= options.minutes)
      throw new Error(`${flag} ${minutes} is not inside the ${options.minutes}-minute window`);
  }
  // Someone must be left to carry on.
  const addedBeforeKill = options.addOneAt !== undefined && options.addOneAt < (options.killOneAt ?? 0);
  if (options.killOneAt !== undefined && workers < 2 && !addedBeforeKill)
    throw new Error('--kill-one-at needs --workers 2 or more (or a worker added before the kill)');
  const projectRoot = resolve(__dirname, '..');
  const temporalCli = execFileSync('bash', [resolve(projectRoot, 'scripts/install-temporal.sh')], {
    encoding: 'utf8',
  }).trim();
  const designs = options.designs.split(',').map((design) => design.trim());
  // Refused before anything starts, rather than after a whole design was measured.
  const unknown = designs.filter((design) => !knownDesigns.includes(design as Design));
  if (unknown.length > 0)
    throw new Error(`unknown design(s) ${unknown.join(', ')}: expected ${knownDesigns.join(', ')}`);
  const results: DesignFigures[] = [];
  for (const design of designs as Design[]) {
    const fleetOptions: FleetOptions = {
      dataflows: Math.floor(options.dataflows),
      sandboxes: Math.floor(options.sandboxes),
      windowMinutes: options.minutes,
      warmupMinutes: options.warmup,
      timeScale: options.timeScale,
      failureShare: options.failureShare,
      feedIntervalSeconds: options.feedInterval,
      pollIntervalSeconds: options.pollInterval,
      forged: options.forged,
      workers,
      ...(options.killOneAt !== undefined ? { killOneAtMinutes: options.killOneAt } : {}),
      ...(options.addOneAt !== undefined ? { addOneAtMinutes: options.addOneAt } : {}),
      temporalCli,
      projectRoot,
      designRoot: design === 'polling' ? pollingDesignCheckout(projectRoot) : projectRoot,
    };
    results.push(await measureDesign(design, fleetOptions));
  }
  console.log(
    `\n${options.dataflows} dataflows in ${options.sandboxes} sandbox(es), 15-minute schedules on a ×${options.timeScale} ` +
      `clock (a run every ${(15 / options.timeScale).toFixed(1)} real minutes per dataflow), ` +
      `${(options.failureShare * 100).toFixed(0)} % of runs failing; window ${options.minutes} min after ${options.warmup} min warm-up` +
      `${designs.includes('push') ? `; ${options.forged} forged deliveries sent to the push receiver in the window` : ''}` +
      `; ${workers} worker(s)` +
      `${options.killOneAt !== undefined ? `, one SIGKILLed ${options.killOneAt} min into the window` : ''}` +
      `${options.addOneAt !== undefined ? `, one added ${options.addOneAt} min into the window` : ''}\n`,
  );
  console.log(designTable(results));
}

// Workers run in their own process groups, out of the terminal's reach: Ctrl-C becomes an exit, which kills them.
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => process.exit(130));

main().catch((error: unknown) => {
  console.error(error instanceof Error ? (error.stack ?? error.message) : error);
  process.exit(1);
});
