/**
 * A run boiled down to the few facts a monitor keeps (they are stored in history, so small matters): shared by
 * the monitor's reconcile and the sandbox run feed's looks and pushes.
 */
import type { Run } from '../aep';
import type { RunSummary } from '../contracts/monitor-state';
import { classifyFailure, runOutcome } from '../contracts/run-classification';

const maxErrorsPerRun = 3;
const maxErrorMessageLength = 300;

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
