/**
 * Paces one organisation's AEP requests so a shared gateway limit (requests per second per org) is used fully
 * while drawing few 429s. Every sandbox view and every activity of the process waits here before each request.
 *
 * Why this scheme:
 * - Unpaced until the first 429 (or from the start with a ceiling): no limit is known, and one provisioning's
 *   parallel look-ups must not be slowed for a limit it never reaches.
 * - A 429 is the gateway saying "above my limit". The first one starts pacing at β × the answers admitted in the
 *   trailing second (that second's admissions are the best sample of the limit). Later ones decrease the rate by β,
 *   but only for a request sent after the last decrease and at most once a second: a burst of 429s answers one
 *   excess, and the 429s of requests already on their way say nothing about the new rate.
 * - Additive increase, only while requests actually wait for their slot (the pacer is the bottleneck; otherwise
 *   there is no evidence the limit is higher), in two speeds, as TCP CUBIC does around its last loss: back to 0.97
 *   of the rate that drew the last 429 quickly (+2 % of it per second of waiting), then above that slowly (+0.1 %
 *   a second). Every probe past the limit costs a 429 and the org's Retry-After pause (a whole second: the header
 *   counts seconds), so probes must be rare: one every ~40 s keeps the admitted rate near 0.95 of the limit and
 *   429s to a few per thousand calls (one linear speed, +0.5 % a second, probed every ~20 s and used 0.89).
 * - A first 429 with fewer than 5 answers admitted in the trailing second is no sample of a limit: only its
 *   Retry-After is honoured; so is a 429 while the process sends at under half its rate (a lone resend, one
 *   throttled endpoint). A minute without any 429 forgets the learned rate (the limit may be gone or raised).
 * - Retry-After holds the whole organisation (the gateway counts every caller of the org), but for at most
 *   `maxRetryAfterHoldMs`, the longest a 429 is resent after in process. A longer one (an hour, a date) is the
 *   throttled request's own: its caller retries it after the full wait (the activity's nextRetryDelay), while the
 *   org's other calls go on after the bounded hold, so reconciles, monitors and provisioning steps are not all stalled
 *   for the hour by one answer.
 * - Strict spacing (no bursts): the next slot is one interval after the previous request actually left, so no
 *   trailing second ever holds more than the rate, whatever the gateway's window.
 * - At most `maxInFlight` requests (the connection pool) are out at once, so a request leaves the moment it is let
 *   through; one queued in the pool would leave after a Retry-After began.
 * - A fixed ceiling (AEP_MAX_REQUESTS_PER_SECOND) bounds the learned rate, for limits shared with other processes.
 */
import {
  reportWhileWaiting,
  WaitCancelledError,
  WaitPastDeadlineError,
  wouldPassDeadline,
  type AepCallScope,
  type AepWaitReason,
} from './call-scope';
import { systemClock, type Clock } from './clock';
import { defaultRetryOptions } from './retry-policy';

export const pacingTuning = {
  /** Multiplicative decrease on a 429 (and from the first sample). */
  decreaseFactor: 0.9,
  /** Additive increase per second of waiting below the plateau, as a share of the limit estimated at the last 429. */
  recoveryShareRate: 0.02,
  /** The share of that estimate up to which the rate recovers quickly. */
  plateauShare: 0.97,
  /** Additive increase per second of waiting above the plateau (probing for more), as a share of the estimate. */
  probeShareRate: 0.001,
  /** A 429 within this long of the last decrease is part of the same excess. */
  decreaseSpacingMs: 1_000,
  /** The window whose admitted answers give the first estimate. */
  sampleWindowMs: 1_000,
  /** How long admitted answers are kept: other workers ask for the second before a 429 they learn of later. */
  admissionsKeptMs: 5_000,
  /** Never slower than this, so the org is still probed when other processes take most of its limit. */
  minimumRequestsPerSecond: 1,
  /**
   * A first 429 when fewer answers than this were admitted in the trailing second says nothing about a rate (a
   * gateway hiccup, another process's burst): honour its Retry-After, but do not start pacing at a rate that low.
   */
  minimumSample: 5,
  /** A 429 lowers the rate only when the trailing second admitted at least this share of it. */
  busyShare: 0.5,
  /** After this long without a 429 the limit may have gone (or been raised): unpaced again, until the next one. */
  quietPeriodMs: 60_000,
} as const;

