/**
 * The rules of shared pacing (src/temporal/shared-pacing.ts), worker by worker, against a queue limit kept in
 * memory the way the Temporal server keeps it (rate, update time, reason, pollers): what one worker learned is what
 * the next one reads, and each worker paces its calls at its share.
 */
import assert from 'node:assert/strict';
import { SharedPacing, sharedPacingTuning } from '../../src/temporal/shared-pacing';
import type { PacingNote, QueueRateLimit, QueueRateReading } from '../../src/temporal/task-queue-rate-limit';

/** A share of `calls` whole calls a second, as two or more workers keep it: spaced to fit a second with a margin. */
const wholeCalls = (calls: number) => calls / (1 + sharedPacingTuning.wholeCallMargin);

/** One task queue's limit, as the server keeps it for every worker. */
class QueueLimitOnServer {
  rate: number | undefined;
  updatedAtMs: number | undefined;
  note: PacingNote | undefined;
  workers = 1;
  reads = 0;
  writes: Array<{ rate: number; note: PacingNote }> = [];
  /** Set: every read answers this (reads made before a write that lands in between). */
  staleReading: QueueRateReading | undefined;

  constructor(private readonly now: () => number) {}

  /** What one worker sees of it. */
  view(): QueueRateLimit {
    return {
      read: (): Promise<QueueRateReading> => {
        this.reads += 1;
        if (this.staleReading) return Promise.resolve(this.staleReading);
        return Promise.resolve({
          ...(this.rate !== undefined ? { rate: this.rate } : {}),
          ...(this.updatedAtMs !== undefined ? { updatedAtMs: this.updatedAtMs } : {}),
          ...(this.note !== undefined ? { note: this.note } : {}),
          workers: this.workers,
        });
      },
      set: (rate, note) => {
        this.rate = rate;
        this.note = note;
        this.updatedAtMs = this.now();
        this.writes.push({ rate, note });
        return Promise.resolve();
      },
    };
  }

  /** Set by an operator with `temporal task-queue config set` (a reason of their own). */
  setByHand(rate: number): void {
    this.rate = rate;
    this.note = undefined;
    this.updatedAtMs = this.now();
  }
}

/** One worker process: its request pacer's counts, and the rate it was told to keep. */
class Worker {
  throttled = 0;
  admitted = 0;
  waitedForRate = 0;
  lastThrottledSentAtMs: number | undefined;
  followed: Array<number | undefined> = [];
  readonly pacing: SharedPacing;
  private static started = 0;

  constructor(
    queue: QueueLimitOnServer,
    private readonly now: () => number,
    ceiling?: number,
  ) {
    Worker.started += 1;
    this.pacing = new SharedPacing({
      identity: `worker-${Worker.started}`,
      limit: queue.view(),
      process: {
        answersSoFar: () => ({
          throttled: this.throttled,
          admitted: this.admitted,
          waitedForRate: this.waitedForRate,
          ...(this.lastThrottledSentAtMs !== undefined ? { lastThrottledSentAtMs: this.lastThrottledSentAtMs } : {}),
        }),
        admittedInSecondBefore: (atMs) => this.admittedInSecondBefore(atMs),
        follow: (rate) => {
          this.followed.push(rate);
        },
      },
      now,
      ...(ceiling !== undefined ? { ceiling } : {}),
    });
  }

  /** A call sent `msAgo` answered 429. */
  throttledCall(msAgo = 0): void {
    this.throttled += 1;
    this.lastThrottledSentAtMs = this.now() - msAgo;
  }

  /** Each second of calls admitted, by when it ended. */
  private seconds: Array<{ endedAtMs: number; calls: number }> = [];

  admittedInSecondBefore(atMs: number): number {
    const inWindow = this.seconds.filter(({ endedAtMs }) => endedAtMs <= atMs && endedAtMs > atMs - 1_000);
    return inWindow.at(-1)?.calls ?? 0;
  }

  /** A second of calls admitted, all of which waited for this worker's share. */
  busySecond(calls: number): void {
    this.seconds.push({ endedAtMs: this.now(), calls });
    this.admitted += calls;
    this.waitedForRate += calls;
  }

  get share(): number | undefined {
    return this.followed.at(-1);
  }
}

