/**
 * What bulk `provision` says about each dataflow when it is done with it: the JSON line `--json` prints, the
 * words of its row on the progress board, the summary at the end, and the exit code all come from these reports.
 */
import type { ProvisionDataflowResult, ProvisioningFailure } from '../contracts/provisioning-messages';
import type { DataflowIds, DataflowSchedule } from '../contracts/dataflow-types';
import { provisioningSteps, type ProvisioningStepKey } from '../contracts/provisioning-steps';
import type { AppliedSpec } from './apply-spec';
import { exitCodes } from '../runtime/command-io';
import { failureFacts, formatFacts, type FailureFact } from './failure-facts';
import { isCancelledProvisioning, provisioningFailureOf } from './provisioning-failure';
import { isTemporalUnavailable } from './temporal-unavailable';

/**
 * provisioned / already-existed / failed / cancelled: how the workflow ended. started: `--no-wait`, not followed.
 * unknown: Temporal could not be reached, so its end was not seen (it may still be running).
 */
export type BulkStatus = 'provisioned' | 'already-existed' | 'failed' | 'cancelled' | 'started' | 'unknown';

/** One line of `provision --json` with several specs. */
export interface BulkDataflowReport {
  sandbox: string;
  name: string;
  /** The spec file it came from. */
  spec: string;
  workflowId: string;
  uiUrl: string;
  status: BulkStatus;
  /** provisioned, already-existed: every AEP id. */
  ids?: DataflowIds;
  schedule?: DataflowSchedule;
  monitorWorkflowId?: string;
  /** The steps this run created and found already there; absent when an earlier run had provisioned it. */
  created?: ProvisioningStepKey[];
  reused?: ProvisioningStepKey[];
  warnings?: string[];
  /** The dataflow existed (in part): what applying the spec to it changed, kept and found shared. */
  applied?: AppliedSpec;
  /** failed at a step: the step, AEP's HTTP status, code and message, what was rolled back or left behind. */
  failure?: ProvisioningFailure;
  /** failed otherwise (terminated, timed out, not started), cancelled, unknown: what happened. */
  message?: string;
}

/** Who the report is about; the rest is filled in by how it ended. */
export type ReportSubject = Pick<BulkDataflowReport, 'sandbox' | 'name' | 'spec' | 'workflowId' | 'uiUrl'>;

export function reportFromResult(subject: ReportSubject, result: ProvisionDataflowResult): BulkDataflowReport {
  return {
    ...subject,
    status: result.alreadyExisted ? 'already-existed' : 'provisioned',
    ids: result.ids,
    schedule: result.schedule,
    ...(result.monitorWorkflowId ? { monitorWorkflowId: result.monitorWorkflowId } : {}),
    created: result.created,
    reused: result.reused,
    ...(result.warnings && result.warnings.length > 0 ? { warnings: result.warnings } : {}),
  };
}

/** `activity` says what was going on when it went wrong, e.g. "following it" or "starting it". */
export function reportFromError(subject: ReportSubject, error: unknown, activity: string): BulkDataflowReport {
  if (isTemporalUnavailable(error)) {
    return {
      ...subject,
      status: 'unknown',
      message: `lost Temporal while ${activity}: ${messageOf(error)}; it may still be running`,
    };
  }
  const failure = provisioningFailureOf(error);
  if (failure) return { ...subject, status: 'failed', failure };
  if (isCancelledProvisioning(error)) {
    return { ...subject, status: 'cancelled', message: 'cancelled; what it had built was rolled back' };
  }
  return { ...subject, status: 'failed', message: `${activity}: ${causeMessage(error)}` };
}

