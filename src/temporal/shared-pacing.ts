/**
 * Paces one organisation's AEP calls across every worker: the rate is learned once, for all of them, and kept in
 * Temporal (the provisioning queue's rate limit and its metadata, src/temporal/task-queue-rate-limit.ts); each
 * worker's request pacer spaces its own calls at its share of it (the rate divided by the workers that said, in its
 * metadata, in the last 6 s, that they pace with it; in whole calls a second, so no second holds more than the rate).
 * AEP publishes no limit, so it is learned from 429s as one process's pacer learns it (src/aep/request-pacer.ts),
 * by whichever worker sees the evidence:
 * - the first 429 sets the rate at 0.9 × what drew it: the calls admitted in the trailing second by every worker,
 *   which each adds to the limit's metadata at its next read (its calls in the same second, before it was paced);
 *   until they are all in, each worker keeps to 0.9 × its own; a write that dropped some (the config has no
 *   compare-and-set) is repaired by any worker that read them, until the rate is next lowered;
 * - a later 429 at any worker lowers it by 10 %, unless the call it answered was sent before every worker had
 *   followed the last decrease (the same excess, seen by several workers); a write made from a read older than a
 *   decrease (a stamp, an increase) would undo it, and any worker that knows of the decrease writes it back;
 * - while a worker's calls wait for their share and no 429 came, it raises the rate: quickly back towards the rate
 *   that drew the last 429, then slowly past it; by 10 % a step from the first rate until a 429 tests it, by 5 % when no
 *   worker has lowered it for 10 s (the limit may have been raised); at most once a second, by any worker.
 * A 429 also lowers the worker's own pace at once (src/aep/request-pacer.ts), until its next read brings the shared
 * rate. Calls, not activities, are paced: an activity makes one to several calls, and they overlap, so a limit on
 * activity dispatch alone lets bursts of calls through (measured: 0.05 429s per call and 0.76 of the limit used).
 * A worker that starts, or takes over from one that died, reads what was learned; no process keeps anything the
 * others need.
 */
import type { PacingNote, QueueRateLimit, QueueRateReading } from './task-queue-rate-limit';

export const sharedPacingTuning = {
  /** How often a worker reads the shared rate (and acts on its 429s) while it sends. */
  tickMs: 250,
  decreaseFactor: 0.9,
  /**
   * A 429 to a call sent within this long after the last decrease (by any worker) is part of the same excess: the
   * gateway still counts the calls admitted in the second before it, and the other workers follow a decrease only
   * at their next read.
   */
  sameExcessMs: 1_500,
  /**
   * The same, longer, after a first rate set from samples: calls sent at the unpaced rate were still queued and in
   * flight. Measured with three workers: in each of seven runs a 429 came 1.6–1.9 s after the first rate and made it a
   * tested rate, which grows slowly: 15.5–51.5 s to reach the limit.
   */
  firstRateExcessMs: 3_000,
  /** The shortest time between two increases, and after this worker's last 429 before one. */
  increaseSpacingMs: 1_000,
  /** Per increase, as a share of the rate that drew the last 429: quick below the plateau, slow above it. */
  recoveryShare: 0.03,
  plateauShare: 0.97,
  probeShare: 0.002,
  /**
   * No decrease for this long: the limit may be gone or raised, or the first estimate was low (its samples are
   * answers as each worker saw them, late when the workers are busy: 10/s counted with 20/s admitted), so the rate
   * grows by `growthFactor` a step. At 30 s, six workers spent 45 s at half the limit after such an estimate.
   */
  quietPeriodMs: 10_000,
  growthFactor: 1.05,
  /**
   * A first rate set from samples grows by this a step until a 429 tests it: the samples are a lower bound, taken
   * while the calls ramp up (measured: 9 calls counted where the gateway admitted about 15 a second, and at 5 % a
   * step three workers took 30 s from 8.1/s to the limit).
   */
  sampledGrowthFactor: 1.1,
  minimumRate: 0.5,
  /**
   * A first 429 with fewer calls a second than this behind it (this worker's admitted calls times the workers) is no
   * sample of a limit: a lone resend, another process's burst. No rate is set from it.
   */
  minimumSample: 5,
  /** How often a sending worker says, in the rate's metadata, that it paces with it. */
  stampEveryMs: 3_000,
  /**
   * A worker not heard from for this long no longer shares the rate (it died, or has nothing to send): two stamps,
   * and time for a late tick. Until then the others keep to their shares without its: at 10 s, with one of three
   * workers SIGKILLed, the next two 5 s used 0.60 and 0.64 of the limit.
   */
  memberWindowMs: 6_000,
  /**
   * How long after the first rate was set the workers add their samples to it (and no increase comes). A decrease
   * after `sameExcessMs` ends it: calls sent at the summed rate were throttled, and the samples no longer matter.
   */
  firstSamplesMs: 2_000,
  /**
   * After that, for this long, a worker that knows of samples the first rate misses writes them back (while no worker
   * has lowered it since). The config has no compare-and-set: measured with six workers, the samples' last write came
   * from one that had read only some of them, 2.7/s where they summed to 18/s, and growing back took 55 s.
   */
  firstSamplesRepairMs: 30_000,
  /**
   * Two or more workers keep to whole calls a second, shares that add up to the whole rate (the remainder to the first
   * workers by identity), each spaced so that its calls fit a second with this much to spare for the way to the
   * gateway. A fractional share lets a worker put one call more than its share into some of the gateway's
   * one-second windows, and six workers six: measured, six workers drew their 429s at 18.4–19.5/s against 20/s.
   */
  wholeCallMargin: 0.03,
  /** Below this many calls a second a worker, shares stay fractional: one whole call is too coarse a step. */
  wholeCallsAtLeast: 2,
} as const;

