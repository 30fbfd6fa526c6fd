import assert from 'node:assert/strict';
import { aepSettingsFromEnv } from '../../src/aep';
import {
  sleepWithinScope,
  WaitCancelledError,
  WaitPastDeadlineError,
  type AepCallScope,
  type AepWaitInfo,
} from '../../src/aep/call-scope';
import { pacingTuning, RequestPacer, type PacerPermit, type RequestPacerOptions } from '../../src/aep/request-pacer';
import { defaultRetryOptions } from '../../src/aep/retry-policy';
import { FakeClock, settle } from './fake-clock';

const admitted = { kind: 'admitted' } as const;
const throttled = (retryAfterMs?: number) => ({ kind: 'throttled', retryAfterMs }) as const;

/** A promise's state, readable without awaiting it. */
interface Tracked<T> {
  settled: boolean;
  value: T | undefined;
  error: unknown;
}

function track<T>(promise: Promise<T>): Tracked<T> {
  const tracked: Tracked<T> = { settled: false, value: undefined, error: undefined };
  promise.then(
    (value) => Object.assign(tracked, { settled: true, value }),
    (error: unknown) => Object.assign(tracked, { settled: true, error }),
  );
  return tracked;
}

describe('AEP client: request pacer (fake clock)', () => {
  let clock: FakeClock;

  beforeEach(() => {
    clock = new FakeClock();
  });

  function pacer(options: Omit<RequestPacerOptions, 'clock'> = {}): RequestPacer {
    return new RequestPacer({ ...options, clock });
  }

  /** Acquires at once (asserting no wait) and answers `outcome` now. */
  async function sendNow(target: RequestPacer, outcome: Parameters<PacerPermit['finish']>[0]): Promise<void> {
    const permit = track(target.acquire());
    await settle();
    assert.ok(permit.value, 'expected the request to go at once');
    permit.value.finish(outcome);
  }

  /** A pacer that has seen `admittedFirst` admitted answers at the current time, then one 429 `afterMs` later. */
  async function pacedAfterFirst429(
    options: Omit<RequestPacerOptions, 'clock'> = {},
    admittedFirst = 20,
    retryAfterMs?: number,
  ): Promise<RequestPacer> {
    const target = pacer(options);
    for (let index = 0; index < admittedFirst; index++) await sendNow(target, admitted);
    await clock.advance(10);
    await sendNow(target, throttled(retryAfterMs));
    return target;
  }

  /** Queues `count` requests that answer `admitted` as soon as they go; returns when each went (fake ms). */
  function queueAdmitted(target: RequestPacer, count: number, scope: AepCallScope = {}): number[] {
    const sentAt: number[] = [];
    for (let index = 0; index < count; index++) {
      void target.acquire(scope).then((permit) => {
        sentAt.push(permit.sentAt);
        permit.finish(admitted);
      });
    }
    return sentAt;
  }

  describe('learning the limit', () => {
    it('lets every request through at once while no 429 has been seen', async () => {
      const target = pacer();
      const permits = Array.from({ length: 100 }, () => track(target.acquire()));
      await settle();
      assert.ok(permits.every((permit) => permit.value !== undefined));
      permits.forEach((permit) => permit.value!.finish(admitted));
      assert.deepEqual(target.snapshot(), {
        requestsPerSecond: undefined,
        maxRequestsPerSecond: undefined,
        admitted: 100,
        throttled: 0,
        waiting: 0,
        expectedWaitMs: 0,
        inFlight: 0,
        retryAfterUntil: undefined,
        waitedForRate: 0,
        admittedInLastSecond: 100,
        lastThrottledSentAt: undefined,
      });
    });

    it('starts pacing at β × the answers admitted in the trailing second after the first 429', async () => {
      const target = await pacedAfterFirst429();
      assert.equal(target.snapshot().requestsPerSecond, 20 * pacingTuning.decreaseFactor);
      const sentAt = queueAdmitted(target, 3);
      await clock.advance(200);
      const start = sentAt[0]!;
      assert.deepEqual(
        sentAt.map((at) => Math.round(at - start)),
        [0, 56, 111],
        'strictly spaced at 18 a second',
      );
    });

    it('only counts answers of the trailing second: a 429 after a quiet second starts no pacing', async () => {
      const target = pacer();
      for (let index = 0; index < 20; index++) await sendNow(target, admitted);
      await clock.advance(1500);
      await sendNow(target, throttled());
      assert.equal(target.snapshot().requestsPerSecond, undefined, 'no sample of a limit, so still unpaced');
      assert.equal(target.snapshot().throttled, 1);
    });

    it('honours the Retry-After of a lone 429 without pacing at the rate of a handful of calls', async () => {
      const target = pacer();
      await sendNow(target, admitted);
      await sendNow(target, throttled(1_000));
      assert.equal(target.snapshot().requestsPerSecond, undefined);
      const held = track(target.acquire());
      await settle();
      assert.equal(held.value, undefined, 'held back by Retry-After');
      await clock.advance(1_000);
      assert.ok(held.value, 'let through once Retry-After passed');
    });

    it('keeps its rate on a 429 while it sends at under half of it (a lone resend says nothing about the rate)', async () => {
      const target = pacer();
      for (let index = 0; index < 20; index++) await sendNow(target, admitted);
      await sendNow(target, throttled());
      assert.equal(target.snapshot().requestsPerSecond, 18);
      await clock.advance(2_000);
      await sendNow(target, throttled());
      await clock.advance(2_000);
      await sendNow(target, throttled());
      assert.equal(target.snapshot().requestsPerSecond, 18);
    });

    it('forgets the learned rate after a quiet period without 429s', async () => {
      const target = pacer();
      for (let index = 0; index < 20; index++) await sendNow(target, admitted);
      await sendNow(target, throttled());
      assert.equal(target.snapshot().requestsPerSecond, 18);
      await clock.advance(pacingTuning.quietPeriodMs);
      await sendNow(target, admitted);
      assert.equal(target.snapshot().requestsPerSecond, undefined);
    });

    it('decreases once for a burst of 429s, and again for a later excess', async () => {
      const target = pacer();
      for (let index = 0; index < 20; index++) await sendNow(target, admitted);
      const burst = Array.from({ length: 10 }, () => track(target.acquire()));
      const sentBeforeTheDecrease = track(target.acquire());
      await settle();
      await clock.advance(10);
      burst.forEach((permit) => permit.value!.finish(throttled()));
      assert.equal(target.snapshot().throttled, 10);
      assert.equal(target.snapshot().requestsPerSecond, 18, 'the burst counts once');

      await clock.advance(1200);
      sentBeforeTheDecrease.value!.finish(throttled());
      assert.equal(target.snapshot().requestsPerSecond, 18, 'a 429 for a request sent before the decrease');

      queueAdmitted(target, 10);
      await clock.advance(600);
      const beforeExcess = target.snapshot().requestsPerSecond!; // a little over 18: those requests waited
      await sendNow(target, throttled());
      assert.equal(target.snapshot().requestsPerSecond, beforeExcess * 0.9, 'a new excess, while sending at the rate');
      await clock.advance(500);
      await sendNow(target, throttled());
      assert.equal(target.snapshot().requestsPerSecond, beforeExcess * 0.9, 'within a second of the last decrease');
      assert.equal(target.snapshot().throttled, 13);
    });
  });

  describe('probing for more', () => {
    it('does not increase while requests come slower than the rate', async () => {
      const target = await pacedAfterFirst429();
      for (let index = 0; index < 100; index++) {
        await clock.advance(100);
        await sendNow(target, admitted);
      }
      assert.equal(target.snapshot().requestsPerSecond, 18);
    });

    it('climbs back quickly to 0.97 of the rate that drew the 429 while requests wait, then probes above it slowly', async () => {
      const target = await pacedAfterFirst429();
      const sentAt = queueAdmitted(target, 1000);
      // 18/s → 19.4/s (0.97 × 20) at +2 % of 20 a second: 3.5 s; then +0.1 % of 20 a second.
      await clock.advance(5_000);
      const recovered = target.snapshot().requestsPerSecond!;
      const expectedRecovered = 20 * pacingTuning.plateauShare + 1.5 * pacingTuning.probeShareRate * 20;
      assert.ok(Math.abs(recovered - expectedRecovered) < 0.02, `rate ${recovered}, expected ${expectedRecovered}`);
      assert.ok(sentAt.length >= 92 && sentAt.length <= 97, `${sentAt.length} let through in 5 s`);
      await clock.advance(20_000);
      const probing = target.snapshot().requestsPerSecond!;
      const expectedProbing = expectedRecovered + 20 * pacingTuning.probeShareRate * 20;
      assert.ok(Math.abs(probing - expectedProbing) < 0.02, `rate ${probing}, expected about ${expectedProbing}`);
      assert.ok(probing < 20, 'still below the rate that drew the 429 after 25 s');
    });
  });

  describe('adaptive pacing off', () => {
    it('counts 429s but neither paces nor holds back on Retry-After', async () => {
      const target = await pacedAfterFirst429({ adaptive: false }, 20, 5000);
      assert.equal(target.snapshot().requestsPerSecond, undefined);
      assert.equal(target.snapshot().throttled, 1);
      assert.equal(target.snapshot().retryAfterUntil, undefined);
      await sendNow(target, admitted);
    });
  });

  describe('the ceiling (AEP_MAX_REQUESTS_PER_SECOND)', () => {
    it('paces from the first request and never goes beyond the ceiling', async () => {
      const target = pacer({ maxRequestsPerSecond: 5 });
      assert.equal(target.snapshot().requestsPerSecond, 5);
      const sentAt = queueAdmitted(target, 1000);
      await clock.advance(1);
      assert.equal(sentAt.length, 1, 'the first request goes at once');
      await clock.advance(60_000);
      assert.equal(target.snapshot().requestsPerSecond, 5);
      assert.ok(sentAt.length >= 299 && sentAt.length <= 301, `${sentAt.length} let through in 60 s`);
    });

    it('decreases below the ceiling on a 429, and climbs back to it but not past it', async () => {
      const target = pacer({ maxRequestsPerSecond: 5 });
      queueAdmitted(target, 3);
      await clock.advance(600);
      await sendNow(target, throttled());
      assert.equal(target.snapshot().requestsPerSecond, 4.5);
      queueAdmitted(target, 2000);
      await clock.advance(300_000);
      assert.equal(target.snapshot().requestsPerSecond, 5);
    });
  });

  describe('Retry-After', () => {
    it('holds every request of the org back until it passes, and says so to onWait', async () => {
      const target = await pacedAfterFirst429({}, 20, 1000);
      const blockedAt = clock.now();
      assert.equal(target.snapshot().retryAfterUntil, blockedAt + 1000);
      const waits: AepWaitInfo[] = [];
      const sentAt = queueAdmitted(target, 2, { onWait: (info) => waits.push(info) });
      await clock.advance(999);
      assert.deepEqual(sentAt, []);
      await clock.advance(1);
      assert.deepEqual(sentAt, [blockedAt + 1000]);
      await clock.advance(60);
      assert.equal(sentAt.length, 2);
      assert.deepEqual(waits[0], { waitMs: 1000, reason: 'retry-after' });
      assert.equal(target.snapshot().retryAfterUntil, undefined);
    });

    it('holds the org for at most the resend cap (maxRetryAfterMs) when a 429 asks for an hour', async () => {
      const capMs = defaultRetryOptions.maxRetryAfterMs;
      const target = await pacedAfterFirst429({}, 20, 3_600_000);
      const blockedAt = clock.now();
      assert.equal(target.snapshot().retryAfterUntil, blockedAt + capMs);
      const sentAt = queueAdmitted(target, 1);
      await clock.advance(capMs - 1);
      assert.deepEqual(sentAt, [], 'held while the cap lasts');
      await clock.advance(1);
      assert.deepEqual(sentAt, [blockedAt + capMs], 'let through when the cap ends, not after the hour');
    });

    it('takes its cap from maxRetryAfterHoldMs, and holds a shorter Retry-After only as long as it asks', async () => {
      const target = await pacedAfterFirst429({ maxRetryAfterHoldMs: 5_000 }, 20, 60_000);
      assert.equal(target.snapshot().retryAfterUntil, clock.now() + 5_000);
      await clock.advance(5_000);
      await sendNow(target, throttled(2_000));
      assert.equal(target.snapshot().retryAfterUntil, clock.now() + 2_000);
    });

    it('reports a long wait at once and every 2 s while it lasts', async () => {
      const target = await pacedAfterFirst429({}, 20, 5000);
      const waits: AepWaitInfo[] = [];
      const permit = track(target.acquire({ onWait: (info) => waits.push(info) }));
      await clock.advance(4999);
      assert.equal(permit.settled, false);
      await clock.advance(1);
      assert.ok(permit.value);
      assert.deepEqual(
        waits.map((info) => [info.waitMs, info.reason]),
        [
          [5000, 'retry-after'],
          [3000, 'retry-after'],
          [1000, 'retry-after'],
        ],
      );
      assert.equal(clock.pendingTimers, 0, 'no report is left scheduled');
    });

    it('reports a short wait that turns out long once it has lasted 100 ms', async () => {
      const target = pacer({ maxInFlight: 1 });
      const first = track(target.acquire());
      const waits: AepWaitInfo[] = [];
      const second = track(target.acquire({ onWait: (info) => waits.push(info) }));
      await clock.advance(99);
      assert.deepEqual(waits, []);
      await clock.advance(1);
      assert.deepEqual(waits, [{ waitMs: 0, reason: 'pacing' }]);
      first.value!.finish(admitted);
      await settle();
      assert.ok(second.value);
    });
  });

  describe('cancellation and deadlines', () => {
    it('rejects a waiting request when its signal fires, and lets the next one have the slot', async () => {
      const target = await pacedAfterFirst429({}, 20, 1000);
      const controller = new AbortController();
      const cancelled = track(target.acquire({ signal: controller.signal }));
      const next = track(target.acquire());
      await clock.advance(100);
      controller.abort();
      await settle();
      assert.ok(cancelled.error instanceof WaitCancelledError);
      assert.match(String(cancelled.error), /cancelled while waiting \(retry-after\)/);
      assert.equal(target.snapshot().waiting, 1);
      await clock.advance(900);
      assert.ok(next.value, 'the next request goes when the Retry-After passes');
    });

    it('rejects at once a request whose signal has already fired', async () => {
      const controller = new AbortController();
      controller.abort();
      const refused = track(pacer().acquire({ signal: controller.signal }));
      await settle();
      assert.ok(refused.error instanceof WaitCancelledError);
    });

    it('refuses at once a wait that would pass the deadline, naming it', async () => {
      const target = await pacedAfterFirst429({}, 20, 1000);
      const deadlineMs = clock.now() + 500;
      const refused = track(target.acquire({ deadlineMs }));
      await settle();
      assert.ok(refused.error instanceof WaitPastDeadlineError);
      assert.equal(refused.error.reason, 'retry-after');
      assert.equal(refused.error.waitMs, 1000);
      assert.match(refused.error.message, new RegExp(new Date(deadlineMs).toISOString()));
      assert.equal(target.snapshot().waiting, 0, 'it never queued');
    });

    it('counts the queue ahead when predicting a paced wait', async () => {
      const target = await pacedAfterFirst429();
      queueAdmitted(target, 10);
      // What the worker's activity slots are admitted by: ten calls ahead at 18/s, and the next slot.
      const { expectedWaitMs } = target.snapshot();
      assert.ok(expectedWaitMs >= 500 && expectedWaitMs <= 620, `expected wait ${expectedWaitMs} ms`);
      const refused = track(target.acquire({ deadlineMs: clock.now() + 300 }));
      const accepted = track(target.acquire({ deadlineMs: clock.now() + 1000 }));
      await settle();
      assert.ok(refused.error instanceof WaitPastDeadlineError, 'ten ahead at 18/s take 556 ms');
      await clock.advance(1000);
      assert.ok(accepted.value);
    });

    it('gives up at the deadline when the wait lasts longer than expected', async () => {
      const target = pacer({ maxInFlight: 1 });
      void target.acquire();
      const deadlineMs = clock.now() + 300;
      const waiting = track(target.acquire({ deadlineMs }));
      await clock.advance(299);
      assert.equal(waiting.settled, false);
      await clock.advance(1);
      assert.ok(waiting.error instanceof WaitPastDeadlineError);
      assert.equal(target.snapshot().waiting, 0);
    });

    it('sleeps a retry backoff within the scope: refused past the deadline, cut short by the signal', async () => {
      const tooLate = track(sleepWithinScope(1000, 'backoff', { deadlineMs: clock.now() + 999 }, clock));
      await settle();
      assert.ok(tooLate.error instanceof WaitPastDeadlineError);

      const controller = new AbortController();
      const waits: AepWaitInfo[] = [];
      const sleeping = track(
        sleepWithinScope(5000, 'backoff', { signal: controller.signal, onWait: (info) => waits.push(info) }, clock),
      );
      await clock.advance(2500);
      controller.abort();
      await settle();
      assert.ok(sleeping.error instanceof WaitCancelledError);
      assert.deepEqual(
        waits.map((info) => info.waitMs),
        [5000, 3000],
      );
      assert.equal(clock.pendingTimers, 0);
    });
  });

  describe('requests out at once', () => {
    it('lets no more than maxInFlight out, so a request leaves as soon as it is let through', async () => {
      const target = pacer({ maxInFlight: 2 });
      const permits = Array.from({ length: 3 }, () => track(target.acquire()));
      await settle();
      assert.deepEqual(
        permits.map((permit) => permit.settled),
        [true, true, false],
      );
      permits[0]!.value!.finish({ kind: 'unanswered' });
      await settle();
      assert.ok(permits[2]!.value);
      assert.equal(target.snapshot().admitted, 0, 'an unanswered request is not counted as admitted');
    });

    it('puts a resend at the head of the queue', async () => {
      const target = await pacedAfterFirst429();
      const order: string[] = [];
      for (const label of ['a', 'b']) void target.acquire().then(() => order.push(label));
      void target.acquire({}, { resend: true }).then(() => order.push('resend'));
      await clock.advance(1000);
      assert.deepEqual(order, ['a', 'resend', 'b'], 'the first went at once; the resend was queued ahead of b');
    });
  });

  describe('pacing at a share of a rate learned with other workers (learnsRate: false)', () => {
    it('paces at the rate it is told to follow, and counts the requests that waited for it', async () => {
      const target = pacer({ learnsRate: false });
      target.follow(10);
      const sentAt = queueAdmitted(target, 3);
      await clock.advance(250);
      const start = sentAt[0]!;
      assert.deepEqual(
        sentAt.map((at) => at - start),
        [0, 100, 200],
      );
      assert.equal(target.snapshot().waitedForRate, 2, 'the first went at once, the others waited for the rate');
      assert.equal(target.snapshot().admittedInLastSecond, 3);

      // A lower share from now on: the next slot is one interval of the new rate after the last request left.
      target.follow(4);
      const later = queueAdmitted(target, 1);
      await clock.advance(199);
      assert.deepEqual(later, []);
      await clock.advance(1);
      assert.deepEqual(later, [start + 450]);
    });

    it('lowers its pace at once on a 429, until the next follow; nothing raises it here', async () => {
      const target = pacer({ learnsRate: false });
      target.follow(10);
      for (let index = 0; index < 10; index++) {
        await sendNow(target, admitted);
        await clock.advance(100);
      }
      await sendNow(target, throttled(1000));
      assert.equal(target.snapshot().requestsPerSecond, 9);
      assert.equal(target.snapshot().lastThrottledSentAt, clock.now());
      // Once a rate is followed, a Retry-After delays only the request that drew it (its resend): the others go on.
      assert.equal(target.snapshot().retryAfterUntil, undefined);
      queueAdmitted(target, 30);
      await clock.advance(3000);
      assert.equal(target.snapshot().requestsPerSecond, 9, 'waiting requests raise no rate of its own');
      target.follow(12);
      assert.equal(target.snapshot().requestsPerSecond, 12);
    });

    it('holds every request on a Retry-After while it has no rate yet (the first excess, before any is shared)', async () => {
      const target = await pacedAfterFirst429({ learnsRate: false }, 20, 1000);
      assert.equal(target.snapshot().retryAfterUntil, clock.now() + 1000);
      assert.equal(target.snapshot().requestsPerSecond, 18, 'paced at once from its own sample');
      await clock.advance(120_000);
      assert.equal(target.snapshot().requestsPerSecond, 18, 'never forgets a rate it was given or sampled');
    });

    it('refuses follow on a pacer that learns its own rate', () => {
      assert.throws(() => pacer().follow(5), /learnsRate: false/);
    });
  });

  describe('AEP_MAX_REQUESTS_PER_SECOND', () => {
    const required = { AEP_CLIENT_ID: 'client', AEP_CLIENT_SECRET: 'secret', AEP_ORG_ID: 'ORG@AdobeOrg' };

    it('is read as the ceiling, and left out when unset or empty', () => {
      assert.equal(aepSettingsFromEnv({ ...required, AEP_MAX_REQUESTS_PER_SECOND: '20' }).maxRequestsPerSecond, 20);
      assert.equal(aepSettingsFromEnv({ ...required, AEP_MAX_REQUESTS_PER_SECOND: '2.5' }).maxRequestsPerSecond, 2.5);
      assert.equal('maxRequestsPerSecond' in aepSettingsFromEnv(required), false);
      assert.equal(
        'maxRequestsPerSecond' in aepSettingsFromEnv({ ...required, AEP_MAX_REQUESTS_PER_SECOND: ' ' }),
        false,
      );
    });

    for (const invalid of ['0', '-5', 'twenty', '1e3']) {
      it(`refuses ${JSON.stringify(invalid)}, naming the variable`, () => {
        assert.throws(
          () => aepSettingsFromEnv({ ...required, AEP_MAX_REQUESTS_PER_SECOND: invalid }),
          /AEP_MAX_REQUESTS_PER_SECOND must be a positive number of requests a second/,
        );
      });
    }
  });
});
