/**
 * How often, and how long to wait, before retrying in process: a read (GET) on any retryable failure, any method on
 * a 429 (whose wait the organisation's pacer takes over). A call scope's deadline bounds every wait as well.
 */
export interface RetryOptions {
  /** Total attempts including the first. 1 disables in-process retries. Default 3. */
  maxAttempts: number;
  /** Delay before the first retry; doubles each time (with jitter). Default 200 ms. */
  initialDelayMs: number;
  /** Upper bound for one computed backoff delay. Default 5 000 ms. */
  maxDelayMs: number;
  /**
   * A Retry-After longer than this is not waited for in-process: the error goes to the caller, whose retry waits the
   * full Retry-After (the activity's nextRetryDelay). Also the longest one Retry-After holds the organisation's other
   * requests (the pacer's maxRetryAfterHoldMs). Default 30 000 ms.
   */
  maxRetryAfterMs: number;
}

export const defaultRetryOptions: RetryOptions = {
  maxAttempts: 3,
  initialDelayMs: 200,
  maxDelayMs: 5_000,
  maxRetryAfterMs: 30_000,
};

/**
 * The delay before retry number `retryNumber` (1-based): the server's Retry-After when it gave one,
 * else exponential backoff with "full jitter" so many clients do not retry in lockstep.
 */
export function retryDelayMs(options: RetryOptions, retryNumber: number, retryAfterMs: number | undefined): number {
  if (retryAfterMs !== undefined) return retryAfterMs;
  const ceiling = Math.min(options.maxDelayMs, options.initialDelayMs * 2 ** (retryNumber - 1));
  return Math.round(ceiling / 2 + (Math.random() * ceiling) / 2);
}
