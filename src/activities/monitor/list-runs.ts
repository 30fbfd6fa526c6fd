/**
 * A monitor's reconcile: its dataflow's runs since a cursor, oldest first, a page at a time, each boiled down to
 * the few facts the workflow keeps (small matters: they are stored in history), plus the runs it still follows
 * because they were in progress. It also makes sure the sandbox's run feed runs, since a reconcile is the
 * monitor's periodic sign of life anyway.
 */
import { log } from '@temporalio/activity';
import { isNotFound } from '../../aep';
import type { RunSummary } from '../../contracts/monitor-state';
import { asStep } from '../aep-failure';
import { summarizeRun } from '../run-summary';
import type { ListRecentRunsInput, RunPage } from '../../contracts/monitor-activities';
import type { ActivityDependencies } from '../dependencies';
import { ensureRunFeed } from '../run-feed/ensure-run-feed';
import { temporalClientOf } from '../run-feed/temporal-client';

const firstLookBackMs = 24 * 3_600_000;

export function createRunListingActivities(deps: ActivityDependencies) {
  const { aep } = deps;
  const temporal = temporalClientOf(deps);
  const runFeed = deps.runFeed ?? { taskQueue: 'onetrust-dataflows' };
  return {
    async reconcileRuns(input: ListRecentRunsInput): Promise<RunPage> {
      try {
        await ensureRunFeed(input.sandbox, { temporal, settings: runFeed });
      } catch (error) {
        // The runs matter more: list them anyway; the next reconcile tries the feed again.
        log.warn('could not make sure the run feed runs', { sandbox: input.sandbox, error: String(error) });
      }
      return listRecentRuns(input);
    },
  };

  async function listRecentRuns(input: ListRecentRunsInput): Promise<RunPage> {
    return asStep('list runs', async () => {
      const flowService = aep.forSandbox(input.sandbox).flowService;
      const since = input.startedAtOrAfterMs ?? Date.now() - firstLookBackMs;
      const listed: RunSummary[] = [];
      // AEP's filter is "started after", strictly: one millisecond earlier includes a run that started on the cursor.
      // Its order of runs is not documented, so every page is read and the oldest are picked here; the set is
      // only what started since the last look, and the cursor moves forward with each page returned.
      for await (const run of flowService.listRuns({ flowId: input.flowId, startedAfterMs: since - 1, limit: 50 })) {
        listed.push(summarizeRun(run));
      }
      listed.sort(byStartThenId);
      const page = listed.slice(0, input.limit);

      const onPage = new Set(page.map((run) => run.id));
      const followed: RunSummary[] = [];
      for (const runId of input.unfinishedRunIds ?? []) {
        if (onPage.has(runId)) continue;
        try {
          followed.push(summarizeRun(await flowService.getRun(runId)));
        } catch (error) {
          // Deleted meanwhile (its flow was, say): nothing more to learn about it.
          if (!isNotFound(error)) throw error;
        }
      }
      return { runs: [...followed.sort(byStartThenId), ...page], more: listed.length > page.length };
    });
  }
}

function startedAtMs(run: RunSummary): number {
  return run.startedAt === undefined ? Number.MAX_SAFE_INTEGER : Date.parse(run.startedAt);
}

/** Oldest first; runs without a start time last; the id keeps the order stable between pages. */
function byStartThenId(a: RunSummary, b: RunSummary): number {
  return startedAtMs(a) - startedAtMs(b) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}
