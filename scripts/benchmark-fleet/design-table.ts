/** The benchmark's result: one column per design measured, one row per figure, as a Markdown table. */
import type { CarryOnFigures } from './carry-on';
import type { ForgedDeliveryOutcome } from './forged-deliveries';
import {
  afterKillSeconds,
  type Design,
  type DesignFigures,
  type KillFigures,
  type PushFigures,
} from './measure-design';
import type { Percentiles } from './percentiles';

const designLabels: Record<Design, string> = {
  polling: 'per-dataflow polling (before)',
  feed: 'run feed (this version)',
  push: 'run feed + I/O Events push',
};

/** Figures only push has read "n/a" in the other columns. */
const notApplicable = 'n/a';

export function designTable(results: DesignFigures[]): string {
  const pushOnly =
    (cell: (push: PushFigures) => string) =>
    (figures: DesignFigures): string =>
      figures.push ? cell(figures.push) : notApplicable;
  const afterKill =
    (cell: (kill: KillFigures) => string) =>
    (figures: DesignFigures): string =>
      figures.kill ? cell(figures.kill) : 'no kill';
  const killRows: Array<[string, (figures: DesignFigures) => string]> = results.some((figures) => figures.kill)
    ? [
        [
          'workers SIGKILLed on purpose',
          (f) => (f.kill ? `1 (${f.kill.atWindowMinute.toFixed(1)} min into the window)` : '0'),
        ],
        ['after the kill: every feed looked again', afterKill(feedsLookedAgain)],
        ['monitors cached on the killed worker', afterKill((kill) => cachedCount(kill.monitors))],
        [
          'monitors: first task elsewhere after the kill p50 / p95 / max',
          afterKill((kill) => seconds(kill.monitors.afterKillSeconds)),
        ],
        [
          'monitors: first task elsewhere once due p50 / p95 / max',
          afterKill((kill) => seconds(kill.monitors.onceDueSeconds)),
        ],
        ['feeds cached on the killed worker', afterKill((kill) => cachedCount(kill.feeds))],
        [
          'feeds: first task elsewhere after the kill / once due (max)',
          afterKill((kill) => firstTaskElsewhere(kill.feeds)),
        ],
        [
          `detection latency, runs ended ≤ ${afterKillSeconds / 60} min after the kill`,
          afterKill((kill) => latencyOf(kill.latencyRightAfter)),
        ],
        ['detection latency, the other runs', afterKill((kill) => latencyOf(kill.latencyOthers))],
      ]
    : [];
  const addedRows: Array<[string, (figures: DesignFigures) => string]> = results.some((figures) =>
    figures.workers.some((worker) => worker.added),
  )
    ? [['tasks the added worker took (workflow / activity)', addedWorkerTasks]]
    : [];
  const rows: Array<[string, (figures: DesignFigures) => string]> = [
    ['runs finished in the window', (f) => String(f.runsFinishedInWindow)],
    ['AEP run-listing calls / hour', (f) => whole(f.runListingCallsPerHour)],
    ['AEP single-run reads / hour', (f) => whole(f.runReadsPerHour)],
    ['all AEP calls / hour', (f) => whole(f.aepCallsPerHour)],
    ['workflow tasks / hour', (f) => whole(f.workflowTasksPerHour)],
    ['history events / hour', (f) => whole(f.historyEventsPerHour)],
    ['history events per finished run', (f) => f.historyEventsPerFinishedRun.toFixed(1)],
    ['largest payload in any history', (f) => `${(f.largestPayloadBytes / 1024).toFixed(1)} KiB`],
    ['workers', workerCount],
    ['worker peak RSS', (f) => mebibytes(f.workerPeakRssBytes)],
    ["workers' peak RSS, all together", (f) => mebibytes(f.workersPeakRssSumBytes)],
    ['worker exits during the run', (f) => String(f.workerExits)],
    ...killRows,
    ['tasks per worker (workflow / activity)', tasksPerWorker],
    ...addedRows,
    ['feed continued as new in the window', feedGenerations],
    ['detection latency p50 / p95 / max', (f) => seconds(f.latencySeconds)],
    ['runs never seen by their monitor', (f) => String(f.runsUnseen)],
    ['runs handed to their monitor twice', (f) => String(f.runsHandedOnTwice)],
    ['failure streaks alerted', (f) => `${f.failureStreaksAlerted} of ${f.failureStreaks}`],
    // Push counts cover the whole benchmark (set-up, window and settling), not the window alone.
    ['pushed events delivered (whole run)', pushOnly((p) => whole(p.deliveries.delivered))],
    [
      'delivery attempts failed / refused / given up',
      pushOnly((p) => `${p.deliveries.failedAttempts} / ${p.deliveries.refused} / ${p.deliveries.givenUp}`),
    ],
    ['registrations no longer active', pushOnly((p) => String(p.inactiveRegistrations))],
    [
      'feed: events in / duplicates dropped',
      pushOnly((p) => `${whole(p.feeds.events)} / ${p.feeds.duplicates}${silent(p)}`),
    ],
    ['feed: runs handed on because of push', pushOnly((p) => whole(p.feeds.runsDelivered))],
    ['feed: pushed runs of flows not ours', pushOnly((p) => whole(p.feeds.foreignRuns))],
    ['feed: stale duplicates dropped', pushOnly((p) => whole(p.feeds.staleDuplicates))],
    ['feed: pushed runs read from AEP', pushOnly((p) => whole(p.feeds.runsRead))],
    ['events receiver exits during the run', pushOnly((p) => String(p.receiverExits))],
    ['forged deliveries sent / accepted', pushOnly((p) => forgedSent(p.forged))],
    ['forged deliveries answered', pushOnly((p) => answers(p.forged.statuses))],
    [
      'key-host fetches in the window',
      pushOnly(
        (p) =>
          `${whole(p.keys.atKeyHost)} (receiver: ${known(p.keys.byReceiver)} made, ` +
          `${known(p.keys.refusedByCap)} refused by its cap)`,
      ),
    ],
    [
      "receiver's key-fetch cap",
      pushOnly(
        ({ keys: { cap, capInWindow } }) =>
          `${cap.maxPerWindow} per ${cap.windowMs / 1000} s, ${cap.maxConcurrent} at once (≤ ${whole(capInWindow)} in the window)`,
      ),
    ],
    ['set-up (fleet + monitors)', (f) => `${f.setupSeconds.toFixed(0)} s`],
  ];
  const header = ['', ...results.map((figures) => designLabels[figures.design])];
  const body = rows.map(([name, cell]) => [name, ...results.map(cell)]);
  const widths = header.map((_, column) => Math.max(...[header, ...body].map((row) => row[column]!.length)));
  const line = (cells: string[]) => `| ${cells.map((cell, column) => cell.padEnd(widths[column]!)).join(' | ')} |`;
  return [line(header), line(widths.map((width) => '-'.repeat(width))), ...body.map(line)].join('\n');
}

