/**
 * A worker takes an activity task only while its AEP calls wait little for their turn (issue 22). Without this, a
 * worker takes every task it has a slot for and holds them in its request pacer: behind a 20/s limit shared by six
 * workers, 180 calls queued in one worker waited up to 120 s, past their attempt's deadline, and were sent again,
 * look-up first; a worker that died took its queue with it until the heartbeat timeout; one that joined found the
 * work already taken. Held back, the tasks wait in Temporal's queue, where any worker takes them the moment its
 * own calls are nearly out: the backlog lives in Temporal, not in a process.
 *
 * It is the activity slot supplier of the SDK's worker tuner: the SDK asks for a slot before each poll for an
 * activity task, and before taking one eagerly (in the reply to the workflow task that scheduled it).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { ActivitySlotInfo, CustomSlotSupplier, SlotPermit } from '@temporalio/worker';

export interface ActivityAdmissionOptions {
  /** At most this many activities at once (MAX_CONCURRENT_ACTIVITIES; the SDK's default is 100). */
  maxSlots: number;
  /** The organisation's pace in this process, now (src/aep/request-pacer.ts); undefined before its first call. */
  pace: () => CallPace | undefined;
  /** A task is taken only while the expected backlog is under this. */
  admitBelowMs?: number;
  /** How often a held reservation looks at the backlog again. */
  recheckEveryMs?: number;
  /** How long a task just taken counts as a call about to queue (its first call may wait for an IMS token). */
  settleMs?: number;
  now?: () => number;
}

export interface CallPace {
  /** How long an AEP call made now would wait for its turn, in ms. */
  expectedWaitMs: number;
  /** The rate calls are let through at; undefined while unpaced. */
  requestsPerSecond: number | undefined;
}

/**
 * A few seconds of calls queued keeps the pacer busy between two polls (a poll answers in milliseconds when tasks
 * wait), and is far inside any attempt's deadline.
 */
export const defaultAdmitBelowMs = 3_000;

export function activitySlotsAdmittedByPace(options: ActivityAdmissionOptions): CustomSlotSupplier<ActivitySlotInfo> {
  const admitBelowMs = options.admitBelowMs ?? defaultAdmitBelowMs;
  const recheckEveryMs = options.recheckEveryMs ?? 50;
  const settleMs = options.settleMs ?? 1_000;
  const now = options.now ?? Date.now;
  let issued = 0;
  // When each recent slot was issued: its task's calls may not be queued yet (eager tasks come many at once, with
  // a workflow task each, before any of them has called), so each counts as one call to come.
  const recentlyIssued: number[] = [];
  const expectedBacklogMs = (): number => {
    const at = now();
    while (recentlyIssued.length > 0 && recentlyIssued[0]! <= at - settleMs) recentlyIssued.shift();
    const { expectedWaitMs = 0, requestsPerSecond = undefined } = options.pace() ?? {};
    return expectedWaitMs + (requestsPerSecond ? (recentlyIssued.length * 1000) / requestsPerSecond : 0);
  };
  const mayIssue = (): boolean => issued < options.maxSlots && expectedBacklogMs() < admitBelowMs;
  const issue = (): SlotPermit => {
    issued += 1;
    recentlyIssued.push(now());
    return {};
  };
  return {
    type: 'custom',
    async reserveSlot(_context, abortSignal): Promise<SlotPermit> {
      // The SDK gives up a reservation it no longer needs by aborting it: the sleep then rejects with an AbortError.
      while (!mayIssue()) await sleep(recheckEveryMs, undefined, { signal: abortSignal });
      return issue();
    },
    tryReserveSlot(): SlotPermit | null {
      return mayIssue() ? issue() : null;
    },
    markSlotUsed(): void {},
    releaseSlot(): void {
      issued -= 1;
    },
  };
}
