import assert from 'node:assert/strict';
import { baseConnectionBody, TestPlatform, usePlatformWithToken, type Json } from './test-platform';

describe('simulator fault rules', () => {
  let platform: TestPlatform;
  let oneTrustToken: string;
  usePlatformWithToken((started) => ({ platform, oneTrustToken } = started));
  afterEach(async () => {
    assert.equal((await platform.admin('DELETE', '/faults')).status, 204);
  });

  const addFault = async (rule: Json) => {
    const added = await platform.admin<{ id: string }>('POST', '/faults', rule);
    assert.equal(added.status, 201, JSON.stringify(added.body));
    return added.body.id;
  };
  const listConnections = () => platform.flowService('GET', '/connections');

  it('answers a status with the API documented body shape when no body is given', async () => {
    await addFault({ path: '/flowservice/connections', status: 503 });
    const flow = await listConnections();
    assert.equal(flow.status, 503);
    // FLOW-1103-503 "Service Unavailable": help/sources/errors/flow-service-errors.md (aep-contract.md §2).
    assert.equal(flow.body.type, 'https://ns.adobe.com/aep/errors/FLOW-1103-503');

    await addFault({ path: '/catalog/', status: 500 });
    const catalog = await platform.call('GET', '/data/foundation/catalog/dataSets');
    assert.equal(catalog.status, 500);
    assert.equal(catalog.body.status, 500);

    await addFault({ path: '^/ims/', status: 500 });
    const ims = await fetch(`${platform.url}/ims/token/v3`, { method: 'POST' });
    assert.equal(ims.status, 500);
    assert.equal(((await ims.json()) as Json).error, 'server_error');
  });

  it('acts before the gateway: a call without credentials still gets the fault', async () => {
    await addFault({ path: '/flowservice/connections', status: 502 });
    const response = await platform.flowService('GET', '/connections', { headers: { authorization: undefined } });
    assert.equal(response.status, 502);
  });

  it('answers 429 with the given body and a Retry-After header', async () => {
    await addFault({ path: '/flowservice/connections', status: 429, retryAfter: 7, body: { message: 'slow down' } });
    const response = await listConnections();
    assert.equal(response.status, 429);
    assert.equal(response.headers.get('retry-after'), '7');
    assert.deepEqual(response.body, { message: 'slow down' });
  });

  it('fires `times` times and is then removed', async () => {
    await addFault({ path: '/flowservice/connections', status: 500, times: 2 });
    assert.equal((await listConnections()).status, 500);
    assert.equal((await listConnections()).status, 500);
    assert.equal((await listConnections()).status, 200);
    assert.deepEqual((await platform.admin<{ items: unknown[] }>('GET', '/faults')).body.items, []);
  });

  it('never fires with probability 0 and always with probability 1', async () => {
    await addFault({ path: '/flowservice/connections', status: 500, probability: 0 });
    for (let attempt = 0; attempt < 5; attempt += 1) assert.equal((await listConnections()).status, 200);
    await platform.admin('DELETE', '/faults');
    await addFault({ path: '/flowservice/connections', status: 500, probability: 1 });
    for (let attempt = 0; attempt < 5; attempt += 1) assert.equal((await listConnections()).status, 500);
  });

  it('matches the method when one is given, and the query string as part of the path', async () => {
    await addFault({ method: 'post', path: '/flowservice/connections$', status: 500 });
    assert.equal((await listConnections()).status, 200);
    assert.equal(
      (await platform.flowService('POST', '/connections', { body: baseConnectionBody(oneTrustToken) })).status,
      500,
    );
    await platform.admin('DELETE', '/faults');
    await addFault({ path: 'limit=3', status: 504 });
    assert.equal((await platform.flowService('GET', '/connections?limit=3')).status, 504);
    assert.equal((await platform.flowService('GET', '/connections?limit=4')).status, 200);
  });

  it('delays a request by delayMs and then answers it normally', async () => {
    await addFault({ path: '/flowservice/connections', delayMs: 300, times: 1 });
    const started = Date.now();
    const response = await listConnections();
    assert.equal(response.status, 200);
    assert.ok(Date.now() - started >= 290, `answered after ${Date.now() - started} ms`);
  });

  it('delays and then answers the status when both are given', async () => {
    await addFault({ path: '/flowservice/connections', delayMs: 200, status: 503, times: 1 });
    const started = Date.now();
    assert.equal((await listConnections()).status, 503);
    assert.ok(Date.now() - started >= 190);
  });

  it('dropAfterCommit performs the request, then closes the socket: the client sees an error, the resource exists', async () => {
    await addFault({ method: 'POST', path: '/flowservice/connections$', dropAfterCommit: true, times: 1 });
    const name = `committed-${Date.now()}`;
    await assert.rejects(() =>
      platform.flowService('POST', '/connections', { body: baseConnectionBody(oneTrustToken, name) }),
    );
    const found = await platform.flowService<{ items: unknown[] }>('GET', `/connections?property=name==${name}`);
    assert.equal(found.body.items.length, 1);
    const log = await platform.admin<{ items: Array<{ method: string; status: number; dropped?: boolean }> }>(
      'GET',
      '/requests',
    );
    const dropped = log.body.items.filter((entry) => entry.dropped);
    assert.equal(dropped.length, 1);
    assert.equal(dropped[0]!.status, 201);
  });

  it('applies to OneTrust too', async () => {
    await addFault({ path: '^/api/consentmanager/', status: 429, retryAfter: '3' });
    const response = await fetch(`${platform.url}/api/consentmanager/v1/datasubjects/profiles`, {
      headers: { authorization: `Bearer ${oneTrustToken}` },
    });
    assert.equal(response.status, 429);
    assert.equal(response.headers.get('retry-after'), '3');
  });

  it('never applies to the admin API, and refuses invalid rules', async () => {
    await addFault({ path: '.*', status: 500 });
    assert.equal((await platform.admin('GET', '/health')).status, 200);
    assert.equal((await listConnections()).status, 500);
    const invalidPattern = await platform.admin('POST', '/faults', { path: '(' });
    assert.equal(invalidPattern.status, 400);
    const unknownField = await platform.admin('POST', '/faults', { path: 'x', explode: true });
    assert.equal(unknownField.status, 400);
  });

  it('removes one rule by id', async () => {
    const id = await addFault({ path: '/flowservice/connections', status: 500 });
    assert.equal((await platform.admin('DELETE', `/faults/${id}`)).status, 204);
    assert.equal((await listConnections()).status, 200);
  });
});