/** This process's side: its request pacer for the organisation. */
export interface PacedProcess {
  /**
   * Answers so far (429s and others), calls that waited for their share of the rate, and when the last call answered
   * 429 was sent (epoch ms).
   */
  answersSoFar(): {
    throttled: number;
    admitted: number;
    waitedForRate: number;
    lastThrottledSentAtMs?: number;
  };
  /** Answers other than 429 in the second before `atMs` (epoch ms, the last few seconds). */
  admittedInSecondBefore(atMs: number): number;
  /** Paces this process's calls at this rate from now on (undefined: unpaced). */
  follow(requestsPerSecond: number | undefined): void;
}

export interface SharedPacingOptions {
  limit: QueueRateLimit;
  /** This worker, unique among those sharing the queue: its sample of the first 429 is kept under this name. */
  identity: string;
  process: PacedProcess;
  /** Never above this, all workers together (MAX_TASK_QUEUE_ACTIVITIES_PER_SECOND, when set). */
  ceiling?: number;
  now?: () => number;
  /** `workers`: how many workers share the rate, as the reading behind the change counted them. */
  onChange?: (change: {
    from: number | undefined;
    to: number;
    note: PacingNote;
    workers: number;
    /** A decrease written back over a write made from an older read. */
    restored?: boolean;
  }) => void;
  onError?: (error: unknown) => void;
}

export class SharedPacing {
  private readonly now: () => number;
  private seen: ReturnType<PacedProcess['answersSoFar']>;
  private lastThrottledAtMs = Number.NEGATIVE_INFINITY;
  private lastIncreaseCheckAtMs = Number.NEGATIVE_INFINITY;
  private decreaseWanted = false;
  private increaseWanted = false;
  /**
   * Every worker's sample of the first 429 this worker has read, its own included: what it writes is their union,
   * so a write made from a read that missed another worker's sample does not drop one this worker had seen.
   */
  private firstSamples: Record<string, number> = {};
  /** When the first rate those samples belong to was set (its `lastDecreaseAtMs`). */
  private firstSamplesAtMs: number | undefined;
  /**
   * The workers heard from (the rate's `workersSeen`), merged from every read, newest stamp per worker: one write
   * made from a stale read may drop a stamp from the queue, not from here.
   */
  private workersSeen: Record<string, number> = {};
  /**
   * The newest rate this worker has read or written, by its last decrease: a reading with an older decrease was
   * written from a read made before that one landed.
   */
  private newest: { rate: number; note: PacingNote } | undefined;

  constructor(private readonly options: SharedPacingOptions) {
    this.now = options.now ?? Date.now;
    this.seen = options.process.answersSoFar();
  }

