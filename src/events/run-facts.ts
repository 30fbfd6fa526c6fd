/**
 * What a flow-run notification says about its run, read from the run object the event carries (`event` in the
 * success envelope, `messages[].value` in the failure envelope). Adobe's success sample carries the run's `metrics`
 * (statusSummary, and in Flow Service's run shape recordSummary and durationSummary); when they say all a monitor
 * records and agree with the event's code, the run needs no `GET /runs/{id}`. Anything missing or odd leaves the facts out and the
 * run is read instead: metrics never make a delivery fail.
 */
import { runMetricsSchema } from '../aep/flow-service';
import type { PushedRunFacts } from '../contracts/run-feed-messages';
import { runOutcome } from '../contracts/run-classification';
import type { FlowRunOutcome } from './flow-run-event';

/** As the monitor keeps them (src/activities/run-summary.ts): a few errors, messages cut short. */
const maxErrors = 3;
const maxErrorMessageLength = 300;

/**
 * The facts of a finished run whose event carries all a monitor records of it (status, record counts, start and
 * end), agreeing with its code; otherwise undefined, and the run is read. Adobe's success sample carries the status
 * alone: such a run is read.
 */
export function runFactsOf(run: unknown, outcome: FlowRunOutcome): PushedRunFacts | undefined {
  if (outcome === 'started' || typeof run !== 'object' || run === null) return undefined;
  const parsed = runMetricsSchema.safeParse((run as { metrics?: unknown }).metrics);
  if (!parsed.success) return undefined;
  const { statusSummary, recordSummary, durationSummary } = parsed.data;
  if (statusSummary.status.trim() === '') return undefined;
  if (!validTime(durationSummary?.startedAtUTC) || !validTime(durationSummary?.completedAtUTC)) return undefined;
  // A success event whose run still says inProgress (or the reverse): trust AEP's own answer, read it.
  if (runOutcome(statusSummary.status) !== (outcome === 'succeeded' ? 'success' : 'failed')) return undefined;
  const records = recordSummary && {
    ...(recordSummary.inputRecordCount !== undefined ? { input: recordSummary.inputRecordCount } : {}),
    ...(recordSummary.outputRecordCount !== undefined ? { output: recordSummary.outputRecordCount } : {}),
    ...(recordSummary.failedRecordCount !== undefined ? { failed: recordSummary.failedRecordCount } : {}),
  };
  const errors = (statusSummary.errors ?? []).slice(0, maxErrors).map((error) => ({
    ...(error.code ? { code: error.code } : {}),
    message: shorten(error.message || '(no message)'),
  }));
  if (records === undefined || Object.keys(records).length === 0) return undefined;
  return {
    status: statusSummary.status,
    startedAtMs: durationSummary!.startedAtUTC!,
    completedAtMs: durationSummary!.completedAtUTC!,
    records,
    ...(errors.length > 0 ? { errors } : {}),
  };
}

function validTime(epochMs: number | undefined): boolean {
  return epochMs !== undefined && Number.isFinite(epochMs) && epochMs > 0;
}

function shorten(message: string): string {
  return message.length > maxErrorMessageLength ? `${message.slice(0, maxErrorMessageLength)}…` : message;
}
