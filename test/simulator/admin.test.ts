import assert from 'node:assert/strict';
import type { RequestLogEntry } from '../../src/simulator/request-log';
import { TestPlatform, usePlatformWithToken } from './test-platform';

type LogEntry = RequestLogEntry;

describe('simulator admin API (/__sim)', () => {
  let platform: TestPlatform;
  let oneTrustToken: string;
  usePlatformWithToken((started) => ({ platform, oneTrustToken } = started));

  it('reports health without authentication', async () => {
    const health = await platform.admin('GET', '/health');
    assert.equal(health.status, 200);
    assert.equal(health.body.status, 'ok');
  });

  it('lists every resource of every kind with its sandbox, datasets with a record count, tokens masked', async () => {
    const pipeline = await platform.createPipeline({ sandbox: 'admin-a', accessToken: oneTrustToken });
    await platform.createBaseConnection(oneTrustToken, 'admin-b', 'other sandbox');

    type Resources = Record<
      string,
      Array<{ id: string; sandboxName: string; recordCount?: number; secretFingerprints?: Record<string, string> }>
    >;
    const all = await platform.admin<Resources>('GET', '/resources');
    for (const kind of [
      'connections',
      'sourceConnections',
      'targetConnections',
      'flows',
      'runs',
      'schemas',
      'dataSets',
      'mappingSets',
    ]) {
      assert.ok(Array.isArray(all.body[kind]), `kind ${kind} listed`);
    }
    assert.deepEqual([...new Set(all.body.connections!.map((connection) => connection.sandboxName))].sort(), [
      'admin-a',
      'admin-b',
    ]);
    assert.ok(!JSON.stringify(all.body).includes(oneTrustToken), 'the admin API never shows a token');
    const connection = all.body.connections!.find((candidate) => candidate.id === pipeline.baseConnectionId)!;
    assert.match(connection.secretFingerprints!.accessToken!, /^sha256:[0-9a-f]{16}$/);

    const onlyA = await platform.admin<Resources>('GET', '/resources?sandbox=admin-a');
    assert.ok(onlyA.body.connections!.every((candidate) => candidate.sandboxName === 'admin-a'));
    const dataset = onlyA.body.dataSets!.find((candidate) => candidate.id === pipeline.datasetId)!;
    assert.equal(dataset.recordCount, 0);
    assert.equal(onlyA.body.schemas!.length, 1);
  });

  it('logs requests without credentials, and clears the log', async () => {
    assert.equal((await platform.admin('DELETE', '/requests')).status, 204);
    await platform.flowService('GET', '/connections?limit=2', { sandbox: 'logged' });
    await platform.flowService('PATCH', '/connections/00000000-0000-0000-0000-000000000000', {
      sandbox: 'logged',
      body: [{ op: 'replace', path: '/name', value: 'x' }],
      headers: { 'if-match': '"some-etag"' },
    });
    const log = await platform.admin<{ items: LogEntry[] }>('GET', '/requests');
    assert.equal(log.body.items.length, 2, 'admin calls are not logged');
    const [list, patch] = log.body.items;
    assert.deepEqual(
      { method: list!.method, path: list!.path, query: list!.query, status: list!.status, sandbox: list!.sandbox },
      {
        method: 'GET',
        path: '/data/foundation/flowservice/connections',
        query: { limit: '2' },
        status: 200,
        sandbox: 'logged',
      },
    );
    assert.ok(!Number.isNaN(Date.parse(list!.time)));
    assert.equal(patch!.status, 404);
    assert.equal(patch!.ifMatch, '"some-etag"');
    assert.ok(!JSON.stringify(log.body).includes(platform.accessToken));
    await platform.admin('DELETE', '/requests');
    assert.deepEqual((await platform.admin<{ items: LogEntry[] }>('GET', '/requests')).body.items, []);
  });

  it('redacts secret-looking query parameters (IMS accepts its form fields in the query)', async () => {
    await platform.admin('DELETE', '/requests');
    await fetch(`${platform.url}/ims/token/v3?client_id=x&client_secret=hunter2`, { method: 'POST' });
    const log = await platform.admin<{ items: LogEntry[] }>('GET', '/requests');
    assert.deepEqual(log.body.items[0]!.query, { client_id: 'x', client_secret: '[redacted]' });
  });

  it('mints OneTrust tokens that OneTrust accepts, or refuses once expired', async () => {
    const minted = await platform.admin<{ access_token: string; expires_at: string }>('POST', '/onetrust/tokens', {
      expiresInSeconds: 120,
    });
    assert.equal(minted.status, 200);
    const expiresIn = Date.parse(minted.body.expires_at) - Date.now();
    assert.ok(expiresIn > 100_000 && expiresIn <= 120_000);
    const profiles = (token: string) =>
      fetch(`${platform.url}/api/consentmanager/v1/datasubjects/profiles?size=1`, {
        headers: { authorization: `Bearer ${token}` },
      });
    assert.equal((await profiles(minted.body.access_token)).status, 200);
    const expired = await platform.admin<{ access_token: string }>('POST', '/onetrust/tokens', {
      expiresInSeconds: -1,
    });
    assert.equal((await profiles(expired.body.access_token)).status, 401);
    assert.equal((await platform.admin('POST', '/onetrust/tokens', { expiresInSeconds: 'soon' })).status, 400);
  });

  it('mints OneTrust tokens of a year at most, as OneTrust issues them, and refuses a two-year one', async () => {
    const year = 365 * 24 * 3600;
    const yearLong = await platform.admin<{ expires_at: string }>('POST', '/onetrust/tokens', {
      expiresInSeconds: year,
    });
    assert.equal(yearLong.status, 200);
    const twoYears = await platform.admin<{ error: string }>('POST', '/onetrust/tokens', {
      expiresInSeconds: 2 * year,
    });
    assert.equal(twoYears.status, 400);
    assert.match(twoYears.body.error, /OneTrust issues tokens for at most a year/);
  });

  it('starts a run now for a flow, and answers 404 for unknown flows and datasets', async () => {
    const pipeline = await platform.createPipeline({ sandbox: 'admin-run', accessToken: oneTrustToken });
    const flowId = await platform.createFlow(pipeline, {
      startTime: String(Math.floor(Date.now() / 1000) + 3600),
      frequency: 'once',
    });
    const run = await platform.admin<{ id: string; flowId: string; sandboxName: string }>(
      'POST',
      `/flows/${flowId}/runs`,
    );
    assert.equal(run.status, 201);
    assert.equal(run.body.flowId, flowId);
    const listed = await platform.flowService<{ items: Array<{ id: string }> }>(
      'GET',
      `/runs?property=flowId==${flowId}`,
      {
        sandbox: 'admin-run',
      },
    );
    assert.deepEqual(
      listed.body.items.map((item) => item.id),
      [run.body.id],
    );
    assert.equal((await platform.admin('POST', '/flows/unknown/runs')).status, 404);
    assert.equal((await platform.admin('GET', '/datasets/unknown/records')).status, 404);
    const records = await platform.admin<{ count: number; items: unknown[] }>(
      'GET',
      `/datasets/${pipeline.datasetId}/records`,
    );
    assert.equal(records.status, 200);
    assert.equal(records.body.count, 0);
  });

  it('sets fields of a stored resource that AEP refuses to PATCH, and refuses to change what identifies it', async () => {
    const pipeline = await platform.createPipeline({ sandbox: 'admin-alter', accessToken: oneTrustToken });
    const before = await platform.flowService<{ items: Array<{ etag: string }> }>(
      'GET',
      `/sourceConnections/${pipeline.sourceConnectionId}`,
      { sandbox: 'admin-alter' },
    );
    const refused = await platform.flowService('PATCH', `/sourceConnections/${pipeline.sourceConnectionId}`, {
      sandbox: 'admin-alter',
      body: [{ op: 'replace', path: '/baseConnectionId', value: 'another-base' }],
      headers: { 'if-match': before.body.items[0]!.etag },
    });
    assert.equal(refused.status, 400, 'AEP itself refuses');

    const altered = await platform.admin<{ baseConnectionId: string }>(
      'PATCH',
      `/resources/sourceConnections/${pipeline.sourceConnectionId}`,
      { baseConnectionId: 'another-base' },
    );
    assert.equal(altered.status, 200);
    assert.equal(altered.body.baseConnectionId, 'another-base');
    const read = await platform.flowService<{ items: Array<{ baseConnectionId: string }> }>(
      'GET',
      `/sourceConnections/${pipeline.sourceConnectionId}`,
      { sandbox: 'admin-alter' },
    );
    assert.equal(read.body.items[0]!.baseConnectionId, 'another-base');

    const schema = await platform.admin<{ title?: string }>(
      'PATCH',
      `/resources/schemas/${encodeURIComponent(pipeline.schemaId)}`,
      { title: 'Renamed behind the API' },
    );
    assert.equal(schema.status, 200, 'a schema is found by its $id');
    assert.equal(schema.body.title, 'Renamed behind the API');

    const path = `/resources/sourceConnections/${pipeline.sourceConnectionId}`;
    assert.equal((await platform.admin('PATCH', path, { sandboxName: 'elsewhere' })).status, 400);
    assert.equal((await platform.admin('PATCH', path, ['not', 'fields'])).status, 400);
    assert.equal((await platform.admin('PATCH', '/resources/sourceConnections/unknown', { name: 'x' })).status, 404);
    assert.equal((await platform.admin('PATCH', '/resources/widgets/x', { name: 'x' })).status, 400);
  });
});