export interface RequestPacerOptions {
  /** Requests per second never exceeded (AEP_MAX_REQUESTS_PER_SECOND); with it, pacing starts at once. */
  maxRequestsPerSecond?: number;
  /** Requests out at once; default unbounded. The client passes its connection pool size. */
  maxInFlight?: number;
  /**
   * Default true. false: 429s are counted but teach nothing (no pacing beyond the ceiling, no Retry-After hold),
   * the client's behaviour before pacing, kept for comparisons.
   */
  adaptive?: boolean;
  /**
   * Default true. false: the rate is this process's share of one learned for all workers (shared pacing,
   * src/temporal/shared-pacing.ts), set with `follow`. A 429 still lowers it here at once, until the next `follow`
   * brings the shared rate, but nothing raises it here; and once a rate is followed a Retry-After delays only the
   * request that drew it: holding every request of this process would idle its share while the other workers send
   * on, and the shared rate's decrease answers the excess for all of them.
   */
  learnsRate?: boolean;
  /**
   * The longest one Retry-After holds every request of the organisation. Default (and what the client passes): the
   * retry setting maxRetryAfterMs, beyond which a 429 is not resent in process but handed to the caller.
   */
  maxRetryAfterHoldMs?: number;
  clock?: Clock;
}

/** How a request let through by the pacer ended, as far as the gateway's limit is concerned. */
export type RequestOutcome =
  | { kind: 'admitted' }
  | { kind: 'throttled'; retryAfterMs: number | undefined }
  /** No answer (network failure, cancelled): says nothing about the limit. */
  | { kind: 'unanswered' };

export interface PacerPermit {
  /** When the request was let through (epoch ms). */
  readonly sentAt: number;
  /** Must be called once, when the request has its answer or has failed. */
  finish(outcome: RequestOutcome): void;
}

/** A read-only view of one organisation's pacing, for benchmarks and diagnostics. */
export interface PacingSnapshot {
  /** The rate requests are let through at; undefined while unpaced (no 429 seen and no ceiling). */
  requestsPerSecond: number | undefined;
  maxRequestsPerSecond: number | undefined;
  /** Answers other than 429. */
  admitted: number;
  /** 429 answers. */
  throttled: number;
  waiting: number;
  /** How long a call made now would wait for its turn, in ms (behind those waiting, at the rate in force). */
  expectedWaitMs: number;
  inFlight: number;
  /** Epoch ms until which a Retry-After (bounded) holds every request back; undefined when none is in force. */
  retryAfterUntil: number | undefined;
  /** Requests so far that waited for the rate (not for a Retry-After or a connection): the rate held work back. */
  waitedForRate: number;
  /** Answers other than 429 in the trailing second. */
  admittedInLastSecond: number;
  /** When the last request answered 429 had been let through (epoch ms); undefined before any. */
  lastThrottledSentAt: number | undefined;
}

export interface AcquireOptions {
  /** A retry of a call already sent: it goes to the head of the queue, as it has waited its turn once. */
  resend?: boolean;
}

interface Waiter {
  resolve(permit: PacerPermit): void;
  reject(error: Error): void;
  /** Stops the waiter's timers and listeners. */
  release(): void;
}

/** What last kept the head of the queue from leaving. */
type Hold = 'rate' | 'retry-after' | 'in-flight' | undefined;

