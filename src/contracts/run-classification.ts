/**
 * Reading AEP's run statuses and errors: did the run finish, did it fail, and whose fault was it.
 * Workflow-safe, and used by the listRuns activity too so both sides agree.
 */
import type { FailureCause, RunOutcome } from './monitor-state';

const successStatuses = new Set(['success', 'succeeded', 'completed', 'partialsuccess']);
const failureStatuses = new Set(['failed', 'failure', 'error', 'cancelled', 'canceled', 'aborted']);

/** AEP's `metrics.statusSummary.status` → what the monitor counts. Unknown statuses mean "not finished yet". */
export function runOutcome(status: string | undefined): RunOutcome {
  const normalized = (status ?? '').toLowerCase();
  if (successStatuses.has(normalized)) return 'success';
  if (failureStatuses.has(normalized)) return 'failed';
  return 'running';
}

/** HTTP 401/403 in an AEP code (`CONNECTOR-2001-401`, gateway `401013`) or auth wording in the message. */
const authCodePattern = /(^|[^0-9])40[13]([^0-9]|$)|^40[13]\d{3}$|auth|token|credential/i;
const authMessagePattern =
  /unauthori[sz]ed|authenticat|access token|token (is )?(expired|invalid|not valid|revoked)|expired token|invalid token|invalid credentials|forbidden/i;

/**
 * Mapping errors first (Data Prep's `MAPPER-…` codes are unambiguous), then token/auth, then everything else
 * is the platform's: retrying or waiting is the remedy there, not a change on our side.
 */
export function classifyFailure(errors: ReadonlyArray<{ code?: string; message?: string }>): FailureCause {
  if (errors.some((error) => /^MAPPER-/i.test(error.code ?? ''))) return 'mapping';
  if (errors.some((error) => authCodePattern.test(error.code ?? '') || authMessagePattern.test(error.message ?? ''))) {
    return 'token';
  }
  if (errors.some((error) => /mapping|mapper/i.test(error.message ?? ''))) return 'mapping';
  return 'platform';
}

export const failureCauseDescriptions: Record<FailureCause, string> = {
  token: 'the OneTrust token was refused (expired, revoked or wrong)',
  mapping: 'the Data Prep mapping does not fit the data or the schema',
  platform: 'a platform error on the AEP side',
};