  /**
   * Before this worker takes any work: the rate the others learned, at the share this worker will have once they
   * count it. Without it, a worker started mid-way sends unpaced until its first tick, and takes as many tasks as it
   * has slots, none of them held back by a pace it does not know yet.
   */
  async join(): Promise<{ stamped: boolean }> {
    const now = this.now();
    const reading = await this.options.limit.read();
    this.hear(reading.note?.workersSeen);
    if (reading.rate === undefined) return { stamped: false };
    const others = Math.max(reading.workers, this.workersHeardFrom(now));
    // Stamped now, the others count it at their next read: measured without, a decrease came 0.4 s after a start.
    const stamped = reading.note !== undefined;
    if (stamped) await this.stamp(reading, now);
    this.options.process.follow(shareOfRate(reading.rate, others + 1));
    return { stamped };
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
    const answers = this.options.process.answersSoFar();
    if (answers.throttled > this.seen.throttled) {
      this.lastThrottledAtMs = now;
      this.decreaseWanted = true;
    }
    if (answers.waitedForRate > this.seen.waitedForRate) this.increaseWanted = true;
    const sending = answers.admitted > this.seen.admitted || answers.throttled > this.seen.throttled;
    this.seen = answers;
    // Idle here: nothing to pace, and no need to ask Temporal twice a second.
    if (!sending && !this.decreaseWanted) return;
    let reading = await this.options.limit.read();
    this.hear(reading.note?.workersSeen);
    this.learnFirstSamples(reading);
    this.learnNewest(reading);
    if (this.missesFirstSamples(reading, now)) {
      this.decreaseWanted = false;
      reading = await this.addFirstSample(reading, now);
    } else if (this.undoesLaterDecrease(reading, now)) {
      // As with the samples: a 429 still wanting a decrease is weighed at the next tick, against the rate restored.
      reading = await this.restoreLaterDecrease(reading);
    } else if (this.firstRateMissesSamples(reading, now)) {
      // A 429 still wanting a decrease is weighed at the next tick, against the rate restored.
      reading = await this.addFirstSample(reading, now);
    } else if (this.decreaseWanted) {
      this.decreaseWanted = false;
      this.increaseWanted = false;
      reading = await this.decrease(reading, now);
    } else if (this.increaseWanted && this.mayIncrease(now)) {
      this.increaseWanted = false;
      this.lastIncreaseCheckAtMs = now;
      reading = await this.increase(reading, now);
    }
    if (this.stampDue(reading, now)) reading = await this.stamp(reading, now);
    this.follow(reading, now);
  }

  /**
   * This worker's share of the organisation's rate (again after each read: it undoes the pacer's own decrease).
   * Shared among the workers heard from lately, or polling lately if the server counts more: its poller list shows
   * only the pollers of the queue's root partition, and a worker given its activities eagerly may not poll there for
   * a minute (measured: 1 or 2 of 6 busy workers counted, and each then sent at three to six times its share).
   */
  private follow(reading: QueueRateReading, now: number): void {
    if (reading.rate === undefined) return this.options.process.follow(undefined);
    const heardFrom = this.workersHeardFrom(now);
    const workers = Math.max(1, reading.workers, heardFrom);
    // The remainder goes by rank only when every worker counted is known by name: otherwise to none of them.
    const rank = heardFrom === workers ? this.rankAmongHeardFrom(now) : undefined;
    const share = shareOfRate(reading.rate, workers, rank);
    this.options.process.follow(this.paceWhileSamplesComeIn(reading, now) ?? share);
  }

  /** This worker's place among the workers heard from lately, by identity: the same order at every worker. */
  private rankAmongHeardFrom(now: number): number | undefined {
    const rank = this.heardFromLately(now).sort().indexOf(this.options.identity);
    return rank >= 0 ? rank : undefined;
  }

  /**
   * While the first rate's samples come in, the rate read sums only those in so far (measured with six workers: 0.9/s,
   * then 3.6/s, while the gateway admitted 20/s: 0.15/s a worker). Meanwhile a worker that sent in the sampled second
   * keeps to 0.9 × its own sample: what the rate comes to once every sample is in.
   */
  private paceWhileSamplesComeIn(reading: QueueRateReading, now: number): number | undefined {
    if (!samplesComingIn(reading.note, now)) return undefined;
    const ownSample = this.firstSamples[this.options.identity];
    if (ownSample === undefined || ownSample === 0) return undefined;
    const pace = ownSample * sharedPacingTuning.decreaseFactor;
    return this.options.ceiling === undefined ? pace : Math.min(this.options.ceiling, pace);
  }

  private hear(workersSeen: Record<string, number> | undefined): void {
    for (const [worker, atMs] of Object.entries(workersSeen ?? {})) {
      this.workersSeen[worker] = Math.max(this.workersSeen[worker] ?? 0, atMs);
    }
  }

  private workersHeardFrom(now: number): number {
    return this.heardFromLately(now).length;
  }