export class RequestPacer {
  /** Whether 429s and Retry-After shape the pacing (see RequestPacerOptions.adaptive). */
  readonly adaptive: boolean;
  private readonly learnsRate: boolean;
  private readonly clock: Clock;
  private readonly maxInFlight: number;
  private readonly ceiling: number | undefined;
  private readonly maxRetryAfterHoldMs: number;
  private rate: number | undefined;
  /** The rate that drew the last decrease: sizes the additive steps and places the plateau. */
  private limitEstimate: number | undefined;
  private nextSlotAt = Number.NEGATIVE_INFINITY;
  private lastSentAt = Number.NEGATIVE_INFINITY;
  private waitedForRate = 0;
  private blockedUntil = Number.NEGATIVE_INFINITY;
  private lastDecreaseAt = Number.NEGATIVE_INFINITY;
  private lastThrottledAt = Number.NEGATIVE_INFINITY;
  private lastThrottledSentAt: number | undefined;
  private recentAdmissions: number[] = [];
  private readonly queue: Waiter[] = [];
  private inFlight = 0;
  private admitted = 0;
  private throttled = 0;
  private hold: Hold;
  private cancelWakeUp: (() => void) | undefined;

  constructor(options: RequestPacerOptions = {}) {
    this.adaptive = options.adaptive ?? true;
    this.learnsRate = options.learnsRate ?? true;
    this.clock = options.clock ?? systemClock;
    this.maxInFlight = options.maxInFlight ?? Number.POSITIVE_INFINITY;
    this.ceiling = options.maxRequestsPerSecond;
    this.maxRetryAfterHoldMs = options.maxRetryAfterHoldMs ?? defaultRetryOptions.maxRetryAfterMs;
    this.rate = this.ceiling;
    this.limitEstimate = this.ceiling;
  }

  /**
   * Resolves when the request may be sent. Rejects with WaitCancelledError when the scope's signal fires, and with
   * WaitPastDeadlineError at once when its slot is expected after the scope's deadline (or when the deadline comes).
   */
  acquire(scope: AepCallScope = {}, options: AcquireOptions = {}): Promise<PacerPermit> {
    const now = this.clock.now();
    const position = options.resend ? 0 : this.queue.length;
    const { waitMs, reason } = this.expectedWait(position, now);
    if (scope.signal?.aborted) return Promise.reject(new WaitCancelledError(reason));
    if (wouldPassDeadline(scope, now, waitMs)) {
      return Promise.reject(new WaitPastDeadlineError(waitMs, reason, scope.deadlineMs!));
    }
    if (this.queue.length === 0 && this.canSendAt(now)) return Promise.resolve(this.letThrough(now));
    return new Promise<PacerPermit>((resolve, reject) => {
      const cleanups: Array<() => void> = [];
      const waiter: Waiter = {
        resolve,
        reject,
        release: () => cleanups.forEach((cleanup) => cleanup()),
      };
      const giveUp = (error: Error): void => {
        const index = this.queue.indexOf(waiter);
        if (index < 0) return;
        this.queue.splice(index, 1);
        waiter.release();
        reject(error);
        this.pump();
      };
      const { signal, deadlineMs } = scope;
      if (signal) {
        const onAbort = (): void => giveUp(new WaitCancelledError(this.waitOf(waiter).reason));
        signal.addEventListener('abort', onAbort, { once: true });
        cleanups.push(() => signal.removeEventListener('abort', onAbort));
      }
      if (deadlineMs !== undefined) {
        cleanups.push(
          this.clock.schedule(deadlineMs - now, () => {
            const { waitMs: stillToWait, reason: waitingFor } = this.waitOf(waiter);
            giveUp(new WaitPastDeadlineError(stillToWait, waitingFor, deadlineMs));
          }),
        );
      }
      cleanups.push(reportWhileWaiting(scope, this.clock, () => this.waitOf(waiter)));
      if (options.resend) this.queue.unshift(waiter);
      else this.queue.push(waiter);
      this.pump();
    });
  }

