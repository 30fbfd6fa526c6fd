/**
 * How long the monitor lets one activity run. An activity's AEP client retries an idempotent read in process
 * (src/aep/retry-policy.ts: 3 attempts, waiting a Retry-After of up to 30 s between them), each attempt allowed
 * the client's 30 s request timeout. If startToCloseTimeout were shorter than that, Temporal would give up on
 * (and retry) an attempt that is still legitimately waiting, and a slow AEP would look like a broken monitor.
 * Workflow code cannot import the client, so the figures are repeated here; a test checks them against it.
 */

/** The AEP client's defaults these timeouts are sized for. */
export const aepClientDefaults = {
  requestTimeoutMs: 30_000,
  maxAttempts: 3,
  maxRetryAfterMs: 30_000,
} as const;

/** The longest one AEP read can take inside the client: every attempt timing out, the longest waits between. */
export const aepReadBudgetMs =
  aepClientDefaults.maxAttempts * aepClientDefaults.requestTimeoutMs +
  (aepClientDefaults.maxAttempts - 1) * aepClientDefaults.maxRetryAfterMs;

/** Listing runs: one read at its worst, plus room for the other pages and the IMS token (3 min). */
export const pollTimeoutMs = aepReadBudgetMs + 30_000;

/** A change reads (etag), writes, and reads again (explore preview, or the restore after a refusal): 6 min. */
export const changeTimeoutMs = 2 * aepReadBudgetMs + 60_000;
