import assert from 'node:assert/strict';
import { eventually, flowServicePath, nowInSeconds, TestPlatform } from './test-platform';

interface RunSummary {
  id: string;
  flowId: string;
  status: string;
  startedAtUTC: number;
  completedAtUTC?: number;
  errorCode?: string;
}
interface RunSummaries {
  items: RunSummary[];
  count: number;
  nextCursor?: string;
}
interface Run {
  id: string;
  flowId: string;
  metrics: { durationSummary: { startedAtUTC: number; completedAtUTC?: number }; statusSummary: { status: string } };
}

/** One simulated hour per wall-clock second: a 15-minute schedule fires every 250 ms. */
const timeScale = 3600;

describe('simulator admin reads for benchmarks (/__sim/runs, /__sim/request-counts)', () => {
  let platform: TestPlatform;
  before(async () => {
    platform = await TestPlatform.start({ timeScale });
  });
  after(() => platform.close());

  it('summarizes every run of a sandbox in start order, paged, and filtered by start and completion', async () => {
    const sandbox = 'summaries';
    const token = await platform.mintOneTrustToken(3600);
    const flows: string[] = [];
    for (const name of ['one', 'two']) {
      const pipeline = await platform.createPipeline({ sandbox, accessToken: token, name });
      flows.push(await platform.createFlow(pipeline, { startTime: nowInSeconds(), frequency: 'minute', interval: 15 }));
    }
    await platform
      .createPipeline({ sandbox: 'elsewhere', accessToken: token })
      .then((pipeline) =>
        platform.createFlow(pipeline, { startTime: nowInSeconds(), frequency: 'minute', interval: 15 }),
      );
    await eventually(
      async () => {
        const read = await platform.admin<RunSummaries>('GET', `/runs?sandbox=${sandbox}&completedAfter=0`);
        return read.body.count >= 6 ? true : undefined;
      },
      15_000,
      'six completed runs',
    );
    for (const flowId of flows) await platform.flowService('POST', `/flows/${flowId}/action?op=disable`, { sandbox });
    await new Promise((resolve) => setTimeout(resolve, 2000));

    const all = (await platform.admin<RunSummaries>('GET', `/runs?sandbox=${sandbox}`)).body;
    assert.equal(all.nextCursor, undefined);
    assert.deepEqual(new Set(all.items.map((run) => run.flowId)), new Set(flows));
    const starts = all.items.map((run) => run.startedAtUTC);
    assert.deepEqual(
      starts,
      [...starts].sort((left, right) => left - right),
    );

    const listed = await platform.flowService<{ items: Run[] }>('GET', '/runs?limit=1000', { sandbox });
    const fromApi = new Map(listed.body.items.map((run) => [run.id, run]));
    assert.equal(fromApi.size, all.items.length);
    for (const summary of all.items) {
      const run = fromApi.get(summary.id)!;
      assert.deepEqual(summary, {
        id: run.id,
        flowId: run.flowId,
        status: run.metrics.statusSummary.status,
        startedAtUTC: run.metrics.durationSummary.startedAtUTC,
        completedAtUTC: run.metrics.durationSummary.completedAtUTC,
      });
    }

    const paged: RunSummary[] = [];
    let path = `/runs?sandbox=${sandbox}&limit=2`;
    for (let pages = 0; pages < 100; pages += 1) {
      const page = (await platform.admin<RunSummaries>('GET', path)).body;
      assert.ok(page.count <= 2);
      paged.push(...page.items);
      if (!page.nextCursor) break;
      path = `/runs?sandbox=${sandbox}&limit=2&cursor=${encodeURIComponent(page.nextCursor)}`;
    }
    assert.deepEqual(paged, all.items);

    const cut = all.items[2]!;
    const later = (
      await platform.admin<RunSummaries>('GET', `/runs?sandbox=${sandbox}&startedAfter=${cut.startedAtUTC}`)
    ).body;
    assert.ok(later.items.every((run) => run.startedAtUTC > cut.startedAtUTC));
    assert.equal(later.count, all.items.filter((run) => run.startedAtUTC > cut.startedAtUTC).length);
    const completedLater = (
      await platform.admin<RunSummaries>('GET', `/runs?sandbox=${sandbox}&completedAfter=${cut.completedAtUTC}`)
    ).body;
    assert.deepEqual(
      completedLater.items.map((run) => run.id),
      all.items.filter((run) => run.completedAtUTC! > cut.completedAtUTC!).map((run) => run.id),
    );
  });

  it('refuses a read without a sandbox or with a bad cursor', async () => {
    assert.equal((await platform.admin('GET', '/runs')).status, 400);
    assert.equal((await platform.admin('GET', '/runs?sandbox=s&cursor=nonsense')).status, 400);
    assert.equal((await platform.admin('GET', '/runs?sandbox=s&limit=0')).status, 400);
    assert.deepEqual((await platform.admin('GET', '/runs?sandbox=nothing-here')).body, { items: [], count: 0 });
  });

  it('counts AEP requests per route since the start, whatever the request log keeps', async () => {
    assert.equal((await platform.admin('DELETE', '/request-counts')).status, 204);
    const sandbox = 'counted';
    for (let index = 0; index < 3; index += 1) await platform.flowService('GET', '/runs?limit=1', { sandbox });
    await platform.flowService('GET', '/runs/00000000-0000-0000-0000-000000000000', { sandbox });
    await platform.flowService('GET', '/flows?property=id==a,b', { sandbox });
    await platform.call('GET', '/data/foundation/catalog/dataSets', { sandbox });
    await platform.admin('DELETE', '/requests');
    await platform.admin('POST', '/faults', { path: '/flowservice/flows$', status: 503, times: 1 });
    await platform.flowService('GET', '/flows', { sandbox });
    await fetch(`${platform.url}${flowServicePath}/runs`);

    const counts = await platform.admin<Record<string, number>>('GET', '/request-counts');
    assert.deepEqual(counts.body, {
      'GET /data/foundation/catalog/dataSets': 1,
      'GET /flows': 2,
      'GET /runs': 4,
      'GET /runs/:id': 1,
    });
  });
});
