/**
 * What a flow-run notification says about its run, read from the run object the event carries (`event` in the
 * success envelope, `messages[].value` in the failure envelope). Adobe's success sample carries the run's `metrics`
 * (statusSummary, and in Flow Service's run shape recordSummary and durationSummary); when they are there and agree
 * with the event's code, the run needs no `GET /runs/{id}`. Anything missing or odd leaves the facts out and the
 * run is read instead: metrics never make a delivery fail.
 */
import { z } from 'zod';
import { looseNumber } from '../aep/loose-values';
import type { PushedRunFacts } from '../contracts/run-feed-messages';
import { runOutcome } from '../contracts/run-classification';
import type { FlowRunOutcome } from './flow-run-event';

/** As the monitor keeps them (src/activities/run-summary.ts): a few errors, messages cut short. */
const maxErrors = 3;
const maxErrorMessageLength = 300;

const metricsSchema = z.looseObject({
  statusSummary: z.looseObject({
    status: z.string().trim().min(1),
    errors: z.array(z.looseObject({ code: z.string().optional(), message: z.string().optional() })).optional(),
  }),
  recordSummary: z
    .looseObject({
      inputRecordCount: looseNumber.optional(),
      outputRecordCount: looseNumber.optional(),
      failedRecordCount: looseNumber.optional(),
    })
    .optional(),
  durationSummary: z
    .looseObject({ startedAtUTC: looseNumber.optional(), completedAtUTC: looseNumber.optional() })
    .optional(),
});

/** The facts of a finished run whose event carries metrics that agree with its code; otherwise undefined. */
export function runFactsOf(run: unknown, outcome: FlowRunOutcome): PushedRunFacts | undefined {
  if (outcome === 'started' || typeof run !== 'object' || run === null) return undefined;
  const parsed = metricsSchema.safeParse((run as { metrics?: unknown }).metrics);
  if (!parsed.success) return undefined;
  const { statusSummary, recordSummary, durationSummary } = parsed.data;
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
  return {
    status: statusSummary.status,
    ...(validTime(durationSummary?.startedAtUTC) ? { startedAtMs: durationSummary!.startedAtUTC! } : {}),
    ...(validTime(durationSummary?.completedAtUTC) ? { completedAtMs: durationSummary!.completedAtUTC! } : {}),
    ...(records && Object.keys(records).length > 0 ? { records } : {}),
    ...(errors.length > 0 ? { errors } : {}),
  };
}

function validTime(epochMs: number | undefined): boolean {
  return epochMs !== undefined && Number.isFinite(epochMs) && epochMs > 0;
}

function shorten(message: string): string {
  return message.length > maxErrorMessageLength ? `${message.slice(0, maxErrorMessageLength)}…` : message;
}
