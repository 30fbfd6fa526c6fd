/**
 * The rules of shared pacing (src/temporal/shared-pacing.ts), worker by worker, against a queue limit kept in
 * memory the way the Temporal server keeps it (rate, update time, reason): what one worker learned is what the
 * next one reads.
 */
import assert from 'node:assert/strict';
import { SharedPacing, sharedPacingTuning } from '../../src/temporal/shared-pacing';
import type { PacingNote, QueueRateLimit, QueueRateReading } from '../../src/temporal/task-queue-rate-limit';

/** One task queue's limit, as the server keeps it for every worker. */
class QueueLimitOnServer {
  rate: number | undefined;
  updatedAtMs: number | undefined;
  note: PacingNote | undefined;
  backlog = 0;
  dispatchRate = 0;
  pollers = 1;
  reads = 0;
  writes: Array<{ rate: number; note: PacingNote }> = [];

  constructor(private readonly now: () => number) {}

  /** What one worker sees of it. */
  view(): QueueRateLimit {
    return {
      read: (): Promise<QueueRateReading> => {
        this.reads += 1;
        return Promise.resolve({
          ...(this.rate !== undefined ? { rate: this.rate } : {}),
          ...(this.updatedAtMs !== undefined ? { updatedAtMs: this.updatedAtMs } : {}),
          ...(this.note !== undefined ? { note: this.note } : {}),
          backlog: this.backlog,
          dispatchRate: this.dispatchRate,
          pollers: this.pollers,
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

/** One worker process: its AEP client's answer counts and its pacing. */
class Worker {
  throttled = 0;
  admitted = 0;
  readonly pacing: SharedPacing;

  constructor(queue: QueueLimitOnServer, now: () => number, ceiling?: number) {
    this.pacing = new SharedPacing({
      limit: queue.view(),
      answersSoFar: () => ({ throttled: this.throttled, admitted: this.admitted }),
      now,
      ...(ceiling !== undefined ? { ceiling } : {}),
    });
  }
}

describe('shared pacing: one organisation’s limit learned by all its workers, kept in Temporal', () => {
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

  it('sets no limit while AEP admits everything, and asks Temporal nothing while idle', async () => {
    const worker = new Worker(queue, now);
    for (let tick = 0; tick < 10; tick += 1) {
      later(500);
      await worker.pacing.tick();
    }
    assert.equal(queue.rate, undefined);
    assert.equal(queue.reads, 0, 'an idle worker has no evidence and reads nothing');
  });

  it('starts the limit below what drew the first 429: the server’s dispatch rate, or the answers times the workers', async () => {
    const worker = new Worker(queue, now);
    queue.dispatchRate = 8;
    queue.pollers = 3;
    worker.admitted += 5; // 10 a second over the 500 ms tick: about 30 for the three workers
    worker.throttled += 1;
    later(500);
    await worker.pacing.tick();
    assert.equal(queue.writes.length, 1);
    assert.equal(queue.note?.step, 'decrease');
    assert.equal(queue.note?.limitEstimate, 30);
    assert.equal(queue.rate, 30 * sharedPacingTuning.decreaseFactor);
  });

  it('sets no limit from a first 429 with too little traffic behind it to be a sample of a limit', async () => {
    const worker = new Worker(queue, now);
    queue.dispatchRate = 0; // the server's estimate is not in yet
    worker.admitted += 1;
    worker.throttled += 1;
    later(500);
    await worker.pacing.tick();
    assert.equal(queue.rate, undefined, 'a lone 429 (a resend, another process’s burst) sets nothing');
    assert.equal(queue.writes.length, 0);
  });

  it('lowers the limit once for one excess, however many workers see its 429s', async () => {
    const workers = [new Worker(queue, now), new Worker(queue, now), new Worker(queue, now)];
    queue.dispatchRate = 20;
    for (const worker of workers) worker.throttled += 1;
    later(500);
    for (const worker of workers) await worker.pacing.tick();
    assert.equal(queue.writes.length, 1, 'the second and third worker read the first one’s decrease');
    const lowered = queue.rate!;

    // Two seconds on, with the limit holding work back, a new 429 is a new excess: lowered again, from the shared limit.
    later(sharedPacingTuning.decreaseSpacingMs);
    queue.backlog = 10;
    workers[2]!.throttled += 1;
    await workers[2]!.pacing.tick();
    assert.equal(queue.writes.length, 2);
    assert.equal(queue.rate, Math.round(lowered * sharedPacingTuning.decreaseFactor * 100) / 100);
  });

  it('lowers a limit that holds nothing back only to what the queue dispatches now', async () => {
    const worker = new Worker(queue, now);
    queue.rate = 30;
    queue.note = { step: 'increase', limitEstimate: 30, lastDecreaseAtMs: nowMs - 60_000 };
    queue.updatedAtMs = nowMs - 5_000;
    queue.backlog = 0;
    queue.dispatchRate = 10; // the 429s come from activities already running, not from what the limit lets through
    worker.throttled += 1;
    later(500);
    await worker.pacing.tick();
    assert.equal(queue.rate, 9);

    // Dispatching at the limit without a backlog: nothing to take off it.
    later(sharedPacingTuning.decreaseSpacingMs);
    queue.dispatchRate = 12;
    worker.throttled += 1;
    await worker.pacing.tick();
    assert.equal(queue.rate, 9);
  });

  it('raises the limit only while it holds work back, quickly back towards the last 429, then slowly', async () => {
    const worker = new Worker(queue, now);
    queue.dispatchRate = 20;
    worker.throttled += 1;
    later(500);
    await worker.pacing.tick();
    assert.equal(queue.rate, 18);

    // Busy, but nothing waits on the queue: no evidence that more would pass.
    const busyTick = async () => {
      worker.admitted += 10;
      later(1_000);
      await worker.pacing.tick();
    };
    await busyTick();
    assert.equal(queue.rate, 18);

    queue.backlog = 50;
    const rates: number[] = [];
    for (let second = 0; second < 8; second += 1) {
      await busyTick();
      rates.push(queue.rate);
    }
    // +3 % of 20 a step up to 0.97 × 20, then +0.2 % of 20 a step.
    assert.deepEqual(rates, [18.6, 19.2, 19.4, 19.44, 19.48, 19.52, 19.56, 19.6]);
  });

  it('grows by 5 % a step once no worker has lowered it for 30 s (the limit may have been raised)', async () => {
    const worker = new Worker(queue, now);
    queue.rate = 10;
    queue.note = { step: 'increase', limitEstimate: 10, lastDecreaseAtMs: nowMs - 31_000 };
    queue.updatedAtMs = nowMs - 5_000;
    queue.backlog = 10;
    worker.admitted += 10;
    later(1_000);
    await worker.pacing.tick();
    assert.equal(queue.rate, 10.5);
  });

  it('carries on from what another worker learned: a new worker reads the estimate in the limit’s metadata', async () => {
    const first = new Worker(queue, now);
    queue.dispatchRate = 20;
    first.throttled += 1;
    later(500);
    await first.pacing.tick();
    // The first worker dies; a new one starts and finds the limit held back work.
    const second = new Worker(queue, now);
    queue.backlog = 5;
    second.admitted += 10;
    later(3_000);
    await second.pacing.tick();
    assert.equal(queue.note?.limitEstimate, 20, 'the estimate the first worker learned');
    assert.equal(queue.rate, 18.6);
  });

  it('never moves a limit set by hand, and never goes above the ceiling', async () => {
    const worker = new Worker(queue, now, 12);
    queue.setByHand(5);
    worker.throttled += 1;
    later(500);
    await worker.pacing.tick();
    queue.backlog = 100;
    worker.admitted += 10;
    later(1_000);
    await worker.pacing.tick();
    assert.equal(queue.rate, 5);
    assert.equal(queue.writes.length, 0);

    const capped = new QueueLimitOnServer(now);
    const cappedWorker = new Worker(capped, now, 12);
    capped.rate = 11.9;
    capped.note = { step: 'increase', limitEstimate: 11, lastDecreaseAtMs: nowMs - 60_000 };
    capped.updatedAtMs = nowMs - 5_000;
    capped.backlog = 10;
    cappedWorker.admitted += 10;
    later(1_000);
    await cappedWorker.pacing.tick();
    assert.equal(capped.rate, 12);
  });
});
