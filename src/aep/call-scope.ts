/**
 * What a caller (a Temporal activity) tells the AEP client about one call, so the client's own waits (pacing,
 * Retry-After, retry backoff) honour Temporal: stop when the activity is cancelled, never outlast its deadline, and
 * let it heartbeat while it waits.
 */
import { untilAborted } from '../runtime/abortable-wait';
import type { Clock } from './clock';

export type AepWaitReason = 'pacing' | 'retry-after' | 'backoff';

export interface AepWaitInfo {
  /** How much longer the wait is expected to last, in ms. */
  waitMs: number;
  reason: AepWaitReason;
}

export interface AepCallScope {
  /** Aborting it cancels the call: a pending wait or request rejects at once with an AepCallCancelledError. */
  signal?: AbortSignal;
  /** Epoch ms by which the call must have finished: a wait that would pass it fails instead (retryable). */
  deadlineMs?: number;
  /**
   * Epoch ms after which the caller will not try again (the activity's schedule-to-close): a pacing slot after it
   * is reported with its wait, so the step ends at once instead of retrying calls that cannot go out.
   */
  retryWindowEndsMs?: number;
  /** Called before each wait longer than ~100 ms and every 2 s while it lasts: the activity heartbeats here. */
  onWait?: (info: AepWaitInfo) => void;
}

/** Waits shorter than this are not worth a heartbeat. */
export const waitReportThresholdMs = 100;
/** Well inside any sensible heartbeat timeout. */
export const waitReportIntervalMs = 2_000;

/** A wait given up because the scope's signal fired. The client turns it into an AepCallCancelledError. */
export class WaitCancelledError extends Error {
  override readonly name = 'WaitCancelledError';

  constructor(readonly reason: AepWaitReason | 'token') {
    super(`cancelled while waiting (${reason})`);
  }
}

/** A wait refused because it would pass the scope's deadline. The client turns it into a retryable AepError. */
export class WaitPastDeadlineError extends Error {
  override readonly name = 'WaitPastDeadlineError';

  constructor(
    readonly waitMs: number,
    readonly reason: AepWaitReason,
    readonly deadlineMs: number,
  ) {
    super(
      `waiting ${Math.round(waitMs)} ms (${reason}) would pass the call's deadline ${new Date(deadlineMs).toISOString()}`,
    );
  }
}

/** True when a wait ending `waitMs` from `now` would leave no time to make the call before the deadline. */
export function wouldPassDeadline(scope: AepCallScope, now: number, waitMs: number): boolean {
  return scope.deadlineMs !== undefined && now + waitMs >= scope.deadlineMs;
}

/**
 * Reports a wait to `scope.onWait`: at once when `current()` expects more than the threshold, otherwise once the
 * wait has lasted that long, then every interval. Returns the function that stops the reports.
 */
export function reportWhileWaiting(scope: AepCallScope, clock: Clock, current: () => AepWaitInfo): () => void {
  const onWait = scope.onWait;
  if (!onWait) return () => undefined;
  let cancelTimer: (() => void) | undefined;
  const reportAndRepeat = (): void => {
    onWait(current());
    cancelTimer = clock.schedule(waitReportIntervalMs, reportAndRepeat);
  };
  if (current().waitMs > waitReportThresholdMs) reportAndRepeat();
  else cancelTimer = clock.schedule(waitReportThresholdMs, reportAndRepeat);
  return () => cancelTimer?.();
}

/** Sleeps `waitMs` unless that would pass the deadline (rejects at once) or the signal fires (rejects then). */
export function sleepWithinScope(
  waitMs: number,
  reason: AepWaitReason,
  scope: AepCallScope,
  clock: Clock,
): Promise<void> {
  const { signal } = scope;
  if (signal?.aborted) return Promise.reject(new WaitCancelledError(reason));
  const start = clock.now();
  if (wouldPassDeadline(scope, start, waitMs)) {
    return Promise.reject(new WaitPastDeadlineError(waitMs, reason, scope.deadlineMs!));
  }
  return new Promise<void>((resolve, reject) => {
    const stopReports = reportWhileWaiting(scope, clock, () => ({
      waitMs: Math.max(0, start + waitMs - clock.now()),
      reason,
    }));
    const finish = (): void => {
      cancelTimer();
      stopReports();
      signal?.removeEventListener('abort', onAbort);
    };
    const onAbort = (): void => {
      finish();
      reject(new WaitCancelledError(reason));
    };
    const cancelTimer = clock.schedule(waitMs, () => {
      finish();
      resolve();
    });
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Awaits `work` (shared with other callers, so it is not itself aborted), giving up when the signal fires. */
export function untilCancelled<T>(work: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  return signal ? untilAborted(work, signal, () => new WaitCancelledError('token')) : work;
}
