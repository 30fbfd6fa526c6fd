/**
 * Adobe I/O Events' webhook retry rules (adobe-io-events common/retry-doc.md): 429 and every 5xx but 505 are
 * retried, and so are timeouts and unreachable webhooks; the first retry comes after 1 minute, each wait doubles
 * and is capped at 15 minutes (1, 2, 4, 8, 15, 15… min), for 24 hours. Durations are simulated ms.
 */
const firstRetryAfterMs = 60_000;
const longestWaitMs = 15 * 60_000;

/** The simulated wait before retry number `retry` (1 = the first retry). */
export function retryWaitMs(retry: number): number {
  return Math.min(firstRetryAfterMs * 2 ** Math.max(0, retry - 1), longestWaitMs);
}

/** Whether an answer with this status is retried; undefined means no answer (timeout, refused connection). */
export function isRetriedAnswer(status: number | undefined): boolean {
  if (status === undefined) return true;
  return status === 429 || (status >= 500 && status <= 599 && status !== 505);
}
