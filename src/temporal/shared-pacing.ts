/**
 * Paces one organisation's AEP calls across every worker, through Temporal: the activity task queue's rate limit,
 * which the server enforces for all workers together (docs/operations.md, "Several workers"). AEP publishes no
 * limit, so it is learned as each process's own pacer learns it (src/aep/request-pacer.ts), but on the shared
 * limit, by whichever worker sees the evidence:
 * - a 429 at any worker lowers the queue's limit by 10 %, unless another worker lowered it within the last two
 *   seconds (the same excess, seen by several workers);
 * - while the limit holds work back (a backlog on the queue) and no 429 came, it rises: quickly back towards the
 *   rate that drew the last 429, then slowly past it; when no worker has lowered it for 30 s, by 5 % a step (the
 *   limit may have been raised);
 * - at most one change a second, by any worker: each reads the limit and its metadata before changing it.
 * What was learned lives in the limit's metadata (src/temporal/task-queue-rate-limit.ts), so a worker that starts,
 * or takes over from one that died, goes on from there; no process keeps anything the others need.
 */
import type { PacingNote, QueueRateLimit, QueueRateReading } from './task-queue-rate-limit';

export const sharedPacingTuning = {
  tickMs: 500,
  decreaseFactor: 0.9,
  /** A 429 within this long of the last decrease (by any worker) is part of the same excess. */
  decreaseSpacingMs: 2_000,
  /** The shortest time between two increases, and after this worker's last 429 before one. */
  increaseSpacingMs: 1_000,
  /** Per increase, as a share of the rate that drew the last 429: quick below the plateau, slow above it. */
  recoveryShare: 0.03,
  plateauShare: 0.97,
  probeShare: 0.002,
  /** No decrease for this long: the limit may be gone or raised, so the rate grows by `growthFactor` a step. */
  quietPeriodMs: 30_000,
  growthFactor: 1.05,
  minimumRate: 0.5,
  /**
   * A first 429 with fewer activities a second than this behind it (by the server's count or this worker's answers
   * times the workers) is no sample of a limit: a lone resend, another process's burst. No limit is set from it.
   */
  minimumSample: 5,
  /** The window this worker's admitted answers are counted over, for that sample. */
  sampleWindowMs: 2_000,
} as const;

export interface SharedPacingOptions {
  limit: QueueRateLimit;
  /** 429s and other answers this process has received so far (its request pacer's counts). */
  answersSoFar: () => { throttled: number; admitted: number };
  /** Never above this (MAX_TASK_QUEUE_ACTIVITIES_PER_SECOND, when set). */
  ceiling?: number;
  now?: () => number;
  onChange?: (change: { from: number | undefined; to: number; note: PacingNote }) => void;
  onError?: (error: unknown) => void;
}

export class SharedPacing {
  private readonly now: () => number;
  private throttledSeen: number;
  private admittedSeen: number;
  /** This worker's admitted answers at each recent tick (epoch ms, count so far): the sample of the rate. */
  private recentAdmitted: Array<[atMs: number, admitted: number]> = [];
  private lastThrottledAtMs = Number.NEGATIVE_INFINITY;
  private lastIncreaseCheckAtMs = Number.NEGATIVE_INFINITY;
  private decreaseWanted = false;

  constructor(private readonly options: SharedPacingOptions) {
    this.now = options.now ?? Date.now;
    const answers = options.answersSoFar();
    this.throttledSeen = answers.throttled;
    this.admittedSeen = answers.admitted;
    this.recentAdmitted.push([this.now(), answers.admitted]);
  }

  /** Ticks until stopped; a tick that fails (Temporal unreachable) is reported and the next one tries again. */
  start(): { stop(): Promise<void> } {
    let stopped = false;
    let running = Promise.resolve();
    const timer = setInterval(() => {
      running = running.then(() => (stopped ? undefined : this.tick().catch((error) => this.options.onError?.(error))));
    }, sharedPacingTuning.tickMs);
    timer.unref();
    return {
      stop: async () => {
        stopped = true;
        clearInterval(timer);
        await running;
      },
    };
  }

