import assert from 'node:assert/strict';
import { flowBody, nowInSeconds, targetConnectionBody, TestPlatform, type Json, type Pipeline } from './test-platform';

interface FlowItem {
  id: string;
  state: string;
  etag: string;
  scheduleParams: Record<string, string>;
  transformations: Json[];
  inheritedAttributes: { sourceConnections: Array<{ baseConnection: { id: string } }> };
  lastOperation: { operation: string };
  runs: string;
}

// Every FLOW-<code>-<status> asserted here is in Adobe's Flow Service errors guide,
// help/sources/errors/flow-service-errors.md (aep-contract.md §2 "Flow Service error body"): 1100-400, 1410-400,
// 1412-400, 1419-400, 1422-400, 1425-400. FLOW-1439-404 is the not-found body of
// help/sources/tutorials/api/labels.md (the guide lists 1439 as -400).
// The simulator also uses the guide's generic 1100-400 "Invalid request" for refusals the guide has no code for.
describe('simulator Flow Service: flows', () => {
  let platform: TestPlatform;
  let pipeline: Pipeline;
  const sandbox = 'flows';
  before(async () => {
    platform = await TestPlatform.start();
    pipeline = await platform.createPipeline({ sandbox, accessToken: await platform.mintOneTrustToken(3600) });
  });
  after(() => platform.close());

  const createFlow = (body: Json) => platform.flowService('POST', '/flows', { body, sandbox });
  const readFlow = async (id: string) =>
    (await platform.flowService<{ items: FlowItem[] }>('GET', `/flows/${id}`, { sandbox })).body.items[0]!;
  const inAnHour = () => String(nowInSeconds() + 3600);
  const errorType = (body: unknown) => (body as Json).type;

  it('creates an enabled flow and reads schedule numbers back as strings, as AEP returns them', async () => {
    const startTime = nowInSeconds() + 3600;
    const created = await createFlow(flowBody(pipeline, { startTime, frequency: 'minute', interval: 15 }));
    assert.equal(created.status, 201);
    assert.ok(created.headers.get('location')?.endsWith(`/flows/${String(created.body.id)}`));
    const flow = await readFlow(String(created.body.id));
    assert.equal(flow.state, 'enabled');
    assert.deepEqual(flow.scheduleParams, { startTime: String(startTime), frequency: 'minute', interval: '15' });
    assert.equal(flow.inheritedAttributes.sourceConnections[0]!.baseConnection.id, pipeline.baseConnectionId);
    assert.equal(flow.runs, `/runs?property=flowId==${flow.id}`);
    assert.equal(flow.lastOperation.operation, 'create');
  });

  it('refuses `state` in the create body (1410)', async () => {
    const response = await createFlow({
      ...flowBody(pipeline, { startTime: inAnHour(), frequency: 'once' }),
      state: 'enabled',
    });
    assert.equal(response.status, 400);
    assert.equal(errorType(response.body), 'https://ns.adobe.com/aep/errors/FLOW-1410-400');
  });

  describe('schedule validation', () => {
    const scheduleRefusal = async (scheduleParams: Json | undefined) => {
      const response = await createFlow({ ...flowBody(pipeline, {}), scheduleParams });
      assert.equal(response.status, 400, `expected 400 for ${JSON.stringify(scheduleParams)}`);
      assert.equal(errorType(response.body), 'https://ns.adobe.com/aep/errors/FLOW-1100-400');
      return String(response.body.errorMessage);
    };
    const scheduleAccepted = async (scheduleParams: Json) => {
      const response = await createFlow(flowBody(pipeline, scheduleParams));
      assert.equal(
        response.status,
        201,
        `expected 201 for ${JSON.stringify(scheduleParams)}: ${JSON.stringify(response.body)}`,
      );
    };

    it('accepts every frequency with an interval of at least 15, as numbers or numeric strings', async () => {
      for (const frequency of ['minute', 'hour', 'day', 'week']) {
        await scheduleAccepted({ startTime: inAnHour(), frequency, interval: 15 });
      }
      await scheduleAccepted({ startTime: nowInSeconds() + 60, frequency: 'hour', interval: '24' });
      await scheduleAccepted({ startTime: inAnHour(), frequency: 'once' });
    });

    it('refuses an interval below 15 for every frequency except once', async () => {
      for (const frequency of ['minute', 'hour', 'day', 'week']) {
        assert.match(await scheduleRefusal({ startTime: inAnHour(), frequency, interval: 14 }), /interval/);
      }
      assert.match(await scheduleRefusal({ startTime: inAnHour(), frequency: 'minute' }), /interval/);
      assert.match(await scheduleRefusal({ startTime: inAnHour(), frequency: 'hour', interval: '15.5' }), /integer/);
    });

    it('refuses unknown frequencies, missing or past start times, and start times in milliseconds', async () => {
      assert.match(await scheduleRefusal({ startTime: inAnHour(), frequency: 'month', interval: 15 }), /frequency/);
      assert.match(await scheduleRefusal({ startTime: inAnHour(), frequency: 'Minute', interval: 15 }), /frequency/);
      assert.match(await scheduleRefusal({ frequency: 'minute', interval: 15 }), /startTime/);
      assert.match(
        await scheduleRefusal({ startTime: nowInSeconds() - 120, frequency: 'minute', interval: 15 }),
        /past/,
      );
      assert.match(await scheduleRefusal({ startTime: Date.now() + 60_000, frequency: 'once' }), /milliseconds/);
      assert.match(await scheduleRefusal(undefined), /scheduleParams/);
    });

    it('forgives a few seconds of clock skew on startTime', async () => {
      await scheduleAccepted({ startTime: nowInSeconds() - 2, frequency: 'once' });
    });
  });

  describe('mapping checks', () => {
    it('refuses a mapping whose schema is not the target dataset schema (1425)', async () => {
      const tenant = platform.simulator.context.settings.tenantId;
      const otherSchema = await platform.createOneTrustSchema(sandbox, 'other', tenant);
      const otherDataset = await platform.createDataset(sandbox, 'other', otherSchema);
      const otherTarget = await platform.create('/targetConnections', targetConnectionBody(otherDataset), sandbox);
      const response = await createFlow(
        flowBody({ ...pipeline, targetConnectionId: otherTarget }, { startTime: inAnHour(), frequency: 'once' }),
      );
      assert.equal(response.status, 400);
      assert.equal(errorType(response.body), 'https://ns.adobe.com/aep/errors/FLOW-1425-400');
    });

    it('refuses a mapping set that does not exist (1419) and a version that does not (1412)', async () => {
      const missing = await createFlow(
        flowBody(
          { ...pipeline, mappingId: '0123456789abcdef0123456789abcdef' },
          { startTime: inAnHour(), frequency: 'once' },
        ),
      );
      assert.equal(errorType(missing.body), 'https://ns.adobe.com/aep/errors/FLOW-1419-400');
      const body = flowBody(pipeline, { startTime: inAnHour(), frequency: 'once' });
      body.transformations = [{ name: 'Mapping', params: { mappingId: pipeline.mappingId, mappingVersion: 7 } }];
      const wrongVersion = await createFlow(body);
      assert.equal(errorType(wrongVersion.body), 'https://ns.adobe.com/aep/errors/FLOW-1412-400');
    });

    it('refuses connections that do not exist in the sandbox', async () => {
      const response = await platform.flowService('POST', '/flows', {
        body: flowBody(pipeline, { startTime: inAnHour(), frequency: 'once' }),
        sandbox: 'another-sandbox',
      });
      assert.equal(response.status, 400);
      assert.match(String(response.body.errorMessage), /does not exist in sandbox another-sandbox/);
    });
  });

  describe('actions and updates', () => {
    let flowId: string;
    beforeEach(async () => {
      const created = await createFlow(flowBody(pipeline, { startTime: inAnHour(), frequency: 'hour', interval: 15 }));
      flowId = String(created.body.id);
    });

    it('disables and enables with op= in any letter case, each time with a new etag', async () => {
      const before = await readFlow(flowId);
      const disabled = await platform.flowService<{ id: string; etag: string }>(
        'POST',
        `/flows/${flowId}/action?op=disable`,
        {
          sandbox,
        },
      );
      assert.equal(disabled.status, 200);
      assert.equal(disabled.body.id, flowId);
      assert.notEqual(disabled.body.etag, before.etag);
      assert.equal((await readFlow(flowId)).state, 'disabled');
      const enabled = await platform.flowService<{ etag: string }>('POST', `/flows/${flowId}/action?op=ENABLE`, {
        sandbox,
      });
      assert.equal(enabled.status, 200);
      assert.notEqual(enabled.body.etag, disabled.body.etag);
      assert.equal((await readFlow(flowId)).state, 'enabled');
    });

    it('refuses an action the current state does not allow (1422) and unknown operations', async () => {
      const again = await platform.flowService('POST', `/flows/${flowId}/action?op=enable`, { sandbox });
      assert.equal(again.status, 400);
      assert.equal(errorType(again.body), 'https://ns.adobe.com/aep/errors/FLOW-1422-400');
      const unknown = await platform.flowService('POST', `/flows/${flowId}/action?op=explode`, { sandbox });
      assert.equal(unknown.status, 400);
    });

    it('patches the schedule (revalidated) and the mapping, with If-Match', async () => {
      const { etag } = await readFlow(flowId);
      const tooShort = await platform.flowService('PATCH', `/flows/${flowId}`, {
        sandbox,
        body: [{ op: 'replace', path: '/scheduleParams/interval', value: 5 }],
        headers: { 'if-match': etag },
      });
      assert.equal(tooShort.status, 400);
      const patched = await platform.flowService<{ etag: string }>('PATCH', `/flows/${flowId}`, {
        sandbox,
        body: [
          { op: 'replace', path: '/scheduleParams/frequency', value: 'day' },
          { op: 'replace', path: '/scheduleParams/interval', value: 30 },
          {
            op: 'replace',
            path: '/transformations/0',
            value: { name: 'Mapping', params: { mappingId: pipeline.mappingId, mappingVersion: 0 } },
          },
        ],
        headers: { 'if-match': etag },
      });
      assert.equal(patched.status, 200);
      const flow = await readFlow(flowId);
      assert.deepEqual(flow.scheduleParams, { ...flow.scheduleParams, frequency: 'day', interval: '30' });
      assert.equal(flow.lastOperation.operation, 'update');
      const stateChange = await platform.flowService('PATCH', `/flows/${flowId}`, {
        sandbox,
        body: [{ op: 'replace', path: '/state', value: 'disabled' }],
        headers: { 'if-match': patched.body.etag },
      });
      assert.equal(stateChange.status, 400);
    });

    it('deletes a flow with 204; it is then not found (FLOW-1439-404)', async () => {
      assert.equal((await platform.flowService('DELETE', `/flows/${flowId}`, { sandbox })).status, 204);
      const read = await platform.flowService('GET', `/flows/${flowId}`, { sandbox });
      assert.equal(read.status, 404);
      assert.equal(errorType(read.body), 'https://ns.adobe.com/aep/errors/FLOW-1439-404');
    });
  });

  it('lists flows by source connection with the [] array filter', async () => {
    const list = await platform.flowService<{ items: FlowItem[] }>(
      'GET',
      `/flows?property=sourceConnectionIds[]==${pipeline.sourceConnectionId}&property=state==enabled&limit=1000`,
      { sandbox },
    );
    assert.ok(list.body.items.length > 0);
    const none = await platform.flowService<{ items: FlowItem[] }>(
      'GET',
      `/flows?property=sourceConnectionIds==${pipeline.sourceConnectionId}`,
      { sandbox },
    );
    assert.equal(none.body.items.length, 0, 'an array is only searched with []');
  });

  it('lists flows by a list of ids, each once, only from the caller’s sandbox, newest first', async () => {
    const schedule = { startTime: inAnHour(), frequency: 'minute', interval: 15 };
    const first = await platform.create('/flows', flowBody(pipeline, schedule, 'listed one'), sandbox);
    const second = await platform.create('/flows', flowBody(pipeline, schedule, 'listed two'), sandbox);
    const ids = [first, second, first, '00000000-0000-0000-0000-000000000000'];
    const list = await platform.flowService<{ items: FlowItem[] }>('GET', `/flows?property=id==${ids.join(',')}`, {
      sandbox,
    });
    const everything = await platform.flowService<{ items: FlowItem[] }>('GET', '/flows?limit=1000', { sandbox });
    assert.deepEqual(
      list.body.items.map((flow) => flow.id),
      everything.body.items.map((flow) => flow.id).filter((id) => id === first || id === second),
    );
    assert.equal(list.body.items.length, 2);
    const elsewhere = await platform.flowService<{ items: FlowItem[] }>('GET', `/flows?property=id==${first}`, {
      sandbox: 'flows-elsewhere',
    });
    assert.deepEqual(elsewhere.body.items, []);
  });
});