/** The words a finished dataflow's row ends with on the progress board. */
export function outcomeWords(report: BulkDataflowReport): string {
  switch (report.status) {
    case 'provisioned':
      return `provisioned${appliedWords(report.applied)}`;
    case 'already-existed':
      return `already existed${appliedWords(report.applied)}`;
    case 'started':
      return 'started';
    case 'cancelled':
      return 'cancelled';
    case 'unknown':
      return 'UNKNOWN (lost Temporal)';
    case 'failed': {
      const failure = report.failure;
      if (!failure) return `FAILED: ${report.message ?? 'unknown error'}`;
      const answer = [failure.status !== undefined ? `HTTP ${failure.status}` : undefined, failure.code]
        .filter((part) => part !== undefined)
        .join(' ');
      return `FAILED at step ${failure.stepNumber} (${failure.stepTitle})${answer ? `: ${answer}` : ''}`;
    }
  }
}

function appliedWords(applied: AppliedSpec | undefined): string {
  if (applied === undefined) return '';
  if (!applied.ok) return `; SPEC NOT APPLIED: ${applied.summary}`;
  return applied.changed.length === 0 ? '; matches the spec' : `; changed: ${applied.changed.join('; ')}`;
}

/** How many ended which way, then each failure with its step and AEP's answer. */
export function formatBulkSummary(reports: readonly BulkDataflowReport[]): string {
  const count = (status: BulkStatus) => reports.filter((report) => report.status === status).length;
  const counts = [`${count('provisioned')} provisioned`, `${count('already-existed')} already existed`];
  counts.push(`${count('failed')} failed`);
  if (count('cancelled') > 0) counts.push(`${count('cancelled')} cancelled`);
  if (count('unknown') > 0) counts.push(`${count('unknown')} unknown (lost Temporal; run the command again)`);
  const lines = [`${reports.length} dataflows: ${counts.join(', ')}.`];

  const changed = reports.filter((report) => (report.applied?.changed.length ?? 0) > 0).length;
  if (changed > 0) lines[0] = `${lines[0]} ${changed} changed to match their spec.`;
  const notApplied = reports.filter((report) => report.applied?.ok === false);
  for (const report of notApplied) {
    lines.push(`  ${report.sandbox}/${report.name} (${report.spec}): ${report.applied!.summary}`);
  }
  const unsuccessful = reports.filter((report) => ['failed', 'cancelled', 'unknown'].includes(report.status));
  if (unsuccessful.length > 0) lines.push('Not provisioned:');
  for (const report of unsuccessful) {
    lines.push(`  ${report.sandbox}/${report.name} (${report.spec}): ${headline(report)}`);
    const failure = report.failure;
    const facts: FailureFact[] = failure
      ? [
          ...failureFacts(failure).slice(0, 4),
          ['rolled back', failure.rolledBack.length > 0 ? failure.rolledBack.join('; ') : undefined],
          ['kept', failure.kept && failure.kept.length > 0 ? failure.kept.join('; ') : undefined],
          [
            'LEFT BEHIND',
            failure.leftBehind.length > 0 ? `${failure.leftBehind.join('; ')} (delete by hand)` : undefined,
          ],
        ]
      : [];
    facts.push(['Web UI', report.uiUrl]);
    lines.push(...formatFacts(facts, '    '));
  }
  return lines.join('\n');
}

function headline(report: BulkDataflowReport): string {
  if (report.failure)
    return `failed at step ${report.failure.stepNumber} of ${provisioningSteps.length} (${report.failure.stepTitle})`;
  return `${report.status}: ${report.message ?? ''}`;
}

/** 0 when every dataflow is provisioned (or already was) and matches its spec, 1 when any failed, 3 when Temporal was lost. */
export function bulkExitCode(reports: readonly BulkDataflowReport[]): number {
  if (reports.some((report) => report.status === 'unknown')) return exitCodes.unavailable;
  if (reports.some((report) => report.status === 'failed' || report.status === 'cancelled')) return exitCodes.failed;
  if (reports.some((report) => report.applied?.ok === false)) return exitCodes.failed;
  return exitCodes.ok;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** A workflow failure's own message says only "Workflow execution failed": its cause says why. */
function causeMessage(error: unknown): string {
  const cause = error instanceof Error && error.cause instanceof Error ? error.cause : error;
  return messageOf(cause);
}
