/**
 * The monitor's regular look at a dataflow: its runs since a cursor, each boiled down to the few facts the
 * workflow keeps (they are stored in history on every poll, so small matters).
 */
import type { Run } from '../../aep';
import { classifyFailure, runOutcome } from '../../workflows/monitor/run-classification';
import type { RunSummary } from '../../workflows/monitor/state';
import { asStep } from '../aep-failure';
import type { ActivityDependencies } from '../dependencies';

export interface ListRecentRunsInput {
  sandbox: string;
  flowId: string;
  /** Runs that started at or after this epoch ms; absent on the first look, which then covers the last day. */
  startedAtOrAfterMs?: number;
  /** The newest this many are returned. */
  limit: number;
}

const firstLookBackMs = 24 * 3_600_000;
const maxErrorsPerRun = 3;
const maxErrorMessageLength = 300;

export function createRunListingActivities({ aep }: ActivityDependencies) {
  return {
    async listRecentRuns(input: ListRecentRunsInput): Promise<RunSummary[]> {
      return asStep('list runs', async () => {
        const flowService = aep.forSandbox(input.sandbox).flowService;
        const since = input.startedAtOrAfterMs ?? Date.now() - firstLookBackMs;
        const runs: Run[] = [];
        // AEP's filter is "started after", strictly: one millisecond earlier includes a run that started on the cursor.
        for await (const run of flowService.listRuns({ flowId: input.flowId, startedAfterMs: since - 1, limit: 50 })) {
          runs.push(run);
        }
        return runs
          .map(summarizeRun)
          .sort((a, b) => Date.parse(b.startedAt ?? '') - Date.parse(a.startedAt ?? ''))
          .slice(0, input.limit);
      });
    },
  };
}

export function summarizeRun(run: Run): RunSummary {
  const status = run.metrics.statusSummary.status;
  const outcome = runOutcome(status);
  const startedAtMs = run.metrics.durationSummary?.startedAtUTC ?? run.createdAt;
  const completedAtMs = run.metrics.durationSummary?.completedAtUTC;
  const records = run.metrics.recordSummary;
  const errors = (run.metrics.statusSummary.errors ?? []).slice(0, maxErrorsPerRun).map((error) => ({
    ...(error.code ? { code: error.code } : {}),
    message: shorten(error.message || '(no message)'),
  }));
  return {
    id: run.id,
    status,
    outcome,
    ...(Number.isFinite(startedAtMs) ? { startedAt: new Date(startedAtMs).toISOString() } : {}),
    ...(completedAtMs !== undefined && outcome !== 'running'
      ? { completedAt: new Date(completedAtMs).toISOString() }
      : {}),
    ...(records
      ? {
          records: {
            ...(records.inputRecordCount !== undefined ? { input: records.inputRecordCount } : {}),
            ...(records.outputRecordCount !== undefined ? { output: records.outputRecordCount } : {}),
            ...(records.failedRecordCount !== undefined ? { failed: records.failedRecordCount } : {}),
          },
        }
      : {}),
    ...(errors.length > 0 ? { errors } : {}),
    ...(outcome === 'failed' ? { cause: classifyFailure(run.metrics.statusSummary.errors ?? []) } : {}),
  };
}

function shorten(message: string): string {
  return message.length > maxErrorMessageLength ? `${message.slice(0, maxErrorMessageLength)}…` : message;
}
