/**
 * Turns client errors into the failures Temporal acts on (DESIGN invariant 3): what can succeed later (429, 5xx,
 * network errors) is retried, after Retry-After when the server gave one; what cannot (400, 401, 403, 404, 409,
 * 412 after a re-read) stops at once. Either way the message names the step, the HTTP status, AEP's error code
 * and AEP's message, and the details carry the same fields for the workflow and the CLI. A sealed secret the
 * worker cannot open (sealed to a key it does not hold) stops at once too: no retry will open it.
 */
import { ApplicationFailure } from '@temporalio/common';
import { AepError } from '../aep';
import { OneTrustError } from '../onetrust';
import { createSecretRedactor } from '../observability/secret-redaction';
import { SecretBoxError, type SealedSecret, type SecretBox } from '../secrets';
import { withEarlierAnswer } from './earlier-answers';
import type { AepFailureDetails } from '../contracts/aep-failure-details';

export type { AepFailureDetails } from '../contracts/aep-failure-details';

export const failureTypes = {
  /** AEP refused the request; sending it again will not help. */
  rejected: 'AepRequestRejected',
  /** AEP could not serve the request now (429, 5xx, network); retried with backoff. */
  unavailable: 'AepUnavailable',
  oneTrustRejected: 'OneTrustRequestRejected',
  oneTrustUnavailable: 'OneTrustUnavailable',
  /** Our own check failed (e.g. the explore preview lacks a mapped field); not retryable. */
  checkFailed: 'ProvisioningCheckFailed',
  /** The worker cannot open a secret the CLI sealed (another key); no retry will open it. */
  sealedSecretUnreadable: 'SealedSecretUnreadable',
} as const;

/**
 * AEP's and OneTrust's messages go into workflow history, action outcomes and alerts: an error body that echoes a
 * token (`access_token=…`, a JWT, a bearer header) is scrubbed before it gets there.
 */
const failureTextRedactor = createSecretRedactor();

export function toActivityFailure(error: unknown, step: string): unknown {
  if (error instanceof ApplicationFailure) return error;
  if (error instanceof AepError) {
    const details: AepFailureDetails = withEarlierAnswer({
      step,
      ...(error.status !== undefined ? { status: error.status } : {}),
      ...(error.code !== undefined ? { code: error.code } : {}),
      detail: failureTextRedactor.redactText(error.detail),
      // Without a status AEP never answered (a network error, a deadline): the words are the client's.
      saidBy: error.status !== undefined ? 'AEP' : 'worker',
      ...(error.requestId !== undefined ? { requestId: error.requestId } : {}),
      method: error.method,
      path: error.path,
    });
    return ApplicationFailure.create({
      message: describeFailure(details),
      type: error.retryable ? failureTypes.unavailable : failureTypes.rejected,
      nonRetryable: !error.retryable,
      ...nextRetryDelayOf(error),
      details: [details],
    });
  }
  if (error instanceof OneTrustError) {
    const details: AepFailureDetails = {
      step,
      ...(error.status !== undefined ? { status: error.status } : {}),
      ...(error.code !== undefined ? { code: error.code } : {}),
      detail: failureTextRedactor.redactText(error.message),
      saidBy: 'OneTrust',
    };
    return ApplicationFailure.create({
      message: describeFailure(details),
      type: error.retryable ? failureTypes.oneTrustUnavailable : failureTypes.oneTrustRejected,
      nonRetryable: !error.retryable,
      ...nextRetryDelayOf(error),
      details: [details],
    });
  }
  if (error instanceof SecretBoxError) {
    const details: AepFailureDetails = {
      step,
      // The message names the key it was sealed with, the keys this worker holds, and which setting to fix.
      detail: `cannot open the sealed secret: ${error.message}`,
      saidBy: 'worker',
    };
    return ApplicationFailure.create({
      message: describeFailure(details),
      type: failureTypes.sealedSecretUnreadable,
      nonRetryable: true,
      details: [details],
    });
  }
  // Anything else (a bug, an unexpected body) is retried by the activity's policy, then reported (scrubbed).
  if (error instanceof Error) error.message = failureTextRedactor.redactText(error.message);
  return error;
}

/**
 * The retry delay AEP or OneTrust asked for (Retry-After, or the pacing slot a call could not wait for). Temporal
 * ends an activity's retries when a failure asks for no delay at all (retry state TIMEOUT, at once): a zero delay
 * leaves the retry policy's own backoff.
 */
function nextRetryDelayOf(error: { retryable: boolean; retryAfterMs?: number | undefined }): {
  nextRetryDelay?: number;
} {
  return error.retryable && error.retryAfterMs !== undefined && error.retryAfterMs > 0
    ? { nextRetryDelay: error.retryAfterMs }
    : {};
}

/** A failed check of ours: not retryable, described like an AEP failure so the CLI prints it the same way. */
export function checkFailure(step: string, detail: string): ApplicationFailure {
  const details: AepFailureDetails = { step, detail, saidBy: 'worker' };
  return ApplicationFailure.create({
    message: describeFailure(details),
    type: failureTypes.checkFailed,
    nonRetryable: true,
    details: [details],
  });
}

/** `dataset: HTTP 400 FLOW-1425-400: Schema with same id ... (POST /data/foundation/flowservice/flows, request 1a2b)` */
export function describeFailure(details: AepFailureDetails): string {
  const status = details.status !== undefined ? `HTTP ${details.status}` : undefined;
  const head = [status, details.code].filter(Boolean).join(' ');
  const where = [
    details.method && details.path ? `${details.method} ${details.path}` : undefined,
    details.requestId ? `request ${details.requestId}` : undefined,
  ]
    .filter(Boolean)
    .join(', ');
  return `${details.step}: ${head ? `${head}: ` : ''}${details.detail}${where ? ` (${where})` : ''}`;
}

/** Opens a sealed secret in the worker; one that will not open fails at once (see toActivityFailure). */
export function openSealedSecret(secrets: SecretBox, secret: SealedSecret, step: string): string {
  try {
    return secrets.open(secret);
  } catch (error) {
    throw toActivityFailure(error, step);
  }
}

/** Runs one step's work, converting failures as above. */
export async function asStep<T>(step: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw toActivityFailure(error, step);
  }
}
