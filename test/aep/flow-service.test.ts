import assert from 'node:assert/strict';
import { AepError, isNotFound, type AepClient } from '../../src/aep';
import { connectionSpecIds, oneTrustFlowSpecId } from '../../src/simulator/defaults';
import { collect, freshSandbox, rejectionOf, SimulatorFixture, useSimulatorAndClient } from './simulator-fixture';
import {
  baseConnectionBody,
  datasetBody,
  fieldGroupBody,
  schemaBody,
  provisionOneTrustChain,
  sourceConnectionBody,
  targetConnectionBody,
} from './onetrust-resources';

describe('AEP client: Flow Service', () => {
  let fixture: SimulatorFixture;
  let client: AepClient;
  useSimulatorAndClient((started) => ({ fixture, client } = started));

  it('creates, reads, lists, patches and deletes a base connection', async () => {
    const { flowService } = client.forSandbox(freshSandbox('conn'));
    const created = await flowService.createConnection(baseConnectionBody('round trip base'));
    assert.match(created.id, /^[0-9a-f-]{36}$/);
    assert.ok(created.etag.length > 0);

    const read = await flowService.getConnection(created.id);
    assert.equal(read.id, created.id);
    assert.equal(read.name, 'round trip base');
    assert.equal(read.connectionSpec.id, connectionSpecIds.oneTrust);
    assert.equal(read.etag, created.etag);
    assert.notEqual(read.auth?.params?.accessToken, 'onetrust-token-for-tests', 'the secret must come back masked');

    const listed = await collect(flowService.listConnections({ property: ['name==round trip base'] }));
    assert.deepEqual(
      listed.map((connection) => connection.id),
      [created.id],
    );

    const patched = await flowService.patchConnection(
      created.id,
      [{ op: 'replace', path: '/description', value: 'patched by the client test' }],
      read.etag,
    );
    assert.equal(patched.id, created.id);
    assert.notEqual(patched.etag, created.etag, 'every update returns a new etag');
    assert.equal((await flowService.getConnection(created.id)).description, 'patched by the client test');

    await flowService.deleteConnection(created.id);
    const afterDelete = await rejectionOf(flowService.getConnection(created.id));
    assert.ok(isNotFound(afterDelete), `expected a 404, got ${String(afterDelete)}`);
  });

  it('sends the etag it is given as If-Match, and reports a stale one as 412 FLOW-1404', async () => {
    const sandboxName = freshSandbox('etag');
    const { flowService } = client.forSandbox(sandboxName);
    const created = await flowService.createConnection(baseConnectionBody('etag base'));
    const firstPatch = await flowService.patchConnection(
      created.id,
      [{ op: 'add', path: '/description', value: 'one' }],
      created.etag,
    );

    const patchRequests = (await fixture.requests()).filter(
      (entry) => entry.method === 'PATCH' && entry.sandbox === sandboxName,
    );
    assert.equal(patchRequests.at(-1)?.ifMatch, created.etag);

    const stale = await rejectionOf(
      flowService.patchConnection(created.id, [{ op: 'add', path: '/description', value: 'two' }], created.etag),
    );
    assert.ok(stale instanceof AepError);
    assert.equal(stale.status, 412);
    // FLOW-1404-412 "Version not matching": help/sources/errors/flow-service-errors.md (aep-contract.md §2).
    assert.equal(stale.code, 'FLOW-1404-412');
    assert.equal(stale.retryable, false);
    assert.equal(stale.method, 'PATCH');
    assert.equal(stale.path, `/data/foundation/flowservice/connections/${created.id}`);
    assert.ok(stale.requestId, 'the request id from the problem body is kept');
    assert.match(
      stale.message,
      /^PATCH \/data\/foundation\/flowservice\/connections\/\S+ failed: HTTP 412 FLOW-1404-412: /,
    );

    // The etag from the first patch is current, so it succeeds.
    await flowService.patchConnection(created.id, [{ op: 'add', path: '/description', value: 'two' }], firstPatch.etag);
  });

  it('walks every page of a list by following _links.next', async () => {
    const { flowService } = client.forSandbox(freshSandbox('paging'));
    const ids = new Set<string>();
    for (let index = 0; index < 7; index++) {
      ids.add((await flowService.createConnection(baseConnectionBody(`paged ${index}`))).id);
    }
    await fixture.clearRequests();

    const listed = await collect(flowService.listConnections({ limit: 3 }));
    assert.equal(listed.length, 7);
    assert.deepEqual(new Set(listed.map((connection) => connection.id)), ids);

    const listRequests = (await fixture.requests()).filter(
      (entry) => entry.method === 'GET' && entry.path === '/data/foundation/flowservice/connections',
    );
    assert.equal(listRequests.length, 3, 'three pages of at most 3');
    assert.equal(await flowService.countConnections(), 7);
    assert.equal(await flowService.countConnections(['name==paged 4']), 1);
  });

  it('provisions the tutorial chain, enables the flow, and refuses to delete a connection the flow uses (1418)', async () => {
    const sandbox = client.forSandbox(freshSandbox('chain'));
    const { flowService } = sandbox;
    const chain = await provisionOneTrustChain(sandbox, 'chain');

    const flow = await flowService.getFlow(chain.flowId);
    assert.equal(flow.flowSpec.id, oneTrustFlowSpecId);
    assert.deepEqual(flow.sourceConnectionIds, [chain.sourceConnectionId]);
    assert.deepEqual(flow.targetConnectionIds, [chain.targetConnectionId]);
    assert.equal(flow.scheduleParams?.frequency, 'minute');
    assert.equal(typeof flow.scheduleParams?.startTime, 'number', 'startTime is coerced to a number');
    assert.equal(flow.scheduleParams?.interval, 15);

    const source = await flowService.getSourceConnection(chain.sourceConnectionId);
    assert.equal(source.baseConnectionId, chain.baseConnectionId);
    const target = await flowService.getTargetConnection(chain.targetConnectionId);
    assert.equal(target.params?.dataSetId, chain.datasetId);

    // AEP enables a flow when it is created.
    assert.equal(flow.state, 'enabled');
    const disabled = await flowService.flowAction(chain.flowId, 'disable');
    assert.equal(disabled.id, chain.flowId);
    assert.equal((await flowService.getFlow(chain.flowId)).state, 'disabled');
    await flowService.flowAction(chain.flowId, 'enable');
    assert.equal((await flowService.getFlow(chain.flowId)).state, 'enabled');

    const inUse = await rejectionOf(flowService.deleteConnection(chain.baseConnectionId));
    assert.ok(inUse instanceof AepError);
    assert.equal(inUse.status, 400);
    // FLOW-1418-400: help/sources/errors/flow-service-errors.md (aep-contract.md §2).
    assert.equal(inUse.code, 'FLOW-1418-400');
    assert.equal(inUse.retryable, false);
    assert.match(inUse.message, /^DELETE \S+ failed: HTTP 400 FLOW-1418-400: \S/);

    const patchedFlow = await flowService.patchFlow(
      chain.flowId,
      [{ op: 'replace', path: '/name', value: 'chain flow renamed' }],
      (await flowService.getFlow(chain.flowId)).etag,
    );
    assert.equal((await flowService.getFlow(patchedFlow.id)).name, 'chain flow renamed');
    assert.deepEqual(
      (await collect(flowService.listFlows({ property: [`sourceConnectionIds[]==${chain.sourceConnectionId}`] }))).map(
        (listed) => listed.id,
      ),
      [chain.flowId],
    );

    // Teardown in the order AEP requires: flow first, then the connections.
    await flowService.deleteFlow(chain.flowId);
    await flowService.deleteSourceConnection(chain.sourceConnectionId);
    await flowService.deleteTargetConnection(chain.targetConnectionId);
    await flowService.deleteConnection(chain.baseConnectionId);
    assert.ok(isNotFound(await rejectionOf(flowService.getFlow(chain.flowId))));
    assert.ok(isNotFound(await rejectionOf(flowService.getSourceConnection(chain.sourceConnectionId))));
  });

  it('round-trips source and target connections with patch and list', async () => {
    const sandbox = client.forSandbox(freshSandbox('srctgt'));
    const { flowService } = sandbox;
    const fieldGroup = await sandbox.schemaRegistry.createFieldGroup(fieldGroupBody('st fields'));
    const schema = await sandbox.schemaRegistry.createSchema(schemaBody('st schema', fieldGroup.$id));
    const datasetId = await sandbox.catalog.createDataset(datasetBody('st dataset', schema.$id));
    const base = await flowService.createConnection(baseConnectionBody('st base'));
    const source = await flowService.createSourceConnection(sourceConnectionBody('st source', base.id));
    const patchedSource = await flowService.patchSourceConnection(
      source.id,
      [{ op: 'replace', path: '/name', value: 'st source renamed' }],
      source.etag,
    );
    assert.notEqual(patchedSource.etag, source.etag);
    assert.deepEqual(
      (await collect(flowService.listSourceConnections({ property: ['name==st source renamed'] }))).map((s) => s.id),
      [source.id],
    );

    const target = await flowService.createTargetConnection(targetConnectionBody('st target', datasetId));
    await flowService.patchTargetConnection(
      target.id,
      [{ op: 'add', path: '/description', value: 'patched target' }],
      target.etag,
    );
    assert.equal((await flowService.getTargetConnection(target.id)).description, 'patched target');
    assert.equal((await collect(flowService.listTargetConnections())).length, 1);
    await flowService.deleteTargetConnection(target.id);
    await flowService.deleteSourceConnection(source.id);
    assert.equal((await collect(flowService.listTargetConnections())).length, 0);
  });

  it('explores and tests a OneTrust connection and reads the connection and flow specs', async () => {
    const { flowService } = client.forSandbox(freshSandbox('explore'));
    const oneTrustToken = await fixture.mintOneTrustToken(3600);
    const base = await flowService.createConnection(baseConnectionBody('explore base', oneTrustToken.access_token));
    const preview = await flowService.exploreConnection(base.id, {
      objectType: 'rest',
      object: 'json',
      fileType: 'json',
      preview: true,
    });
    assert.equal(preview.format, 'hierarchical');
    assert.ok(Array.isArray(preview.data) && preview.data.length > 0);
    assert.ok(preview.schema && typeof preview.schema === 'object');

    const tested = await flowService.testConnection(base.id);
    assert.ok(tested && typeof tested === 'object');

    const connectionSpec = await flowService.getConnectionSpec(connectionSpecIds.oneTrust);
    assert.equal(connectionSpec.id, connectionSpecIds.oneTrust);
    assert.ok(connectionSpec.authSpec && connectionSpec.authSpec.length > 0);
    const flowSpec = await flowService.getFlowSpec(oneTrustFlowSpecId);
    assert.equal(flowSpec.id, oneTrustFlowSpecId);
    assert.ok(flowSpec.sourceConnectionSpecIds?.includes(connectionSpecIds.oneTrust));
  });

  it('reports an unknown id as a non-retryable 404 AepError', async () => {
    const { flowService } = client.forSandbox(freshSandbox('missing'));
    const missing = await rejectionOf(flowService.getFlow('00000000-0000-0000-0000-000000000000'));
    assert.ok(missing instanceof AepError);
    assert.equal(missing.status, 404);
    // The guide lists more than one not-found code (1101-404; 1439, returned as FLOW-1439-404 in labels.md), so
    // only the documented FLOW-<code>-404 form is checked.
    assert.match(missing.code ?? '', /^FLOW-\d+-404$/);
    assert.equal(missing.retryable, false);
    assert.ok(isNotFound(missing));
    assert.equal(isNotFound(new Error('not an AepError')), false);
  });

  it('keeps sandboxes apart', async () => {
    const left = client.forSandbox(freshSandbox('left'));
    const right = client.forSandbox(freshSandbox('right'));
    const created = await left.flowService.createConnection(baseConnectionBody('isolated'));
    assert.ok(isNotFound(await rejectionOf(right.flowService.getConnection(created.id))));
    assert.equal((await collect(right.flowService.listConnections())).length, 0);
  });

  it('lists runs of a flow, filtered by flow id and start time', async () => {
    const sandbox = client.forSandbox(freshSandbox('runs'));
    const chain = await provisionOneTrustChain(sandbox, 'runs');
    const startedBefore = Date.now() - 60_000;
    await fixture.triggerRun(chain.flowId);

    const runs = await collect(sandbox.flowService.listRuns({ flowId: chain.flowId, startedAfterMs: startedBefore }));
    assert.equal(runs.length, 1);
    const run = runs[0]!;
    assert.equal(run.flowId, chain.flowId);
    assert.equal(typeof run.metrics.statusSummary.status, 'string');
    assert.deepEqual(await sandbox.flowService.getRun(run.id).then((read) => read.id), run.id);
    assert.equal((await collect(sandbox.flowService.listRuns({ flowId: 'no-such-flow' }))).length, 0);
    assert.equal(
      (await collect(sandbox.flowService.listRuns({ flowId: chain.flowId, startedAfterMs: Date.now() + 60_000 })))
        .length,
      0,
    );
  });
});