  private heardFromLately(now: number): string[] {
    const since = now - sharedPacingTuning.memberWindowMs;
    return Object.entries(this.workersSeen)
      .filter(([, atMs]) => atMs >= since)
      .map(([worker]) => worker);
  }

  /** The workers heard from lately, this one stamped now: what every write carries. */
  private stamped(now: number): Record<string, number> {
    this.workersSeen[this.options.identity] = now;
    const since = now - sharedPacingTuning.memberWindowMs;
    for (const [worker, atMs] of Object.entries(this.workersSeen)) if (atMs < since) delete this.workersSeen[worker];
    return { ...this.workersSeen };
  }

  /** A rate this pacing set, whose metadata has no stamp of this worker from the last few seconds. */
  private stampDue(reading: QueueRateReading, now: number): boolean {
    if (reading.rate === undefined || reading.note === undefined) return false;
    const stampedAt = reading.note.workersSeen?.[this.options.identity];
    return stampedAt === undefined || now - stampedAt >= sharedPacingTuning.stampEveryMs;
  }

  private async stamp(reading: QueueRateReading, now: number): Promise<QueueRateReading> {
    const { firstSamples, firstSamplesUntilMs, ...note } = reading.note!;
    // The first rate's samples are carried only while workers may still add theirs.
    const samplesWanted = samplesComingIn(reading.note, now);
    const carried = samplesWanted
      ? { ...note, firstSamples, ...(firstSamplesUntilMs !== undefined ? { firstSamplesUntilMs } : {}) }
      : note;
    return this.set(reading, reading.rate!, carried, { always: true });
  }

  private mayIncrease(now: number): boolean {
    const spacing = sharedPacingTuning.increaseSpacingMs;
    return now - this.lastThrottledAtMs >= spacing && now - this.lastIncreaseCheckAtMs >= spacing;
  }

  private async decrease(reading: QueueRateReading, now: number): Promise<QueueRateReading> {
    const { note, updatedAtMs } = reading;
    const sentAt = this.seen.lastThrottledSentAtMs ?? now;
    const sameExcessMs = note?.sampledEstimate ? sharedPacingTuning.firstRateExcessMs : sharedPacingTuning.sameExcessMs;
    if (note !== undefined && sentAt < note.lastDecreaseAtMs + sameExcessMs) return reading;
    // Set by hand (or by a worker option through the config API): the operator's, not ours to move.
    if (reading.rate !== undefined && note === undefined && updatedAtMs !== undefined) return reading;
    if (reading.rate === undefined) return this.setFirstRate(reading, now);
    const current = reading.rate;
    return this.set(reading, current * sharedPacingTuning.decreaseFactor, {
      step: 'decrease',
      limitEstimate: current,
      lastDecreaseAtMs: now,
    });
  }

  /**
   * The first 429: what the gateway admitted is sampled as the calls admitted in the trailing second, worker by worker.
   * This worker's count is the first; the others add theirs at their next read (`addFirstSample`). Before any pacing
   * the workers do not send alike, so one worker's count times the workers was measured far off either way: 42/s and
   * 9/s against a limit of 20/s; the last of the workers setting it at once won (9/s: recovering took 50 s). The sum
   * of the samples in is never above what the gateway admitted, so the estimate only grows while they come in.
   */
  private async setFirstRate(reading: QueueRateReading, now: number): Promise<QueueRateReading> {
    // The second before the throttled call was sent, not before this write (up to a tick and a read later): the
    // gateway's window ended there, and calls ramping up fast were measured to fall out of the later second (11
    // counted of 20 admitted; recovering from 9.9/s took 50 s).
    const samplesUntilMs = this.seen.lastThrottledSentAtMs ?? now;
    const sample = this.options.process.admittedInSecondBefore(samplesUntilMs);
    if (sample * Math.max(1, reading.workers) < sharedPacingTuning.minimumSample) return reading;
    this.firstSamples = { [this.options.identity]: sample };
    this.firstSamplesAtMs = now;
    return this.set(reading, sample * sharedPacingTuning.decreaseFactor, {
      step: 'decrease',
      limitEstimate: sample,
      lastDecreaseAtMs: now,
      firstSamples: this.firstSamples,
      firstSamplesUntilMs: samplesUntilMs,
      sampledEstimate: true,
    });
  }

