/**
 * Shows the dataflow's runs as the simulator performs them: each finished run with its record counts and the
 * dataset's size, until the demo is interrupted. The first few runs are listed one by one, then a short summary
 * now and then, so the terminal stays readable.
 */
import { sandboxSnapshot, type DemoSimulator, type SandboxSnapshot, type SimulatedRun } from './simulator';
import { sleep } from './waiting';

const runsListedOneByOne = 5;
const summaryEveryMs = 60_000;

export interface RunWatchOptions {
  sandbox: string;
  /** Epoch ms: runs that started before this belong to an earlier demo and are only counted. */
  since: number;
  /** Resolves when the demo should stop (Ctrl-C). */
  interrupted: Promise<void>;
  /** Called once after this many finished runs (e.g. to show the CLI's status view). */
  afterRuns?: { count: number; action: () => Promise<void> };
  /** Where the lines go (the console; tests read them). */
  print?: (line: string) => void;
}

export async function watchRuns(simulator: DemoSimulator, options: RunWatchOptions): Promise<void> {
  let stop = false;
  void options.interrupted.then(() => (stop = true));
  const print = options.print ?? ((line: string) => console.log(line));
  const shown = new Set<string>();
  /** Runs of earlier demos: this demo's runs are numbered on from them, as the dataflow counts its runs. */
  let earlierRuns = 0;
  let finished = 0;
  let failed = 0;
  let lastSummaryAt = Date.now();
  let afterRunsDone = false;

  let firstLook = true;

  while (!stop) {
    const snapshot = await sandboxSnapshot(simulator, options.sandbox).catch(() => undefined);
    if (snapshot && firstLook) {
      // Runs from before this demo (a second `npm run demo`) are counted, not replayed as new.
      firstLook = false;
      const earlier = snapshot.runs.filter((run) => isFinished(run) && startedAt(run) < options.since);
      earlier.forEach((run) => shown.add(run.id));
      earlierRuns = earlier.length;
      if (earlier.length > 0) {
        const earlierFailed = earlier.filter((run) => runStatus(run) === 'failed').length;
        failed = earlierFailed;
        print(
          `  ${earlier.length} earlier runs (${earlierFailed} failed); dataset holds ${datasetRecordCount(snapshot)} records`,
        );
      }
    }
    if (snapshot) {
      const newlyFinished = snapshot.runs
        .filter((run) => !shown.has(run.id) && isFinished(run))
        .sort((left, right) => startedAt(left) - startedAt(right));
      const datasetRecords = datasetRecordCount(snapshot);
      for (const run of newlyFinished) {
        shown.add(run.id);
        finished += 1;
        if (runStatus(run) === 'failed') failed += 1;
        if (finished <= runsListedOneByOne)
          print(`  ${describeRun(earlierRuns + finished, run)}; dataset holds ${datasetRecords} records`);
        if (finished === runsListedOneByOne) print('  (later runs are summarised once a minute)');
      }
      if (finished > runsListedOneByOne && Date.now() - lastSummaryAt >= summaryEveryMs) {
        print(`  ${earlierRuns + finished} runs so far (${failed} failed); dataset holds ${datasetRecords} records`);
        lastSummaryAt = Date.now();
      }
      if (!afterRunsDone && options.afterRuns && finished >= options.afterRuns.count) {
        afterRunsDone = true;
        await options.afterRuns.action();
      }
    }
    await Promise.race([sleep(1_000), options.interrupted]);
  }
}

function describeRun(ordinal: number, run: SimulatedRun): string {
  const status = runStatus(run);
  const records = run.metrics?.recordSummary;
  const counts = `${records?.inputRecordCount ?? 0} records read, ${records?.outputRecordCount ?? 0} written`;
  const error = run.metrics?.statusSummary?.errors?.[0];
  const reason = status === 'failed' && error ? ` — ${error.code ?? ''} ${error.message ?? ''}`.trimEnd() : '';
  return `run ${ordinal} ${status.padEnd(7)} ${counts}${reason}`;
}

function runStatus(run: SimulatedRun): string {
  return (run.metrics?.statusSummary?.status ?? 'unknown').toLowerCase();
}

function isFinished(run: SimulatedRun): boolean {
  const status = runStatus(run);
  return status === 'success' || status === 'failed';
}

function startedAt(run: SimulatedRun): number {
  return run.metrics?.durationSummary?.startedAtUTC ?? run.createdAt ?? 0;
}

function datasetRecordCount(snapshot: SandboxSnapshot): number {
  return snapshot.dataSets.reduce((sum, dataset) => sum + (dataset.recordCount ?? 0), 0);
}
