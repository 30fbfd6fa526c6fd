import assert from 'node:assert/strict';
import { runErrorCodes } from '../../src/simulator/run-execution';
import { eventually, flowBody, nowInSeconds, TestPlatform, type Json, type Pipeline } from './test-platform';

interface Run {
  id: string;
  flowId: string;
  sandboxName: string;
  metrics: {
    durationSummary: { startedAtUTC: number; completedAtUTC?: number };
    sizeSummary: { inputBytes: number; outputBytes: number };
    recordSummary: { inputRecordCount: number; outputRecordCount: number; failedRecordCount: number };
    statusSummary: { status: string; errors: Array<{ code: string; message: string; recordCount?: number }> };
  };
  activities: Array<{ id: string; durationSummary: { extensions?: { windowStart: number; windowEnd: number } } }>;
}
interface RunList {
  items: Run[];
  _links: { next?: { href: string } };
}

/** One simulated hour per wall-clock second: a 15-minute schedule fires every 250 ms. */
const timeScale = 3600;

/**
 * Run error codes have the documented <SOURCE>-<nnnn>-<status> form (CONNECTOR-1001-500 in
 * help/sources/notifications.md, MAPPER-3700-400 in monitor.md; aep-contract.md §2 Runs). Adobe documents no code
 * for a source that refuses its credentials: the simulator's CONNECTOR-1001-401 is its own choice
 * (src/simulator/run-execution.ts), so the test checks the form and the simulator's named code, not a literal.
 */
function assertSourceAuthenticationError(error: { code: string }): void {
  assert.match(error.code, /^CONNECTOR-\d{4}-\d{3}$/);
  assert.equal(error.code, runErrorCodes.sourceAuthentication);
}