  /**
   * Takes in the samples of the first rate as read (and this worker's own), and says whether the rate misses one it
   * knows of (its own, or one it read before): the first rate is being set, and that sample is
   * not added yet, or dropped by a write made at the same moment (a write takes about 100 ms, and the queue config has
   * no compare-and-set).
   */
  private missesFirstSamples(reading: QueueRateReading, now: number): boolean {
    const note = reading.note;
    if (note?.firstSamples === undefined || !samplesComingIn(note, now)) return false;
    const inNote = note.firstSamples;
    // The same second as the first worker's sample, whenever this worker reads of it: later, its calls are paced.
    this.firstSamples[this.options.identity] ??= this.options.process.admittedInSecondBefore(
      note.firstSamplesUntilMs ?? note.lastDecreaseAtMs,
    );
    return Object.keys(this.firstSamples).some((worker) => !(worker in inNote));
  }

  private learnNewest(reading: QueueRateReading): void {
    if (reading.rate === undefined) this.newest = undefined;
    else if (reading.note === undefined) return;
    else if (this.newest === undefined || reading.note.lastDecreaseAtMs >= this.newest.note.lastDecreaseAtMs)
      this.newest = { rate: reading.rate, note: reading.note };
  }

  /**
   * The rate read was written from a read made before a decrease this worker knows of: measured with six busy
   * workers, a stamp or an increase made from such a read put the rate back up 11 times in one run, 1–2 s after the
   * decrease. Not while a first rate's samples come in: several workers then set it at once, and their samples say
   * which is whole.
   */
  private undoesLaterDecrease(reading: QueueRateReading, now: number): boolean {
    const { newest } = this;
    const note = reading.note;
    if (newest === undefined || note === undefined || reading.rate === undefined) return false;
    if (note.lastDecreaseAtMs >= newest.note.lastDecreaseAtMs) return false;
    if (samplesComingIn(note, now) || samplesComingIn(newest.note, now)) return false;
    // Two first rates set at once: which one the samples were added to is not a decrease lost.
    const bothFirstRates = note.sampledEstimate === true && newest.note.sampledEstimate === true;
    return !bothFirstRates || !setTogether(newest.note.lastDecreaseAtMs, note.lastDecreaseAtMs);
  }

  private async restoreLaterDecrease(reading: QueueRateReading): Promise<QueueRateReading> {
    const { rate, note } = this.newest!;
    const { step, limitEstimate, lastDecreaseAtMs, sampledEstimate } = note;
    return this.set(
      reading,
      Math.min(reading.rate!, rate),
      { step, limitEstimate, lastDecreaseAtMs, ...(sampledEstimate ? { sampledEstimate } : {}) },
      { always: true, restored: true },
    );
  }

  /**
   * Keeps the samples of the first rate as read, past the time for adding them too (a later write may drop some). A
   * rate removed, or samples of a first rate set well after the one known, start afresh: two workers setting the first
   * rate at once set it within the time for samples, and their samples are of the same second.
   */
  private learnFirstSamples(reading: QueueRateReading): void {
    const note = reading.note;
    if (reading.rate === undefined) {
      this.firstSamples = {};
      this.firstSamplesAtMs = undefined;
      return;
    }
    if (note?.firstSamples === undefined) return;
    const known = this.firstSamplesAtMs;
    if (known === undefined || !setTogether(note.lastDecreaseAtMs, known)) {
      this.firstSamples = {};
      this.firstSamplesAtMs = note.lastDecreaseAtMs;
    }
    Object.assign(this.firstSamples, note.firstSamples);
  }

  /**
   * Past the time for samples: the first rate, not lowered since, sums fewer calls than the samples this worker
   * knows of (its last write came from a worker that had not read them all).
   */
  private firstRateMissesSamples(reading: QueueRateReading, now: number): boolean {
    const note = reading.note;
    const known = this.firstSamplesAtMs;
    if (reading.rate === undefined || note?.sampledEstimate !== true || known === undefined) return false;
    if (samplesComingIn(note, now) || now - note.lastDecreaseAtMs >= sharedPacingTuning.firstSamplesRepairMs) {
      return false;
    }
    if (!setTogether(note.lastDecreaseAtMs, known)) return false;
    return sumOf(this.firstSamples) > note.limitEstimate;
  }

  /** Writes the first rate back with every sample this worker knows of; never below the rate it read. */
  private async addFirstSample(reading: QueueRateReading, now: number): Promise<QueueRateReading> {
    const note = reading.note!;
    const firstSamples = { ...this.firstSamples };
    const sum = sumOf(firstSamples);
    const rate = sum * sharedPacingTuning.decreaseFactor;
    return this.set(reading, samplesComingIn(note, now) ? rate : Math.max(rate, reading.rate!), {
      step: 'decrease',
      limitEstimate: sum,
      lastDecreaseAtMs: note.lastDecreaseAtMs,
      firstSamples,
      ...(note.firstSamplesUntilMs !== undefined ? { firstSamplesUntilMs: note.firstSamplesUntilMs } : {}),
      sampledEstimate: true,
    });
  }