  async tick(): Promise<void> {
    const now = this.now();
    const { throttled, admitted } = this.options.answersSoFar();
    if (throttled > this.throttledSeen) {
      this.lastThrottledAtMs = now;
      this.decreaseWanted = true;
    }
    const admittedNow = admitted - this.admittedSeen;
    this.throttledSeen = throttled;
    this.admittedSeen = admitted;
    this.recentAdmitted.push([now, admitted]);
    while (this.recentAdmitted.length > 2 && now - this.recentAdmitted[1]![0] >= sharedPacingTuning.sampleWindowMs) {
      this.recentAdmitted.shift();
    }
    if (this.decreaseWanted) {
      this.decreaseWanted = false;
      return this.decrease(await this.options.limit.read(), now);
    }
    const tuning = sharedPacingTuning;
    if (now - this.lastThrottledAtMs < tuning.increaseSpacingMs) return;
    if (now - this.lastIncreaseCheckAtMs < tuning.increaseSpacingMs) return;
    // Idle here: no evidence either way, and no need to ask Temporal twice a second.
    if (admittedNow === 0) return;
    this.lastIncreaseCheckAtMs = now;
    return this.increase(await this.options.limit.read(), now);
  }

  private async decrease(reading: QueueRateReading, now: number): Promise<void> {
    const { note, updatedAtMs } = reading;
    if (note !== undefined && now - note.lastDecreaseAtMs < sharedPacingTuning.decreaseSpacingMs) return;
    if (reading.rate !== undefined && note === undefined && updatedAtMs !== undefined) {
      // Set by hand (or by a worker option through the config API): the operator's, not ours to move.
      return;
    }
    // No limit yet: what drew the 429 is sampled from the server's dispatch rate, or this worker's answers times the
    // workers polling (calls, at least as many as activities: too high a start is corrected by the next 429, too
    // low a one only slowly).
    const sampled = Math.max(reading.dispatchRate, this.admittedPerSecond(now) * Math.max(1, reading.pollers));
    if (reading.rate === undefined && sampled < sharedPacingTuning.minimumSample) return;
    // A limit that holds nothing back (no backlog) is not what let the excess through: the activities already
    // running are. Lowering it further would only starve the queue once they finish; it is brought down to what
    // the queue dispatches now, at most.
    const binding = reading.rate !== undefined && reading.backlog > 0;
    const current = binding || reading.rate === undefined ? (reading.rate ?? sampled) : Math.min(reading.rate, sampled);
    if (!binding && reading.rate !== undefined && current >= reading.rate) return;
    await this.set(reading, current * sharedPacingTuning.decreaseFactor, {
      step: 'decrease',
      limitEstimate: current,
      lastDecreaseAtMs: now,
    });
  }

  private admittedPerSecond(now: number): number {
    const [since, admittedThen] = this.recentAdmitted[0]!;
    return ((this.admittedSeen - admittedThen) * 1000) / Math.max(500, now - since);
  }

  private async increase(reading: QueueRateReading, now: number): Promise<void> {
    const { rate, note, updatedAtMs } = reading;
    // Only a limit this pacing set, only while it holds work back, at most once a second across workers.
    if (rate === undefined || note === undefined || reading.backlog <= 0) return;
    if (updatedAtMs !== undefined && now - updatedAtMs < sharedPacingTuning.increaseSpacingMs) return;
    const tuning = sharedPacingTuning;
    const estimate = note.limitEstimate;
    let next: number;
    if (now - note.lastDecreaseAtMs >= tuning.quietPeriodMs) next = rate * tuning.growthFactor;
    else if (rate < tuning.plateauShare * estimate)
      next = Math.min(tuning.plateauShare * estimate, rate + tuning.recoveryShare * estimate);
    else next = rate + tuning.probeShare * estimate;
    await this.set(reading, next, {
      step: 'increase',
      limitEstimate: estimate,
      lastDecreaseAtMs: note.lastDecreaseAtMs,
    });
  }

  private async set(reading: QueueRateReading, rate: number, note: PacingNote): Promise<void> {
    const floored = Math.max(sharedPacingTuning.minimumRate, rate);
    const bounded = this.options.ceiling === undefined ? floored : Math.min(this.options.ceiling, floored);
    const rounded = Math.round(bounded * 100) / 100;
    if (rounded === reading.rate) return;
    await this.options.limit.set(rounded, note);
    this.options.onChange?.({ from: reading.rate, to: rounded, note });
  }
}