  /**
   * Paces at `requestsPerSecond` (undefined: unpaced), within the ceiling, from now on: this process's share of the
   * rate its workers learned together. Only for a pacer that does not learn a rate of its own.
   */
  follow(requestsPerSecond: number | undefined): void {
    if (this.learnsRate) throw new Error('follow() is for a pacer whose rate is learned elsewhere (learnsRate: false)');
    const next = requestsPerSecond === undefined ? this.ceiling : this.bounded(requestsPerSecond);
    if (next === this.rate) return;
    this.rate = next;
    // The next slot is one interval of the new rate after the last request left.
    this.nextSlotAt = next === undefined ? Number.NEGATIVE_INFINITY : this.lastSentAt + 1000 / next;
    this.pump();
  }

  snapshot(): PacingSnapshot {
    const now = this.clock.now();
    return {
      requestsPerSecond: this.rate,
      maxRequestsPerSecond: this.ceiling,
      admitted: this.admitted,
      throttled: this.throttled,
      waiting: this.queue.length,
      expectedWaitMs: Math.max(0, this.expectedWait(this.queue.length, now).waitMs),
      inFlight: this.inFlight,
      retryAfterUntil: this.blockedUntil > now ? this.blockedUntil : undefined,
      waitedForRate: this.waitedForRate,
      admittedInLastSecond: this.admittedInLastSecond(now),
      lastThrottledSentAt: this.lastThrottledSentAt,
    };
  }

  private canSendAt(now: number): boolean {
    return this.inFlight < this.maxInFlight && now >= this.earliestSendAt();
  }

  private earliestSendAt(): number {
    this.forgetLearnedRateWhenQuiet(this.clock.now());
    return Math.max(this.blockedUntil, this.rate === undefined ? Number.NEGATIVE_INFINITY : this.nextSlotAt);
  }

  /** The expected wait of the request at `position` in the queue (a newcomer's position is the queue's length). */
  private expectedWait(position: number, now: number): { waitMs: number; reason: AepWaitReason } {
    const start = Math.max(now, this.earliestSendAt());
    const spacing = this.rate === undefined ? 0 : 1000 / this.rate;
    const reason: AepWaitReason = this.blockedUntil > now ? 'retry-after' : 'pacing';
    return { waitMs: start + position * spacing - now, reason };
  }

  private waitOf(waiter: Waiter): { waitMs: number; reason: AepWaitReason } {
    return this.expectedWait(Math.max(0, this.queue.indexOf(waiter)), this.clock.now());
  }

  /** Lets queued requests through while their slot has come, then sleeps until the next one's. */
  private pump(): void {
    this.cancelWakeUp?.();
    this.cancelWakeUp = undefined;
    while (this.queue.length > 0) {
      const now = this.clock.now();
      if (this.inFlight >= this.maxInFlight) {
        this.hold = 'in-flight';
        return; // finish() pumps again
      }
      const sendAt = this.earliestSendAt();
      if (now < sendAt) {
        this.hold = this.blockedUntil >= sendAt ? 'retry-after' : 'rate';
        this.cancelWakeUp = this.clock.schedule(sendAt - now, () => this.pump());
        return;
      }
      const waiter = this.queue.shift()!;
      waiter.release();
      waiter.resolve(this.letThrough(now));
    }
    this.hold = undefined; // nobody waits: the next request's wait starts afresh
  }

  private letThrough(now: number): PacerPermit {
    if (this.hold === 'rate') {
      this.waitedForRate += 1;
      if (this.learnsRate) this.increase();
    }
    this.hold = undefined;
    this.lastSentAt = now;
    if (this.rate !== undefined) this.nextSlotAt = now + 1000 / this.rate;
    this.inFlight += 1;
    let finished = false;
    return {
      sentAt: now,
      finish: (outcome) => {
        if (finished) return;
        finished = true;
        this.inFlight -= 1;
        this.record(outcome, now);
        this.pump();
      },
    };
  }

