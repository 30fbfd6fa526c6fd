/**
 * The run feed's state rules, as plain functions (no server): where the next look starts, what a look and a push
 * leave in the state, how long the next look waits, and which pushed events are handed on.
 */
import assert from 'node:assert/strict';
import type { LookResult, PushResult, RunFeedState } from '../../src/contracts/run-feed-state';
import {
  applyLook,
  applyPush,
  carriedLookDelayMs,
  defaultOverlapMs,
  endsToHandOn,
  firstLookBackMs,
  followPushedStarts,
  initialFeedState,
  listedWindow,
  listFromMs,
  maxBackoffMs,
  maxSeenEventIds,
  nextLookDelayMs,
  recordLookFailure,
  SeenEventIds,
} from '../../src/workflows/run-feed/feed-state';

const minute = 60_000;
const now = Date.parse('2026-06-01T12:00:00Z');
const overlapMs = defaultOverlapMs;

function look(overrides: Partial<LookResult> = {}): LookResult {
  return { followed: [], delivered: [], runsListed: 0, monitorsSignalled: 0, runsIgnored: 0, ...overrides };
}

function push(overrides: Partial<PushResult> = {}): PushResult {
  return { delivered: [], started: [], monitorsSignalled: 0, runsIgnored: 0, ...overrides };
}

function ids(count: number, prefix = 'event'): Array<{ eventId: string }> {
  return Array.from({ length: count }, (_, index) => ({ eventId: `${prefix}-${index}` }));
}

function end(runId: string, outcome: 'started' | 'succeeded' | 'failed' = 'succeeded') {
  return { runId, outcome };
}

