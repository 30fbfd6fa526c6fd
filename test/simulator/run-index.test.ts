import assert from 'node:assert/strict';
import type { FastifyRequest } from 'fastify';
import type { StoredRun } from '../../src/simulator/flow-service/entity-types';
import { answerListQuery, type ListPage } from '../../src/simulator/flow-service/list-query';
import { runListOptions, runListSource } from '../../src/simulator/flow-service/runs';
import { RunRetention } from '../../src/simulator/run-retention';
import { Store } from '../../src/simulator/store';

const sandbox = 'fleet';
const baseMs = 1_700_000_000_000;

/** A run as the executor stores it: created the instant it starts. */
function storedRun(
  id: string,
  flowId: string,
  startedAtUTC: number,
  status = 'success',
  runSandbox = sandbox,
): StoredRun {
  return {
    id,
    flowId,
    sandboxName: runSandbox,
    createdAt: startedAtUTC,
    etag: `"${id}"`,
    metrics: {
      durationSummary: { startedAtUTC, ...(status === 'inProgress' ? {} : { completedAtUTC: startedAtUTC + 500 }) },
      sizeSummary: { inputBytes: 0, outputBytes: 0 },
      recordSummary: { inputRecordCount: 0, outputRecordCount: 0, failedRecordCount: 0 },
      fileSummary: { inputFileCount: 0, outputFileCount: 0, activityRefs: [] },
      statusSummary: {
        status: status as StoredRun['metrics']['statusSummary']['status'],
        errors: [],
        activityRefs: [],
      },
    },
    activities: [{ id: 'copyActivity', durationSummary: { extensions: { windowStart: 0, windowEnd: startedAtUTC } } }],
  };
}

/** A small random fleet: many runs share a start millisecond, and runs arrive out of order. */
function fleetStore(): { store: Store; runs: StoredRun[] } {
  let seed = 7;
  const random = () => {
    seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
    return seed / 2_147_483_648;
  };
  const store = new Store();
  const runs: StoredRun[] = [];
  for (let index = 0; index < 400; index += 1) {
    const id = `run-${Math.floor(random() * 1e9)
      .toString(36)
      .padStart(6, '0')}-${index}`;
    const status = ['success', 'failed', 'inProgress'][Math.floor(random() * 3)]!;
    const run = storedRun(id, `flow-${index % 13}`, baseMs + Math.floor(random() * 60) * 10, status);
    runs.push(run);
    store.put('runs', run);
  }
  store.put('runs', storedRun('elsewhere-1', 'flow-1', baseMs + 100, 'success', 'other'));
  return { store, runs };
}

function listRequest(query: Record<string, string | string[]>): FastifyRequest {
  return { query, headers: {} } as unknown as FastifyRequest;
}

/** Every page of a listing, following continuation tokens, as the ids in order. */
function allPages(
  resources: Parameters<typeof answerListQuery<StoredRun>>[1],
  query: Record<string, string | string[]>,
) {
  const ids: string[] = [];
  let answer = answerListQuery(listRequest(query), resources, '/runs', runListOptions) as ListPage<StoredRun>;
  for (let pages = 0; ; pages += 1) {
    assert.ok(pages < 1000, 'paging ends');
    ids.push(...answer.items.map((run) => run.id));
    const next = answer._links.next?.href;
    if (!next) return ids;
    const token = decodeURIComponent(next.split('continuationToken=')[1]!);
    answer = answerListQuery(
      listRequest({ continuationToken: token }),
      resources,
      '/runs',
      runListOptions,
    ) as ListPage<StoredRun>;
  }
}