  /** One request's share of the per-second step, while requests keep waiting: quick below the plateau, then slow. */
  private increase(): void {
    if (this.rate === undefined || this.limitEstimate === undefined) return;
    const plateau = pacingTuning.plateauShare * this.limitEstimate;
    if (this.rate < plateau) {
      const step = (pacingTuning.recoveryShareRate * this.limitEstimate) / this.rate;
      this.rate = this.bounded(Math.min(plateau, this.rate + step));
    } else {
      const step = (pacingTuning.probeShareRate * this.limitEstimate) / this.rate;
      this.rate = this.bounded(this.rate + step);
    }
  }

  private record(outcome: RequestOutcome, sentAt: number): void {
    const now = this.clock.now();
    if (outcome.kind === 'admitted') {
      this.admitted += 1;
      this.recentAdmissions.push(now);
      this.forgetOldAdmissions(now);
    } else if (outcome.kind === 'throttled') {
      this.throttled += 1;
      if (!this.adaptive) return;
      this.lastThrottledAt = now;
      this.lastThrottledSentAt = Math.max(this.lastThrottledSentAt ?? sentAt, sentAt);
      if (outcome.retryAfterMs !== undefined && (this.learnsRate || this.rate === undefined)) {
        const holdMs = Math.min(outcome.retryAfterMs, this.maxRetryAfterHoldMs);
        this.blockedUntil = Math.max(this.blockedUntil, now + holdMs);
      }
      const newExcess = sentAt >= this.lastDecreaseAt && now - this.lastDecreaseAt >= pacingTuning.decreaseSpacingMs;
      if (newExcess && this.usesItsRate(now)) this.decrease(now);
    }
  }

  private admittedInLastSecond(now: number): number {
    this.forgetOldAdmissions(now);
    return this.admittedBetween(now - pacingTuning.sampleWindowMs, now);
  }

  /**
   * Answers other than 429 in the second before `atMs` (epoch ms, within the last 5 s): this worker's part of what the
   * gateway admitted when another worker's call drew the first 429 (src/temporal/shared-pacing.ts).
   */
  admittedInSecondBefore(atMs: number): number {
    this.forgetOldAdmissions(this.clock.now());
    return this.admittedBetween(atMs - pacingTuning.sampleWindowMs, atMs);
  }

  private admittedBetween(afterMs: number, untilMs: number): number {
    return this.recentAdmissions.filter((at) => at > afterMs && at <= untilMs).length;
  }

  private decrease(now: number): void {
    const sample = this.admittedInLastSecond(now);
    this.lastDecreaseAt = now;
    if (this.rate === undefined && sample < pacingTuning.minimumSample) return;
    const estimate = this.rate ?? Math.max(pacingTuning.minimumRequestsPerSecond, sample);
    this.limitEstimate = estimate;
    this.rate = this.bounded(estimate * pacingTuning.decreaseFactor);
  }

  /**
   * A 429 while this process sends far below its own rate (a lone resend, one throttled endpoint, another process
   * taking the limit) says nothing about that rate: lowering it would only slow every other call.
   */
  private usesItsRate(now: number): boolean {
    if (this.rate === undefined) return true;
    return this.admittedInLastSecond(now) >= this.rate * pacingTuning.busyShare;
  }

  private forgetLearnedRateWhenQuiet(now: number): void {
    if (!this.learnsRate || this.ceiling !== undefined || this.rate === undefined) return;
    if (now - this.lastThrottledAt < pacingTuning.quietPeriodMs) return;
    this.rate = undefined;
    this.limitEstimate = undefined;
  }

  private bounded(rate: number): number {
    const floored = Math.max(pacingTuning.minimumRequestsPerSecond, rate);
    return this.ceiling === undefined ? floored : Math.min(this.ceiling, floored);
  }

  private forgetOldAdmissions(now: number): void {
    const cutoff = now - pacingTuning.admissionsKeptMs;
    let stale = 0;
    while (stale < this.recentAdmissions.length && this.recentAdmissions[stale]! <= cutoff) stale += 1;
    if (stale > 0) this.recentAdmissions = this.recentAdmissions.slice(stale);
  }
}