describe('run feed state rules', () => {
  describe('the cursor and where the next look starts', () => {
    it('a new feed reaches back 15 minutes, or the overlap if that is longer', () => {
      const state = initialFeedState(now);
      assert.equal(listFromMs(state, overlapMs, now), now - firstLookBackMs);
      assert.equal(listFromMs(state, 20 * minute, now), now - 20 * minute);
    });

    it('once a look saw a run, the next look starts at the newest start less the overlap', () => {
      const state = initialFeedState(now);
      applyLook(state, look({ newestStartMs: now - 5 * minute }), { overlapMs, startedAtMs: now, nowMs: now });
      assert.equal(state.cursorMs, now - 5 * minute);
      assert.equal(listFromMs(state, overlapMs, now + 10 * minute), now - 5 * minute - overlapMs);
    });

    it('the cursor never moves back, and a look that saw no run leaves it where it was', () => {
      const state = initialFeedState(now);
      const context = { overlapMs, startedAtMs: now, nowMs: now };
      applyLook(state, look({ newestStartMs: now - minute }), context);
      applyLook(state, look({ newestStartMs: now - 10 * minute }), context);
      assert.equal(state.cursorMs, now - minute);
      applyLook(state, look(), context);
      assert.equal(state.cursorMs, now - minute);
    });
  });

  describe('applyLook', () => {
    it('remembers delivered runs only while the next look can list them again (newer than cursor less overlap)', () => {
      const state = initialFeedState(now);
      const cursor = now - minute;
      const horizon = cursor - overlapMs;
      state.delivered = [
        ['old', horizon - 1],
        ['at-horizon', horizon],
        ['recent', horizon + 1],
      ];
      applyLook(
        state,
        look({
          newestStartMs: cursor,
          delivered: [
            ['new-but-old', horizon - 5],
            ['new', cursor],
            ['recent', horizon + 1],
          ],
        }),
        { overlapMs, startedAtMs: now, nowMs: now },
      );
      assert.deepEqual(state.delivered, [
        ['recent', horizon + 1],
        ['new', cursor],
      ]);
    });

    it('keeps every delivered run while there is no cursor yet', () => {
      const state = initialFeedState(now);
      applyLook(state, look({ delivered: [['ancient', 0]] }), { overlapMs, startedAtMs: now, nowMs: now });
      assert.deepEqual(state.delivered, [['ancient', 0]]);
    });

    it('replaces the followed runs with the look’s, counts the look and ends a run of failures', () => {
      const state = initialFeedState(now);
      state.followed = [['gone', 'flow-1', now - minute]];
      recordLookFailure(state, 'HTTP 503', now);
      applyLook(
        state,
        look({
          followed: [['still-running', 'flow-2', now]],
          delivered: [['r1', now]],
          runsListed: 4,
          monitorsSignalled: 2,
          runsIgnored: 1,
        }),
        { overlapMs, startedAtMs: now - 1_500, nowMs: now },
      );
      assert.deepEqual(state.followed, [['still-running', 'flow-2', now]]);
      const { ticks, runsSeen, runsDelivered, monitorsSignalled, runsIgnored, consecutiveFailures } = state.stats;
      assert.deepEqual(
        { ticks, runsSeen, runsDelivered, monitorsSignalled, runsIgnored, consecutiveFailures },
        { ticks: 2, runsSeen: 4, runsDelivered: 1, monitorsSignalled: 2, runsIgnored: 1, consecutiveFailures: 0 },
      );
      assert.equal(state.stats.lastTickAt, new Date(now).toISOString());
      assert.equal(state.stats.lastTickDurationMs, 1_500);
      assert.equal(state.stats.listingErrors, 1, 'the failure stays counted');
    });
  });

  describe('backoff', () => {
    it('waits one interval while looks succeed', () => {
      assert.equal(nextLookDelayMs(initialFeedState(now), minute), minute);
    });

    it('doubles the wait with each failure in a row, up to 10 minutes', () => {
      const state = initialFeedState(now);
      const waits: number[] = [];
      for (let failure = 1; failure <= 5; failure += 1) {
        recordLookFailure(state, `failure ${failure}`, now);
        waits.push(nextLookDelayMs(state, minute));
      }
      assert.deepEqual(waits, [2 * minute, 4 * minute, 8 * minute, maxBackoffMs, maxBackoffMs]);
      assert.equal(maxBackoffMs, 10 * minute);
      assert.equal(state.stats.lastError, 'failure 5');
      assert.deepEqual([state.stats.ticks, state.stats.listingErrors, state.stats.consecutiveFailures], [5, 5, 5]);
    });

    it('waits one interval again after a look succeeds', () => {
      const state = initialFeedState(now);
      recordLookFailure(state, 'down', now);
      recordLookFailure(state, 'down', now);
      applyLook(state, look(), { overlapMs, startedAtMs: now, nowMs: now });
      assert.equal(nextLookDelayMs(state, minute), minute);
    });
  });

  describe('carriedLookDelayMs: a look due when the feed continued as new', () => {
    it('stays due when it was, and the carried time is used once', () => {
      const state = initialFeedState(now);
      state.lookDueAtMs = now + 20_000;
      assert.equal(carriedLookDelayMs(state, minute, now), 20_000);
      assert.equal(state.lookDueAtMs, undefined);
      assert.equal(carriedLookDelayMs(state, minute, now), minute, 'then a whole interval again');
    });

    it('is due at once when its time has passed', () => {
      const state = initialFeedState(now);
      state.lookDueAtMs = now - 5_000;
      assert.equal(carriedLookDelayMs(state, minute, now), 0);
    });

    it('without a carried time, waits as nextLookDelayMs does (backoff included)', () => {
      const state = initialFeedState(now);
      recordLookFailure(state, 'down', now);
      assert.equal(carriedLookDelayMs(state, minute, now), 2 * minute);
    });
  });

  describe('SeenEventIds', () => {
    it('drops a duplicate within one batch and across batches, and counts both', () => {
      const state = initialFeedState(now);
      const seen = new SeenEventIds(state);
      const first = seen.take([{ eventId: 'a' }, { eventId: 'b' }, { eventId: 'a' }], now);
      assert.deepEqual(
        first.map((event) => event.eventId),
        ['a', 'b'],
      );
      const second = seen.take([{ eventId: 'b' }, { eventId: 'c' }], now + 1_000);
      assert.deepEqual(
        second.map((event) => event.eventId),
        ['c'],
      );
      assert.equal(state.stats.pushedEvents, 5);
      assert.equal(state.stats.pushedDuplicates, 2);
      assert.equal(state.stats.lastPushedEventAt, new Date(now + 1_000).toISOString());
      assert.deepEqual(state.seenEventIds, ['a', 'b', 'c']);
    });

    it('knows the ids carried in the state (a feed that continued as new)', () => {
      const state = initialFeedState(now);
      state.seenEventIds = ['carried'];
      assert.deepEqual(new SeenEventIds(state).take([{ eventId: 'carried' }], now), []);
      assert.equal(state.stats.pushedDuplicates, 1);
    });

    it('remembers the newest 5000 ids: the oldest is forgotten, and taken again as new', () => {
      const state = initialFeedState(now);
      const seen = new SeenEventIds(state);
      assert.equal(seen.take(ids(maxSeenEventIds), now).length, maxSeenEventIds);
      assert.equal(seen.take([{ eventId: 'one-more' }], now).length, 1);
      assert.equal(state.seenEventIds!.length, maxSeenEventIds);
      assert.equal(state.seenEventIds![0], 'event-1', 'the oldest slid out');
      assert.equal(state.seenEventIds!.at(-1), 'one-more');

      assert.equal(seen.take([{ eventId: 'event-1' }], now).length, 0, 'still remembered');
      assert.equal(seen.take([{ eventId: 'event-0' }], now).length, 1, 'forgotten: taken as new');
      assert.equal(state.stats.pushedEvents, maxSeenEventIds + 3);
      assert.equal(state.stats.pushedDuplicates, 1);
    });

    it('a batch larger than the window keeps only its newest ids', () => {
      const state = initialFeedState(now);
      const seen = new SeenEventIds(state);
      assert.equal(seen.take(ids(maxSeenEventIds + 10), now).length, maxSeenEventIds + 10);
      assert.equal(state.seenEventIds!.length, maxSeenEventIds);
      assert.equal(state.seenEventIds![0], 'event-10');
      assert.equal(seen.take([{ eventId: 'event-10' }], now).length, 0, 'remembered');
      assert.equal(seen.take([{ eventId: 'event-9' }], now).length, 1, 'forgotten');
    });
  });

  describe('endsToHandOn', () => {
    it('drops starts (looks follow runs in progress) and passes ends of runs not handed on yet', () => {
      const state = initialFeedState(now);
      const ends = endsToHandOn(state, [end('r1', 'started'), end('r2', 'succeeded'), end('r3', 'failed')]);
      assert.deepEqual(ends, [end('r2', 'succeeded'), end('r3', 'failed')]);
      assert.equal(state.stats.pushedDuplicates ?? 0, 0, 'a start is not a duplicate');
    });

    it('counts the end of a run already handed on as a duplicate', () => {
      const state = initialFeedState(now);
      state.delivered = [['r1', now - minute]];
      state.stats.pushedDuplicates = 2;
      const ends = endsToHandOn(state, [end('r1'), end('r1', 'started'), end('r2', 'failed')]);
      assert.deepEqual(ends, [end('r2', 'failed')]);
      assert.equal(state.stats.pushedDuplicates, 3);
    });
  });

  describe('listedWindow: runs whose start a look has listed', () => {
    it('is undefined until the feed has both a cursor and the start of its first window', () => {
      const state = initialFeedState(now);
      assert.equal(listedWindow(state, overlapMs), undefined);
      state.cursorMs = now;
      assert.equal(listedWindow(state, overlapMs), undefined, 'a cursor alone');
      delete state.cursorMs;
      state.coveredFromMs = now - 30 * minute;
      assert.equal(listedWindow(state, overlapMs), undefined, 'a first window alone');
    });

    it('runs from the first window’s start to the cursor less the overlap', () => {
      const state = initialFeedState(now);
      state.coveredFromMs = now - 30 * minute;
      state.cursorMs = now;
      assert.deepEqual(listedWindow(state, overlapMs), { fromMs: now - 30 * minute, toMs: now - overlapMs });
    });

    it('is undefined while the overlap still covers the whole window (empty)', () => {
      const state = initialFeedState(now);
      state.coveredFromMs = now - overlapMs;
      state.cursorMs = now;
      assert.equal(listedWindow(state, overlapMs), undefined, 'from equals to');
      state.cursorMs = now - minute;
      assert.equal(listedWindow(state, overlapMs), undefined, 'to before from');
    });
  });

  describe('applyPush', () => {
    it('remembers the ended runs as delivered (once) and stops following them; follows the new starts', () => {
      const state = initialFeedState(now);
      state.followed = [
        ['ended', 'flow-1', now - 2 * minute],
        ['running', 'flow-1', now - minute],
      ];
      state.delivered = [['earlier', now - 3 * minute]];
      applyPush(
        state,
        push({
          delivered: [
            ['ended', now - 2 * minute],
            ['earlier', now - 3 * minute],
          ],
          started: [
            ['running', 'flow-1', now - minute],
            ['fresh', 'flow-2', now],
            ['ended', 'flow-1', now - 2 * minute],
          ],
        }),
      );
      assert.deepEqual(state.followed, [
        ['running', 'flow-1', now - minute],
        ['fresh', 'flow-2', now],
      ]);
      assert.deepEqual(state.delivered, [
        ['earlier', now - 3 * minute],
        ['ended', now - 2 * minute],
      ]);
    });

    it('counts runs handed on (stale duplicates left out), monitors, ignored, foreign and read runs', () => {
      const state = initialFeedState(now);
      const result = push({
        delivered: [
          ['a', now],
          ['b', now],
          ['stale', now - 30 * minute],
        ],
        monitorsSignalled: 1,
        runsIgnored: 2,
        foreignRuns: 2,
        staleDuplicates: 1,
        runsRead: 1,
      });
      applyPush(state, result);
      applyPush(state, push({ delivered: [['c', now]], monitorsSignalled: 1, runsRead: 1 }));
      const { stats } = state;
      assert.deepEqual(
        [stats.pushedRunsDelivered, stats.monitorsSignalled, stats.runsIgnored],
        [3, 2, 2],
        'runs handed on, monitors signalled, runs ignored',
      );
      assert.deepEqual(
        [stats.pushedForeignRuns, stats.pushedStaleDuplicates, stats.pushedRunsRead],
        [2, 1, 2],
        'foreign, stale, read',
      );
    });

    it('leaves the push counters absent while nothing of their kind happened (states of older releases)', () => {
      const state = initialFeedState(now);
      applyPush(state, push({ delivered: [['a', now]] }));
      assert.equal(state.stats.pushedRunsDelivered, 1);
      assert.equal('pushedForeignRuns' in state.stats, false);
      assert.equal('pushedStaleDuplicates' in state.stats, false);
      assert.equal('pushedRunsRead' in state.stats, false);
    });
  });

  describe('followPushedStarts', () => {
    it('follows a pushed start once, unless its run is handed on or followed already', () => {
      const state: RunFeedState = initialFeedState(now);
      state.delivered = [['ended-first', now - minute]];
      state.followed = [['known', 'flow-1', now - minute]];
      followPushedStarts(
        state,
        [
          { runId: 'ended-first', flowId: 'flow-1' },
          { runId: 'known', flowId: 'flow-1' },
          { runId: 'new', flowId: 'flow-2' },
          { runId: 'new', flowId: 'flow-2' },
        ],
        now,
      );
      assert.deepEqual(state.followed, [
        ['known', 'flow-1', now - minute],
        ['new', 'flow-2', now],
      ]);
    });
  });
});