  private async increase(reading: QueueRateReading, now: number): Promise<QueueRateReading> {
    const { rate, note, updatedAtMs } = reading;
    // Only a rate this pacing set, at most once a second across workers.
    if (rate === undefined || note === undefined) return reading;
    const rateSetAtMs = note.rateSetAtMs ?? updatedAtMs;
    if (rateSetAtMs !== undefined && now - rateSetAtMs < sharedPacingTuning.increaseSpacingMs) return reading;
    if (samplesComingIn(note, now)) return reading;
    const tuning = sharedPacingTuning;
    const estimate = note.limitEstimate;
    let next: number;
    if (now - note.lastDecreaseAtMs >= tuning.quietPeriodMs) next = rate * tuning.growthFactor;
    else if (rate < tuning.plateauShare * estimate)
      next = Math.min(tuning.plateauShare * estimate, rate + tuning.recoveryShare * estimate);
    else next = rate + tuning.probeShare * estimate;
    // Measured with three workers: a first estimate of 16/s against 20/s took 13 s to creep up to the limit.
    if (note.sampledEstimate) next = Math.max(next, rate * tuning.sampledGrowthFactor);
    return this.set(reading, next, {
      step: 'increase',
      limitEstimate: estimate,
      lastDecreaseAtMs: note.lastDecreaseAtMs,
      ...(note.sampledEstimate ? { sampledEstimate: true as const } : {}),
    });
  }

  private async set(
    reading: QueueRateReading,
    rate: number,
    noteWithoutStamps: PacingNote,
    options: { always?: boolean; restored?: boolean } = {},
  ): Promise<QueueRateReading> {
    const now = this.now();
    const note: PacingNote = { ...noteWithoutStamps, workersSeen: this.stamped(now) };
    const floored = Math.max(sharedPacingTuning.minimumRate, rate);
    const bounded = this.options.ceiling === undefined ? floored : Math.min(this.options.ceiling, floored);
    const rounded = Math.round(bounded * 100) / 100;
    // A sample added to the first rate, or a stamp, is written even when the rate comes out the same.
    if (rounded === reading.rate && note.firstSamples === undefined && !options.always) return reading;
    const rateSetAtMs = rounded === reading.rate ? reading.note?.rateSetAtMs : now;
    if (rateSetAtMs !== undefined) note.rateSetAtMs = rateSetAtMs;
    await this.options.limit.set(rounded, note);
    if (rounded !== reading.rate || (note.firstSamples !== undefined && !options.always)) {
      const workers = this.workersHeardFrom(now);
      this.options.onChange?.({
        from: reading.rate,
        to: rounded,
        note,
        workers,
        ...(options.restored ? { restored: true } : {}),
      });
    }
    const written = { ...reading, rate: rounded, note, updatedAtMs: now };
    this.learnNewest(written);
    return written;
  }
}

/**
 * One worker's calls a second out of `rate` shared by `workers`: for two or more, whole calls (the rate's whole calls
 * divided, the first `remainder` ranks one more), slowed by the margin; fractional when the shares are small.
 */
function shareOfRate(rate: number, workers: number, rank?: number): number {
  if (workers < 2) return rate;
  const wholeRate = Math.floor(rate);
  const base = Math.floor(wholeRate / workers);
  if (base < sharedPacingTuning.wholeCallsAtLeast) return rate / workers;
  const extra = rank !== undefined && rank < wholeRate % workers ? 1 : 0;
  return (base + extra) / (1 + sharedPacingTuning.wholeCallMargin);
}

function sumOf(samples: Record<string, number>): number {
  return Object.values(samples).reduce((total, count) => total + count, 0);
}

/** Two first rates (their `lastDecreaseAtMs`) set at once, by workers that read no rate: samples of the same second. */
function setTogether(aMs: number, bMs: number): boolean {
  return Math.abs(aMs - bMs) < sharedPacingTuning.firstSamplesMs;
}

/** Whether the first rate's samples are still coming in: workers add theirs for `firstSamplesMs` after it was set. */
function samplesComingIn(note: PacingNote | undefined, now: number): boolean {
  return note?.firstSamples !== undefined && now - note.lastDecreaseAtMs < sharedPacingTuning.firstSamplesMs;
}