describe('shared pacing: one organisation’s rate learned by all its workers, kept in Temporal', () => {
  let nowMs: number;
  let queue: QueueLimitOnServer;
  const now = () => nowMs;
  const later = (ms: number) => {
    nowMs += ms;
  };

  beforeEach(() => {
    nowMs = Date.UTC(2026, 11, 6, 12);
    queue = new QueueLimitOnServer(now);
  });

  /** A rate the workers learned a minute ago, last lowered from `limitEstimate`, with `workers` polling. */
  const learnedAMinuteAgo = (rate: number, limitEstimate: number, workers: number) => {
    queue.rate = rate;
    queue.note = { step: 'decrease', limitEstimate, lastDecreaseAtMs: nowMs - 60_000 };
    queue.updatedAtMs = nowMs - 60_000;
    queue.workers = workers;
  };

  it('sets no rate while AEP admits everything, and asks Temporal nothing while idle', async () => {
    const worker = new Worker(queue, now);
    for (let tick = 0; tick < 10; tick += 1) {
      later(500);
      await worker.pacing.tick();
    }
    assert.equal(queue.rate, undefined);
    assert.equal(queue.reads, 0, 'an idle worker has no evidence and reads nothing');

    worker.admitted += 10;
    later(500);
    await worker.pacing.tick();
    assert.deepEqual(worker.followed, [undefined], 'a worker that sends follows no rate: unpaced');
  });

  it('starts the rate below what drew the first 429: the calls AEP admitted in the second before it', async () => {
    const worker = new Worker(queue, now);
    worker.busySecond(30);
    worker.throttledCall();
    later(250);
    await worker.pacing.tick();
    assert.equal(queue.writes.length, 1);
    assert.equal(queue.note?.step, 'decrease');
    assert.equal(queue.note?.limitEstimate, 30);
    assert.equal(queue.rate, 27);
    assert.equal(worker.share, 27);
  });

  it('counts the second before the throttled call was sent, not the second before the rate is written', async () => {
    const worker = new Worker(queue, now);
    worker.busySecond(20);
    worker.throttledCall();
    // Its next read comes later; by then the trailing second holds fewer calls (the 429s answered took no slot).
    later(400);
    worker.busySecond(8);
    later(100);
    await worker.pacing.tick();
    assert.equal(queue.note?.limitEstimate, 20);
    assert.equal(queue.rate, 18);
  });

  it('sets the first rate from every worker’s trailing second, added by each at its next read', async () => {
    // Before any pacing the workers do not send alike: one had 14 of the 20 calls the gateway admitted.
    const workers = [new Worker(queue, now), new Worker(queue, now), new Worker(queue, now)];
    queue.workers = 3;
    for (const [worker, calls] of [
      [workers[0]!, 14],
      [workers[1]!, 3],
      [workers[2]!, 3],
    ] as const) {
      worker.busySecond(calls);
    }
    workers[0]!.throttledCall();
    later(250);
    await workers[0]!.pacing.tick();
    assert.equal(queue.rate, 12.6, 'its own count: a lower bound of what the gateway admitted');
    // Not a third of a rate that sums one sample so far (4.2/s): 0.9 × its own calls, until the others' are in.
    assert.equal(workers[0]!.share, 12.6);

    later(250);
    await workers[1]!.pacing.tick();
    assert.equal(queue.note?.limitEstimate, 17, '14 + 3');
    assert.equal(workers[1]!.share, 2.7, '0.9 × its own 3 calls, not a third of 15.3/s');
    await workers[2]!.pacing.tick();
    assert.equal(queue.note?.limitEstimate, 20, 'what the gateway admitted across the three');
    assert.equal(queue.rate, 18);
    assert.equal(workers[2]!.share, 2.7);
    // Together: 12.6 + 2.7 + 2.7, the rate all samples came to.

    // Past the time for samples, every worker takes its share of the summed rate; its next stamp carries them no more.
    later(3_000);
    workers[0]!.admitted += 1;
    await workers[0]!.pacing.tick();
    assert.equal(queue.writes.at(-1)?.note.firstSamples, undefined);
    assert.equal(queue.rate, 18);
    assert.equal(workers[0]!.share, wholeCalls(6));
  });

  it('keeps every worker’s sample when two set the first rate at once (the last write would win)', async () => {
    const workers = [new Worker(queue, now), new Worker(queue, now)];
    queue.workers = 2;
    workers[0]!.busySecond(16);
    workers[1]!.busySecond(4);
    // Both read no rate, then both write their own first rate: the second write wins.
    queue.staleReading = { workers: 2 };
    for (const worker of workers) worker.throttledCall();
    later(250);
    for (const worker of workers) await worker.pacing.tick();
    assert.equal(queue.note?.limitEstimate, 4, 'the second worker’s write: its 4 calls alone');

    // At its next read the first worker finds its sample gone and adds it again.
    queue.staleReading = undefined;
    workers[0]!.admitted += 1;
    later(250);
    await workers[0]!.pacing.tick();
    assert.equal(queue.note?.limitEstimate, 20);
    assert.equal(queue.rate, 18);
  });

  it('never loses a sample a worker has read: it writes back every sample it knows of', async () => {
    const [a, b, c] = [new Worker(queue, now), new Worker(queue, now), new Worker(queue, now)];
    queue.workers = 3;
    a.busySecond(10);
    b.busySecond(5);
    c.busySecond(5);
    a.throttledCall();
    later(250);
    await a.pacing.tick();
    await b.pacing.tick();
    assert.equal(queue.note?.limitEstimate, 15);
    // C read no rate before those writes landed, and sets a first rate of its own over them.
    queue.staleReading = { workers: 3 };
    c.throttledCall();
    await c.pacing.tick();
    queue.staleReading = undefined;
    assert.equal(queue.note?.limitEstimate, 5, 'A’s and B’s samples are gone from the queue');

    b.admitted += 1;
    later(250);
    await b.pacing.tick();
    assert.equal(queue.note?.limitEstimate, 20, 'B wrote back A’s sample with its own, and took C’s');
  });

  it('repairs a first rate whose last write missed samples, once their time is over, unless lowered since', async () => {
    const [a, b, c] = [new Worker(queue, now), new Worker(queue, now), new Worker(queue, now)];
    queue.workers = 3;
    a.busySecond(10);
    b.busySecond(6);
    c.busySecond(4);
    a.throttledCall();
    later(250);
    await a.pacing.tick();
    const readBeforeB = { rate: queue.rate!, note: queue.note!, updatedAtMs: nowMs, workers: 3 };
    await b.pacing.tick();
    assert.equal(queue.note?.limitEstimate, 16, 'A’s 10 and B’s 6');
    // C's read was made before B's write landed: it writes A's sample and its own, the last write of the samples.
    queue.staleReading = readBeforeB;
    c.admitted += 1;
    await c.pacing.tick();
    queue.staleReading = undefined;
    assert.equal(queue.note?.limitEstimate, 14, 'B’s sample is gone from the queue');

    // The time for samples is over; B, which read A's and wrote its own, finds the rate short of them.
    later(sharedPacingTuning.firstSamplesMs + 250);
    b.admitted += 1;
    await b.pacing.tick();
    assert.equal(queue.note?.limitEstimate, 20, 'A’s, B’s and C’s samples: what the gateway admitted');
    assert.equal(queue.rate, 18);

    // A rate lowered since is a later sample of the limit: no worker writes the first one back over it.
    later(sharedPacingTuning.firstRateExcessMs);
    c.throttledCall();
    c.admitted += 1;
    later(250);
    await c.pacing.tick();
    assert.equal(queue.rate, 16.2);
    b.admitted += 1;
    later(250);
    await b.pacing.tick();
    assert.equal(queue.rate, 16.2);
  });

  it('takes a late worker’s calls in the second of the first 429, not in the second it reads of it', async () => {
    const [first, late] = [new Worker(queue, now), new Worker(queue, now)];
    queue.workers = 2;
    first.busySecond(16);
    late.busySecond(4);
    first.throttledCall();
    later(250);
    await first.pacing.tick();
    // The late worker reads of it a second later, after a second of its calls alone (the others were paced).
    later(1_000);
    late.busySecond(15);
    await late.pacing.tick();
    assert.equal(queue.note?.limitEstimate, 20, '16 + 4, not 16 + 15');
  });

  it('sets no rate from a first 429 with too little traffic behind it to be a sample of a limit', async () => {
    const worker = new Worker(queue, now);
    worker.busySecond(1);
    worker.throttledCall();
    later(250);
    await worker.pacing.tick();
    assert.equal(queue.rate, undefined, 'a lone 429 (a resend, another process’s burst) sets nothing');
    assert.equal(queue.writes.length, 0);
  });

  it('lowers the rate once for one excess, however many workers see its 429s', async () => {
    const workers = [new Worker(queue, now), new Worker(queue, now), new Worker(queue, now)];
    queue.workers = 3;
    for (const worker of workers) {
      worker.busySecond(7);
      worker.throttledCall();
    }
    later(250);
    for (const worker of workers) await worker.pacing.tick();
    assert.equal(queue.rate, 18.9);
    assert.deepEqual(
      queue.writes.map(({ note }) => note.lastDecreaseAtMs),
      [nowMs, nowMs, nowMs],
      'the second and third worker add their samples to the first one’s decrease, and decrease nothing',
    );
    queue.writes = [];

    // A 429 to a call sent before the gateway's window had passed the decrease: the same excess.
    later(1_000);
    workers[1]!.throttledCall(200);
    await workers[1]!.pacing.tick();
    assert.equal(queue.writes.length, 0);

    // A first rate set from samples was drawn by calls sent unpaced: they are in flight for longer, its first 3 s.
    later(1_000);
    workers[2]!.throttledCall();
    await workers[2]!.pacing.tick();
    assert.equal(queue.writes.length, 0, 'sent 2.25 s after the first rate: still the same excess');

    // A call sent after it, with every worker following: a new excess, lowered again from the shared rate.
    later(1_000);
    workers[2]!.throttledCall();
    await workers[2]!.pacing.tick();
    assert.equal(queue.writes.length, 1);
    assert.equal(queue.rate, Math.round(18.9 * sharedPacingTuning.decreaseFactor * 100) / 100);
    // The others follow at their next tick: 17.01/s is 17 whole calls, 6 + 6 + 5.
    for (const worker of workers.slice(0, 2)) {
      worker.admitted += 2;
      later(100);
      await worker.pacing.tick();
    }
    assert.deepEqual(workers.map((worker) => worker.share).sort(), [wholeCalls(5), wholeCalls(6), wholeCalls(6)]);
  });

  it('puts back a decrease undone by a write made from a read older than it (no compare-and-set)', async () => {
    learnedAMinuteAgo(20, 22, 3);
    const [a, b, c] = [new Worker(queue, now), new Worker(queue, now), new Worker(queue, now)];
    for (const worker of [a, b, c]) {
      worker.admitted += 5;
      await worker.pacing.tick();
    }
    const readBeforeTheDecrease = { rate: queue.rate!, note: queue.note!, updatedAtMs: nowMs, workers: 3 };

    a.throttledCall();
    later(250);
    await a.pacing.tick();
    assert.equal(queue.rate, 18);
    // B's stamp was made from a read taken before A's decrease landed: it writes 20/s back.
    queue.staleReading = readBeforeTheDecrease;
    later(3_000);
    b.admitted += 5;
    await b.pacing.tick();
    queue.staleReading = undefined;
    assert.equal(queue.rate, 20, 'the stale stamp undid the decrease');

    // C never read the decrease: 20/s is all it knows, and it leaves it. A knows better and puts 18/s back.
    c.admitted += 5;
    later(250);
    await c.pacing.tick();
    assert.equal(queue.rate, 20);
    a.admitted += 5;
    await a.pacing.tick();
    assert.equal(queue.rate, 18);
    assert.equal(queue.note?.lastDecreaseAtMs, readBeforeTheDecrease.updatedAtMs + 250, 'A’s decrease, as it wrote it');

    // Once every worker has read it, the decrease stays: B's next stamp keeps it.
    b.admitted += 5;
    later(3_000);
    await b.pacing.tick();
    assert.equal(queue.rate, 18);
  });

  it('raises the rate only while calls wait for their share, quickly back towards the last 429, then slowly', async () => {
    const worker = new Worker(queue, now);
    queue.rate = 18;
    queue.note = { step: 'decrease', limitEstimate: 20, lastDecreaseAtMs: nowMs };
    queue.updatedAtMs = nowMs;

    // Busy, but nothing waits for the rate: no evidence that more would pass.
    worker.admitted += 10;
    later(1_000);
    await worker.pacing.tick();
    assert.equal(queue.rate, 18);

    const rates: number[] = [];
    for (let second = 0; second < 8; second += 1) {
      worker.busySecond(10);
      later(1_000);
      await worker.pacing.tick();
      rates.push(queue.rate);
    }
    // +3 % of 20 a step up to 0.97 × 20, then +0.2 % of 20 a step.
    assert.deepEqual(rates, [18.6, 19.2, 19.4, 19.44, 19.48, 19.52, 19.56, 19.6]);
  });

  it('grows from a first rate set from samples by 10 % a step, until a 429 tests it', async () => {
    // The samples count answers as the workers saw them: never more than the gateway admitted, often fewer.
    const worker = new Worker(queue, now);
    worker.busySecond(16);
    worker.throttledCall();
    later(250);
    await worker.pacing.tick();
    assert.equal(queue.rate, 14.4);

    const rates: number[] = [];
    for (let second = 0; second < 4; second += 1) {
      worker.busySecond(14);
      later(1_000);
      await worker.pacing.tick();
      rates.push(queue.rate);
    }
    // The first second, the other workers' samples may still come in: no increase.
    assert.deepEqual(rates, [14.4, 15.84, 17.42, 19.16]);

    worker.throttledCall();
    later(250);
    await worker.pacing.tick();
    assert.equal(queue.rate, 17.24, '19.16 × 0.9');
    worker.busySecond(17);
    later(1_000);
    await worker.pacing.tick();
    // 17.24 + 3 % of 19.16.
    assert.equal(queue.rate, 17.81, 'after a 429, back towards it by 3 % of what drew it, no longer by 10 % a step');
  });

  it('grows by 5 % a step once no worker has lowered it for 10 s (the limit may have been raised)', async () => {
    const worker = new Worker(queue, now);
    queue.rate = 10;
    queue.note = { step: 'increase', limitEstimate: 10, lastDecreaseAtMs: nowMs - 10_500 };
    queue.updatedAtMs = nowMs - 5_000;
    worker.busySecond(10);
    later(1_000);
    await worker.pacing.tick();
    assert.equal(queue.rate, 10.5);
  });

  it('shares the rate among the workers polling lately: a worker lost gives its share to the others', async () => {
    const survivor = new Worker(queue, now);
    queue.rate = 18;
    queue.note = { step: 'decrease', limitEstimate: 20, lastDecreaseAtMs: nowMs - 60_000 };
    queue.updatedAtMs = nowMs - 60_000;
    queue.workers = 3;
    survivor.admitted += 6;
    later(250);
    await survivor.pacing.tick();
    assert.equal(survivor.share, wholeCalls(6));

    queue.workers = 2; // the killed worker's last poll fell out of the window
    survivor.admitted += 6;
    later(250);
    await survivor.pacing.tick();
    assert.equal(survivor.share, wholeCalls(9));
  });

  it('shares the rate among the workers heard from, when the server’s poller list counts fewer', async () => {
    // The poller list is the root partition's: busy workers given their activities eagerly may be missing from it.
    const workers = [new Worker(queue, now), new Worker(queue, now), new Worker(queue, now)];
    queue.rate = 18;
    queue.note = { step: 'decrease', limitEstimate: 20, lastDecreaseAtMs: nowMs - 60_000 };
    queue.updatedAtMs = nowMs - 60_000;
    queue.workers = 1;
    for (let round = 0; round < 2; round += 1) {
      for (const worker of workers) {
        worker.admitted += 3;
        later(100);
        await worker.pacing.tick();
      }
    }
    assert.deepEqual(
      workers.map((worker) => worker.share),
      [wholeCalls(6), wholeCalls(6), wholeCalls(6)],
      'each stamps the rate’s metadata, and each reads the others’ stamps',
    );
    assert.equal(queue.rate, 18, 'stamps leave the rate as it was');

    // The third worker dies: 6 s after its last stamp, the two others share its part.
    for (let second = 0; second < 7; second += 1) {
      later(1_000);
      for (const worker of workers.slice(0, 2)) {
        worker.admitted += 9;
        await worker.pacing.tick();
      }
    }
    assert.deepEqual(
      workers.slice(0, 2).map((worker) => worker.share),
      [wholeCalls(9), wholeCalls(9)],
    );
  });

  it('shares the rate among six workers in whole calls a second that add up to it, so no second holds more', async () => {
    // Six fractional shares of 19.5/s (3.25/s, a call every 308 ms) let each worker put 4 calls into some second: 24.
    const workers = Array.from({ length: 6 }, () => new Worker(queue, now));
    learnedAMinuteAgo(19.5, 21, 6);
    for (let round = 0; round < 2; round += 1) {
      for (const worker of workers) {
        worker.admitted += 3;
        later(100);
        await worker.pacing.tick();
      }
    }
    const shares = workers.map((worker) => worker.share!);
    assert.deepEqual(
      [...shares].sort(),
      [wholeCalls(3), wholeCalls(3), wholeCalls(3), wholeCalls(3), wholeCalls(3), wholeCalls(4)],
      '19 whole calls: 3 each, and the one left over to the first worker by identity',
    );
    // Each worker's calls are at least 1.03 s / its share apart: never more than its share in any second.
    // At one call every 1/share s, a second holds at most floor(share) + 1 of them.
    const mostInAnySecond = shares.reduce((total, share) => total + Math.floor(share) + 1, 0);
    assert.ok(mostInAnySecond <= 19, `at most ${mostInAnySecond} calls in a second`);
  });

  it('keeps fractional shares when a whole call is too coarse a step (under two calls a second a worker)', async () => {
    const workers = Array.from({ length: 6 }, () => new Worker(queue, now));
    learnedAMinuteAgo(9, 10, 6);
    for (const worker of workers) {
      worker.admitted += 1;
      later(100);
      await worker.pacing.tick();
    }
    assert.equal(workers.at(-1)!.share, 1.5);
  });

  it('gives a worker that joins its share before it takes any work: the rate over the others and itself', async () => {
    const [first, second] = [new Worker(queue, now), new Worker(queue, now)];
    queue.rate = 18;
    queue.note = { step: 'decrease', limitEstimate: 20, lastDecreaseAtMs: nowMs - 60_000 };
    queue.updatedAtMs = nowMs - 60_000;
    for (let round = 0; round < 2; round += 1) {
      for (const worker of [first, second]) {
        worker.admitted += 9;
        later(100);
        await worker.pacing.tick();
      }
    }
    assert.deepEqual([first.share, second.share], [wholeCalls(9), wholeCalls(9)]);

    // Idle until it polls: no tick reads anything for it, so it would send unpaced.
    const joining = new Worker(queue, now);
    later(100);
    await joining.pacing.join();
    assert.equal(joining.share, wholeCalls(6));
    for (const worker of [first, second]) {
      worker.admitted += 9;
      later(100);
      await worker.pacing.tick();
    }
    assert.deepEqual(
      [first.share, second.share],
      [wholeCalls(6), wholeCalls(6)],
      'it stamped the rate: the others count it at once',
    );
    assert.equal(queue.rate, 18);
  });

  it('carries on from what another worker learned: a new worker reads the estimate in the limit’s metadata', async () => {
    const first = new Worker(queue, now);
    first.busySecond(20);
    first.throttledCall();
    later(250);
    await first.pacing.tick();
    // The first worker dies; a new one starts and finds its calls waiting for the shared rate.
    const second = new Worker(queue, now);
    second.busySecond(10);
    later(11_000);
    await second.pacing.tick();
    assert.equal(queue.note?.limitEstimate, 20, 'the estimate the first worker learned');
    // No 429 has tested that first rate: it grows by 10 % (18 × 1.1), all of it this worker's (the first one is not
    // heard from).
    assert.equal(queue.rate, 19.8);
    assert.equal(second.share, 19.8);
  });

  it('never moves a rate set by hand, and never goes above the ceiling', async () => {
    const worker = new Worker(queue, now, 12);
    queue.setByHand(5);
    worker.busySecond(10);
    worker.throttledCall();
    later(250);
    await worker.pacing.tick();
    worker.busySecond(10);
    later(1_000);
    await worker.pacing.tick();
    assert.equal(queue.rate, 5);
    assert.equal(queue.writes.length, 0);
    assert.equal(worker.share, 5, 'a rate set by hand is followed all the same');

    const capped = new QueueLimitOnServer(now);
    const cappedWorker = new Worker(capped, now, 12);
    capped.rate = 11.9;
    capped.note = { step: 'increase', limitEstimate: 11, lastDecreaseAtMs: nowMs - 60_000 };
    capped.updatedAtMs = nowMs - 5_000;
    cappedWorker.busySecond(10);
    later(1_000);
    await cappedWorker.pacing.tick();
    assert.equal(capped.rate, 12);
  });
});