describe('simulator runs', () => {
  let platform: TestPlatform;
  before(async () => {
    platform = await TestPlatform.start({ timeScale });
  });
  after(() => platform.close());

  const runsOf = async (sandbox: string, flowId: string) =>
    (
      await platform.flowService<RunList>(
        'GET',
        `/runs?property=flowId==${flowId}&orderby=metrics.durationSummary.startedAtUTC`,
        { sandbox },
      )
    ).body.items;
  const completedRuns = async (sandbox: string, flowId: string, atLeast: number) =>
    eventually(
      async () => {
        const runs = (await runsOf(sandbox, flowId)).filter((run) => run.metrics.statusSummary.status !== 'inProgress');
        return runs.length >= atLeast ? runs : undefined;
      },
      15_000,
      `${atLeast} completed run(s) of flow ${flowId}`,
    );
  const recordCount = async (sandbox: string, datasetId: string) => {
    const resources = await platform.admin<{ dataSets: Array<{ id: string; recordCount: number }> }>(
      'GET',
      `/resources?sandbox=${sandbox}`,
    );
    return resources.body.dataSets.find((dataset) => dataset.id === datasetId)!.recordCount;
  };
  const readFlow = async (sandbox: string, flowId: string) =>
    (await platform.flowService<{ items: Json[] }>('GET', `/flows/${flowId}`, { sandbox })).body.items[0]!;

  describe('a scheduled flow with a valid token', () => {
    const sandbox = 'scheduled';
    let pipeline: Pipeline;
    let flowId: string;
    before(async () => {
      pipeline = await platform.createPipeline({ sandbox, accessToken: await platform.mintOneTrustToken(86_400) });
      flowId = await platform.createFlow(pipeline, { startTime: nowInSeconds(), frequency: 'minute', interval: 15 });
    });

    it('ingests every OneTrust profile in its first run, mapped into the dataset, with metrics', async () => {
      const [first] = await completedRuns(sandbox, flowId, 1);
      const subjects = platform.simulator.context.settings.oneTrustSubjects;
      assert.equal(first!.metrics.statusSummary.status, 'success');
      assert.deepEqual(first!.metrics.statusSummary.errors, []);
      assert.deepEqual(first!.metrics.recordSummary, {
        inputRecordCount: subjects,
        outputRecordCount: subjects,
        failedRecordCount: 0,
      });
      assert.ok(first!.metrics.sizeSummary.inputBytes > first!.metrics.sizeSummary.outputBytes);
      assert.ok(first!.metrics.durationSummary.completedAtUTC! >= first!.metrics.durationSummary.startedAtUTC);
      assert.deepEqual(
        first!.activities.map((activity) => activity.id),
        ['copyActivity', 'promotionActivity'],
      );
      assert.ok((await recordCount(sandbox, pipeline.datasetId)) >= subjects);

      const tenant = `_${platform.simulator.context.settings.tenantId}`;
      const records = await platform.admin<{ items: Array<Record<string, Json>> }>(
        'GET',
        `/datasets/${pipeline.datasetId}/records?limit=1`,
      );
      assert.equal(typeof records.body.items[0]![tenant]!.Identifier, 'string');
      assert.ok(Array.isArray(records.body.items[0]![tenant]!.Purposes));
    });

    it('runs again on schedule, reading only what changed since the previous window', async () => {
      const runs = await completedRuns(sandbox, flowId, 2);
      const [first, second] = runs;
      const firstWindow = first!.activities[0]!.durationSummary.extensions!;
      const secondWindow = second!.activities[0]!.durationSummary.extensions!;
      assert.equal(secondWindow.windowStart, firstWindow.windowEnd);
      assert.ok(second!.metrics.recordSummary.inputRecordCount < first!.metrics.recordSummary.inputRecordCount);
      const flow = await readFlow(sandbox, flowId);
      assert.equal((flow.lastRunDetails as { state: string }).state, 'success');
    });

    it('lists runs filtered by start time, and reads one run by id', async () => {
      const runs = await completedRuns(sandbox, flowId, 2);
      const cut = runs[0]!.metrics.durationSummary.startedAtUTC;
      const later = await platform.flowService<RunList>(
        'GET',
        `/runs?property=flowId==${flowId}&property=metrics.durationSummary.startedAtUTC>${cut}`,
        { sandbox },
      );
      assert.ok(later.body.items.length >= 1);
      assert.ok(later.body.items.every((run) => run.metrics.durationSummary.startedAtUTC > cut));
      assert.ok(!later.body.items.some((run) => run.id === runs[0]!.id));
      const succeeded = await platform.flowService<RunList>(
        'GET',
        `/runs?property=flowId==${flowId}&property=state==SUCCESS`,
        {
          sandbox,
        },
      );
      assert.ok(succeeded.body.items.length >= 2);
      const byId = await platform.flowService<{ items: Run[] }>('GET', `/runs/${runs[0]!.id}`, { sandbox });
      assert.equal(byId.status, 200);
      assert.equal(byId.body.items[0]!.flowId, flowId);
      const elsewhere = await platform.flowService('GET', `/runs/${runs[0]!.id}`, { sandbox: 'prod' });
      assert.equal(elsewhere.status, 404);
    });

    it('stops running once the flow is disabled', async () => {
      const disabled = await platform.flowService('POST', `/flows/${flowId}/action?op=disable`, { sandbox });
      assert.equal(disabled.status, 200);
      await new Promise((resolve) => setTimeout(resolve, 100));
      const before = (await runsOf(sandbox, flowId)).length;
      await new Promise((resolve) => setTimeout(resolve, 800));
      assert.equal((await runsOf(sandbox, flowId)).length, before);
    });
  });

  it('fails a run whose base connection holds an expired token, with an auth error and nothing ingested', async () => {
    const sandbox = 'expired';
    const pipeline = await platform.createPipeline({ sandbox, accessToken: await platform.mintOneTrustToken(-60) });
    const flowId = await platform.createFlow(pipeline, { startTime: nowInSeconds(), frequency: 'once' });
    const [run] = await completedRuns(sandbox, flowId, 1);
    assert.equal(run!.metrics.statusSummary.status, 'failed');
    assertSourceAuthenticationError(run!.metrics.statusSummary.errors[0]!);
    assert.match(run!.metrics.statusSummary.errors[0]!.message, /expired/);
    assert.deepEqual(run!.metrics.recordSummary, { inputRecordCount: 0, outputRecordCount: 0, failedRecordCount: 0 });
    assert.equal(await recordCount(sandbox, pipeline.datasetId), 0);
    assert.equal(((await readFlow(sandbox, flowId)).lastRunDetails as Json).state, 'failed');

    // Rotating the token, as the dataflow monitor would, lets the next run read everything the failed one missed.
    const { etag } = (
      await platform.flowService<{ items: Array<{ etag: string }> }>(
        'GET',
        `/connections/${pipeline.baseConnectionId}`,
        { sandbox },
      )
    ).body.items[0]!;
    const rotated = await platform.flowService('PATCH', `/connections/${pipeline.baseConnectionId}`, {
      sandbox,
      body: [{ op: 'replace', path: '/auth/params', value: { accessToken: await platform.mintOneTrustToken(3600) } }],
      headers: { 'if-match': etag },
    });
    assert.equal(rotated.status, 200);
    const started = await platform.admin<Run>('POST', `/flows/${flowId}/runs`);
    assert.equal(started.status, 201);
    assert.equal(started.body.metrics.statusSummary.status, 'inProgress');
    const runs = await completedRuns(sandbox, flowId, 2);
    const retried = runs.find((candidate) => candidate.id === started.body.id)!;
    assert.equal(retried.metrics.statusSummary.status, 'success');
    assert.equal(retried.metrics.recordSummary.inputRecordCount, platform.simulator.context.settings.oneTrustSubjects);
  });

  it('fails a run with an unknown token the same way', async () => {
    const sandbox = 'unknown-token';
    const pipeline = await platform.createPipeline({ sandbox, accessToken: 'never-issued-by-onetrust' });
    const flowId = await platform.createFlow(pipeline, { startTime: nowInSeconds(), frequency: 'once' });
    const [run] = await completedRuns(sandbox, flowId, 1);
    assert.equal(run!.metrics.statusSummary.status, 'failed');
    assertSourceAuthenticationError(run!.metrics.statusSummary.errors[0]!);
  });

  it('counts records the mapping cannot convert as failed, with MAPPER-3700-400', async () => {
    const sandbox = 'mapping-errors';
    const tenant = platform.simulator.context.settings.tenantId;
    const pipeline = await platform.createPipeline({ sandbox, accessToken: await platform.mintOneTrustToken(3600) });
    // A schema whose Identifier is an integer: OneTrust identifiers (e-mail addresses) cannot convert.
    const fieldGroup = await platform.call<{ $id: string }>(
      'POST',
      '/data/foundation/schemaregistry/tenant/fieldgroups',
      {
        sandbox,
        body: {
          type: 'object',
          title: 'numeric identifier',
          description: 'A deliberately wrong type.',
          'meta:intendedToExtend': ['https://ns.adobe.com/xdm/context/profile'],
          definitions: {
            wrong: {
              properties: { [`_${tenant}`]: { type: 'object', properties: { Identifier: { type: 'integer' } } } },
            },
          },
          allOf: [{ $ref: '#/definitions/wrong' }],
        },
      },
    );
    const schema = await platform.call<{ $id: string }>('POST', '/data/foundation/schemaregistry/tenant/schemas', {
      sandbox,
      body: {
        type: 'object',
        title: 'numeric identifier schema',
        description: 'A deliberately wrong type.',
        allOf: [{ $ref: 'https://ns.adobe.com/xdm/context/profile' }, { $ref: fieldGroup.body.$id }],
      },
    });
    const datasetId = await platform.createDataset(sandbox, 'numeric', schema.body.$id);
    const targetConnectionId = await platform.create(
      '/targetConnections',
      {
        name: 't',
        connectionSpec: { id: 'c604ff05-7f1a-43c0-8e18-33bf874cb11c', version: '1.0' },
        params: { dataSetId: datasetId },
      },
      sandbox,
    );
    const mapping = await platform.call<{ id: string }>('POST', '/data/foundation/conversion/mappingSets', {
      sandbox,
      body: {
        outputSchema: {
          schemaRef: { id: schema.body.$id, contentType: 'application/vnd.adobe.xed-full+json;version=1' },
        },
        mappings: [{ sourceType: 'ATTRIBUTE', source: 'content.Identifier', destination: `_${tenant}.Identifier` }],
      },
    });
    assert.equal(mapping.status, 200);
    const flow = await platform.flowService<{ id: string }>('POST', '/flows', {
      sandbox,
      body: flowBody(
        { ...pipeline, datasetId, targetConnectionId, mappingId: mapping.body.id },
        { startTime: nowInSeconds(), frequency: 'once' },
      ),
    });
    assert.equal(flow.status, 201);
    const [run] = await completedRuns(sandbox, flow.body.id, 1);
    const subjects = platform.simulator.context.settings.oneTrustSubjects;
    assert.equal(run!.metrics.statusSummary.status, 'failed');
    assert.deepEqual(run!.metrics.recordSummary, {
      inputRecordCount: subjects,
      outputRecordCount: 0,
      failedRecordCount: subjects,
    });
    // MAPPER-3700-400 "Mapper Transform Error": help/sources/tutorials/api/monitor.md (aep-contract.md §2 Runs).
    assert.equal(run!.metrics.statusSummary.errors[0]!.code, 'MAPPER-3700-400');
    assert.equal(run!.metrics.statusSummary.errors[0]!.recordCount, subjects);
    assert.equal(await recordCount(sandbox, datasetId), 0);
  });

  it('skips history in the first run when backfill is false', async () => {
    const sandbox = 'no-backfill';
    const pipeline = await platform.createPipeline({ sandbox, accessToken: await platform.mintOneTrustToken(3600) });
    const flowId = await platform.createFlow(pipeline, {
      startTime: nowInSeconds(),
      frequency: 'once',
      backfill: false,
    });
    const [run] = await completedRuns(sandbox, flowId, 1);
    assert.equal(run!.metrics.statusSummary.status, 'success');
    assert.ok(run!.metrics.recordSummary.inputRecordCount < platform.simulator.context.settings.oneTrustSubjects);
    assert.equal(
      run!.activities[0]!.durationSummary.extensions!.windowStart % 1000,
      0,
      'the window starts at startTime',
    );
  });

  it('reschedules a flow when its schedule is patched', async () => {
    const sandbox = 'rescheduled';
    const pipeline = await platform.createPipeline({ sandbox, accessToken: await platform.mintOneTrustToken(3600) });
    // Every 15 days: after the first run, the next one is 6 wall-clock minutes away at this time scale.
    const flowId = await platform.createFlow(pipeline, { startTime: nowInSeconds(), frequency: 'day', interval: 15 });
    await completedRuns(sandbox, flowId, 1);
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal((await runsOf(sandbox, flowId)).length, 1);
    const { etag } = (
      await platform.flowService<{ items: Array<{ etag: string }> }>('GET', `/flows/${flowId}`, { sandbox })
    ).body.items[0]!;
    const patched = await platform.flowService('PATCH', `/flows/${flowId}`, {
      sandbox,
      body: [{ op: 'replace', path: '/scheduleParams/frequency', value: 'minute' }],
      headers: { 'if-match': etag },
    });
    assert.equal(patched.status, 200);
    await completedRuns(sandbox, flowId, 2);
  });
});