function workerCount(figures: DesignFigures): string {
  const initial = figures.workers.filter((worker) => !worker.added).length;
  const added = figures.workers.filter((worker) => worker.added);
  return `${initial}${added.map((worker) => ` + 1 added ${(worker.addedAtWindowMinute ?? 0).toFixed(1)} min into the window`).join('')}`;
}

function tasksPerWorker(figures: DesignFigures): string {
  return figures.workers
    .map((worker) => {
      const what = worker.killedAtWindowMinute !== undefined ? ' killed' : worker.added ? ' added' : '';
      return `#${worker.number}${what}: ${whole(worker.workflowTasks)} / ${whole(worker.activityTasks)}`;
    })
    .join(', ');
}

function addedWorkerTasks(figures: DesignFigures): string {
  const added = figures.workers.filter((worker) => worker.added);
  return added.length > 0
    ? added.map((worker) => `${whole(worker.workflowTasks)} / ${whole(worker.activityTasks)}`).join(', ')
    : 'none added';
}

function feedsLookedAgain(kill: KillFigures): string {
  const looks = kill.feedsLookedAgainSeconds;
  if (looks === undefined) return notApplicable;
  const seen = looks.filter((look) => look !== undefined);
  if (seen.length === 0) return `none of ${looks.length} by the end`;
  const slowest = `${Math.max(...seen).toFixed(1)} s after the kill`;
  return seen.length === looks.length
    ? `${slowest} (${looks.length} feed(s))`
    : `${seen.length} of ${looks.length}; the first by ${slowest}`;
}

function cachedCount(carryOn: CarryOnFigures): string {
  const idle = carryOn.cached - carryOn.carriedOn - carryOn.waiting;
  return `${whole(carryOn.cached)}: ${whole(carryOn.carriedOn)} carried on elsewhere, ${whole(carryOn.waiting)} still waiting, ${whole(idle)} with nothing to do since`;
}

function firstTaskElsewhere(carryOn: CarryOnFigures): string {
  const { afterKillSeconds: afterKill, onceDueSeconds: onceDue } = carryOn;
  return afterKill && onceDue ? `${afterKill.max.toFixed(1)} / ${onceDue.max.toFixed(1)} s` : 'none';
}

function latencyOf(group: { runs: number; seconds?: Percentiles }): string {
  return `${seconds(group.seconds)} (${whole(group.runs)} runs)`;
}

function seconds(values: Percentiles | undefined): string {
  return values ? `${values.p50.toFixed(1)} / ${values.p95.toFixed(1)} / ${values.max.toFixed(1)} s` : 'none';
}

function mebibytes(bytes: number | undefined): string {
  return bytes ? `${whole(bytes / 2 ** 20)} MiB` : '?';
}

function feedGenerations(figures: DesignFigures): string {
  const generations = figures.feedGenerationsInWindow;
  if (generations === undefined) return notApplicable;
  if (generations === 'unknown') return '? (a feed did not answer)';
  const restarted = generations.restarted > 0 ? ` (${generations.restarted} feed(s) restarted with no state)` : '';
  return `${generations.continuedAsNew}${restarted}`;
}

function forgedSent(forged: ForgedDeliveryOutcome): string {
  const unsent = forged.sent < forged.planned ? ` of ${whole(forged.planned)} asked` : '';
  return `${whole(forged.sent)}${unsent} / ${whole(forged.accepted)} (${whole(forged.randomKeyPaths)} on random key paths)`;
}

function answers(statuses: Record<string, number>): string {
  const entries = Object.entries(statuses).sort(([left], [right]) => left.localeCompare(right));
  return entries.length > 0 ? entries.map(([status, count]) => `${status} ×${whole(count)}`).join(', ') : 'none';
}

function known(value: number | undefined): string {
  return value === undefined ? '?' : whole(value);
}

function silent(push: PushFigures): string {
  return push.feeds.silentFeeds > 0 ? ` (${push.feeds.silentFeeds} feed(s) silent)` : '';
}

function whole(value: number): string {
  return Math.round(value).toLocaleString('en-US');
}