describe('simulator run index', () => {
  it('answers every run listing exactly like a scan of the whole sandbox, page by page', () => {
    const { store, runs } = fleetStore();
    const scanned = store.list<StoredRun>('runs', sandbox);
    const indexed = runListSource(store, sandbox);
    const someIds = [runs[5]!.id, runs[77]!.id, runs[5]!.id, 'no-such-run', runs[300]!.id];
    const middle = String(baseMs + 300);
    const queries: Array<Record<string, string | string[]>> = [
      {},
      { limit: '7' },
      { property: `metrics.durationSummary.startedAtUTC>${middle}`, limit: '9' },
      { property: `metrics.durationSummary.startedAtUTC>=${middle}`, limit: '9', orderby: 'createdAt' },
      { property: `metrics.durationSummary.startedAtUTC<=${middle}`, orderby: '-metrics.durationSummary.startedAtUTC' },
      {
        property: [
          `metrics.durationSummary.startedAtUTC>${baseMs + 100}`,
          `metrics.durationSummary.startedAtUTC<${middle}`,
        ],
        limit: '5',
      },
      { property: `metrics.durationSummary.startedAtUTC>${middle}`, orderby: '-id', limit: '11' },
      { property: `metrics.durationSummary.startedAtUTC>abc` },
      { property: `id==${someIds.join(',')}`, limit: '2' },
      { property: [`id==${someIds.join(',')}`, `metrics.durationSummary.startedAtUTC>${middle}`] },
      { property: 'flowId==flow-3', limit: '4' },
      { property: ['flowId==flow-3', `metrics.durationSummary.startedAtUTC>${middle}`], orderby: '+createdAt' },
      { property: 'flowId==flow-3,flow-5,flow-3', limit: '6', orderby: '-createdAt' },
      { property: ['flowId==flow-4', 'state==FAILED'], limit: '3' },
      { property: 'state==inProgress', limit: '10' },
      { property: 'flowId!=flow-2', orderby: 'metrics.statusSummary.status', limit: '25' },
    ];
    for (const query of queries) {
      assert.deepEqual(allPages(indexed, query), allPages(scanned, query), `same answer for ${JSON.stringify(query)}`);
    }
    assert.ok(allPages(indexed, { property: `metrics.durationSummary.startedAtUTC>${middle}` }).length > 50);
    assert.deepEqual(
      answerListQuery(listRequest({ count: 'true', property: 'flowId==flow-3' }), indexed, '/runs', runListOptions),
      answerListQuery(listRequest({ count: 'true', property: 'flowId==flow-3' }), scanned, '/runs', runListOptions),
    );
  });

  it('keeps runs per sandbox and per flow in start order, whatever order they arrive in', () => {
    const store = new Store();
    store.put('runs', storedRun('b', 'flow-a', baseMs + 20));
    store.put('runs', storedRun('a', 'flow-a', baseMs + 10));
    store.put('runs', storedRun('c', 'flow-b', baseMs + 10));
    store.put('runs', storedRun('d', 'flow-a', baseMs + 15, 'success', 'other'));
    assert.deepEqual(
      store.runs.ofSandbox(sandbox).map((run) => run.id),
      ['a', 'c', 'b'],
    );
    assert.equal(store.runs.latestOfFlow(sandbox, 'flow-a')?.id, 'b');
    assert.equal(store.runs.latestOfFlow('other', 'flow-a')?.id, 'd');
    assert.deepEqual(
      store.runs.startedWithin(sandbox, { after: { ms: baseMs + 10, inclusive: false } }).map((run) => run.id),
      ['b'],
    );
    assert.deepEqual(
      store.list('runs', sandbox).map((run) => run.id),
      ['b', 'a', 'c'],
      'the plain listing stays in creation order',
    );

    const restored = new Store();
    restored.restore(store.snapshot());
    assert.deepEqual(
      restored.runs.ofFlow(sandbox, 'flow-a').map((run) => run.id),
      ['a', 'b'],
    );
  });

  it('forgets old runs and records, but keeps what the schedule and the next window read', () => {
    const store = new Store();
    let now = baseMs;
    const clock = { now: () => now, scaled: (ms: number) => ms };
    const hour = 3_600_000;
    // flow-a: old success, old failure (latest), so the success carries the window; flow-b: two old successes.
    store.put('runs', storedRun('a1', 'flow-a', baseMs - 5 * hour));
    store.put('runs', storedRun('a2', 'flow-a', baseMs - 4 * hour, 'failed'));
    store.put('runs', storedRun('b1', 'flow-b', baseMs - 5 * hour));
    store.put('runs', storedRun('b2', 'flow-b', baseMs - 4 * hour));
    store.put('runs', storedRun('b3', 'flow-b', baseMs - 3 * hour, 'inProgress'));
    store.put('runs', storedRun('b4', 'flow-b', baseMs - 1000));
    store.appendRecords('dataset', [1, 2, 3], baseMs - 4 * hour);
    store.appendRecords('dataset', [4], baseMs - 1000);

    const pruned = new RunRetention(store, clock, 2 * hour).prune();
    assert.deepEqual(pruned, { runs: 2, records: 3 });
    assert.deepEqual(
      store.runs.ofSandbox(sandbox).map((run) => run.id),
      ['a1', 'a2', 'b3', 'b4'],
    );
    assert.equal(store.getAnywhere('runs', 'b1'), undefined);
    assert.equal(store.list('runs', sandbox).length, 4);
    assert.deepEqual(store.records('dataset'), [4]);

    now += 10 * hour;
    new RunRetention(store, clock, 2 * hour).prune();
    assert.deepEqual(
      store.runs.ofSandbox(sandbox).map((run) => run.id),
      ['a1', 'a2', 'b3', 'b4'],
      'latest runs, latest windows and runs in progress stay',
    );
  });
});
