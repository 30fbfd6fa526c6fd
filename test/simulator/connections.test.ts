import assert from 'node:assert/strict';
import { connectionSpecIds } from '../../src/simulator';
import { baseConnectionBody, nowInSeconds, TestPlatform, usePlatformWithToken, type Json } from './test-platform';

interface ConnectionItem {
  id: string;
  name: string;
  description: string;
  etag: string;
  version: string;
  sandboxName: string;
  createdAt: number;
  connectionSpec: { id: string; version: string };
  auth: { specName: string; params: Record<string, string> };
}
interface ListBody {
  items: ConnectionItem[];
  _links: { next?: { href: string } };
  count: number;
}

// Every FLOW-<code>-<status> asserted here is in Adobe's Flow Service errors guide,
// help/sources/errors/flow-service-errors.md (aep-contract.md §2 "Flow Service error body"): 1100-400, 1401-400,
// 1403-400, 1404-412, 1413-400, 1414-400, 1415-400, 1418-400, 1434-400, 1447-400, 1453-400, 1455-400.
// FLOW-1439-404 is the not-found body of help/sources/tutorials/api/labels.md (the guide lists 1439 as -400).
// The simulator also uses the guide's generic 1100-400 "Invalid request" for refusals the guide has no code for.
describe('simulator Flow Service: base connections', () => {
  let platform: TestPlatform;
  let oneTrustToken: string;
  usePlatformWithToken((started) => ({ platform, oneTrustToken } = started));

  it('creates a connection: 201 {id, etag} with a Location, then reads it back wrapped in items', async () => {
    const created = await platform.flowService<{ id: string; etag: string }>('POST', '/connections', {
      body: baseConnectionBody(oneTrustToken, 'read-back'),
    });
    assert.equal(created.status, 201);
    assert.deepEqual(Object.keys(created.body).sort(), ['etag', 'id']);
    assert.match(created.body.etag, /^"[0-9a-f-]+"$/);
    assert.equal(created.headers.get('location'), `/data/foundation/flowservice/connections/${created.body.id}`);

    const read = await platform.flowService<{ items: ConnectionItem[] }>('GET', `/connections/${created.body.id}`);
    assert.equal(read.status, 200);
    assert.equal(read.body.items.length, 1);
    const [connection] = read.body.items;
    assert.equal(connection!.name, 'read-back');
    assert.equal(connection!.etag, created.body.etag);
    assert.equal(connection!.version, connection!.etag);
    assert.equal(connection!.sandboxName, 'prod');
    assert.equal(connection!.auth.specName, 'OAuth2 Refresh Code');
  });

  it('never returns the stored access token, in a read or in a list', async () => {
    const id = await platform.createBaseConnection(oneTrustToken, 'prod', 'masked');
    const read = await platform.flowService<{ items: ConnectionItem[] }>('GET', `/connections/${id}`);
    assert.equal(read.body.items[0]!.auth.params.accessToken, '********');
    const list = await platform.flowService<ListBody>('GET', `/connections?property=id==${id}`);
    assert.equal(list.body.items[0]!.auth.params.accessToken, '********');
    assert.ok(!JSON.stringify(list.body).includes(oneTrustToken));
    const probe = await platform.flowService<ListBody>(
      'GET',
      `/connections?property=auth.params.accessToken==${oneTrustToken}`,
    );
    assert.equal(probe.body.items.length, 0, 'a filter cannot be used to guess a stored token');
  });

  it('refuses an auth spec the connection spec does not define (1415) and a missing token', async () => {
    const wrongSpec = await platform.flowService('POST', '/connections', {
      body: { ...baseConnectionBody(oneTrustToken), auth: { specName: 'Basic Authentication', params: {} } },
    });
    assert.equal(wrongSpec.status, 400);
    assert.equal(wrongSpec.body.type, 'https://ns.adobe.com/aep/errors/FLOW-1415-400');
    const noToken = await platform.flowService('POST', '/connections', {
      body: { ...baseConnectionBody(oneTrustToken), auth: { specName: 'OAuth2 Refresh Code', params: {} } },
    });
    assert.equal(noToken.status, 400);
    const unknownSpec = await platform.flowService('POST', '/connections', {
      body: { ...baseConnectionBody(oneTrustToken), connectionSpec: { id: 'no-such-spec', version: '1.0' } },
    });
    assert.equal(unknownSpec.body.type, 'https://ns.adobe.com/aep/errors/FLOW-1413-400');
  });

  it('answers 404 FLOW-1439 for an id that does not exist', async () => {
    const response = await platform.flowService('GET', '/connections/00000000-0000-0000-0000-000000000000');
    assert.equal(response.status, 404);
    assert.equal(response.body.type, 'https://ns.adobe.com/aep/errors/FLOW-1439-404');
  });

  describe('lists', () => {
    const sandbox = 'paging';
    const names = Array.from({ length: 7 }, (_, index) => `paged-${index}`);
    before(async () => {
      for (const name of names) await platform.createBaseConnection(oneTrustToken, sandbox, name);
    });

    it('pages with limit and continuation links until _links is empty', async () => {
      const seen: string[] = [];
      let path: string | undefined = '/connections?limit=3&orderby=name';
      let pages = 0;
      while (path) {
        const page: { body: ListBody } = await platform.flowService<ListBody>('GET', path, { sandbox });
        pages += 1;
        assert.ok(page.body.items.length <= 3);
        assert.equal(page.body.count, page.body.items.length);
        seen.push(...page.body.items.map((item) => item.name));
        path = page.body._links.next?.href;
        if (path) assert.match(path, /^\/connections\?continuationToken=/);
      }
      assert.equal(pages, 3);
      assert.deepEqual(seen, names);
    });

    it('keeps paging consistent while resources are created between pages', async () => {
      const first = await platform.flowService<ListBody>('GET', '/connections?limit=4&orderby=name', { sandbox });
      await platform.createBaseConnection(oneTrustToken, sandbox, 'paged-00-inserted-before-the-cursor');
      const second = await platform.flowService<ListBody>('GET', first.body._links.next!.href, { sandbox });
      assert.deepEqual(
        [...first.body.items, ...second.body.items].map((item) => item.name),
        ['paged-0', 'paged-1', 'paged-2', 'paged-3', 'paged-4', 'paged-5', 'paged-6'],
      );
      assert.deepEqual(second.body._links, {});
    });

    it('filters with ==, != and comma OR lists, ANDs repeated filters, and orders descending', async () => {
      const either = await platform.flowService<ListBody>(
        'GET',
        '/connections?property=name==paged-1,paged-2&orderby=-name',
        {
          sandbox,
        },
      );
      assert.deepEqual(
        either.body.items.map((item) => item.name),
        ['paged-2', 'paged-1'],
      );
      const anded = await platform.flowService<ListBody>(
        'GET',
        `/connections?property=name==paged-1,paged-2&property=name!=paged-2&property=connectionSpec.id==${connectionSpecIds.oneTrust}`,
        { sandbox },
      );
      assert.deepEqual(
        anded.body.items.map((item) => item.name),
        ['paged-1'],
      );
    });

    it('filters on time with >, <, >= and <=', async () => {
      const all = await platform.flowService<ListBody>('GET', '/connections?orderby=createdAt', { sandbox });
      const middle = all.body.items[3]!.createdAt;
      const after = await platform.flowService<ListBody>('GET', `/connections?property=createdAt>${middle}`, {
        sandbox,
      });
      assert.ok(after.body.items.every((item) => item.createdAt > middle));
      const atOrBefore = await platform.flowService<ListBody>('GET', `/connections?property=createdAt<=${middle}`, {
        sandbox,
      });
      assert.ok(atOrBefore.body.items.every((item) => item.createdAt <= middle));
      assert.equal(after.body.items.length + atOrBefore.body.items.length, all.body.items.length);
      const never = await platform.flowService<ListBody>(
        'GET',
        `/connections?property=createdAt<${nowInSeconds() - 3600}`,
        {
          sandbox,
        },
      );
      assert.equal(never.body.items.length, 0);
    });

    it('counts with count=true, and refuses count with limit (1401)', async () => {
      const counted = await platform.flowService('GET', '/connections?property=name!=paged-0&count=true', { sandbox });
      assert.deepEqual(counted.body, { count: 7 });
      const both = await platform.flowService('GET', '/connections?count=true&limit=2', { sandbox });
      assert.equal(both.status, 400);
      assert.equal(both.body.type, 'https://ns.adobe.com/aep/errors/FLOW-1401-400');
    });

    it('refuses a malformed filter', async () => {
      const response = await platform.flowService('GET', '/connections?property=name', { sandbox });
      assert.equal(response.status, 400);
      assert.equal(response.body.type, 'https://ns.adobe.com/aep/errors/FLOW-1453-400');
    });
  });

  it('keeps sandboxes apart: a resource of one sandbox cannot be read, listed, patched or deleted from another', async () => {
    const id = await platform.createBaseConnection(oneTrustToken, 'isolated-a', 'isolated');
    const read = await platform.flowService('GET', `/connections/${id}`, { sandbox: 'isolated-b' });
    assert.equal(read.status, 404);
    const list = await platform.flowService<ListBody>('GET', '/connections', { sandbox: 'isolated-b' });
    assert.equal(list.body.items.length, 0);
    const patch = await platform.flowService('PATCH', `/connections/${id}`, {
      sandbox: 'isolated-b',
      body: [{ op: 'replace', path: '/name', value: 'stolen' }],
      headers: { 'if-match': '"anything"' },
    });
    assert.equal(patch.status, 404);
    const remove = await platform.flowService('DELETE', `/connections/${id}`, { sandbox: 'isolated-b' });
    assert.equal(remove.status, 404);
    const stillThere = await platform.flowService('GET', `/connections/${id}`, { sandbox: 'isolated-a' });
    assert.equal(stillThere.status, 200);
  });

  describe('PATCH', () => {
    let id: string;
    let etag: string;
    beforeEach(async () => {
      id = await platform.createBaseConnection(oneTrustToken, 'prod', 'to-patch');
      etag = (await platform.flowService<{ items: ConnectionItem[] }>('GET', `/connections/${id}`)).body.items[0]!.etag;
    });

    const patch = (operations: unknown, ifMatch?: string) =>
      platform.flowService<{ id: string; etag: string }>('PATCH', `/connections/${id}`, {
        body: operations,
        headers: ifMatch === undefined ? {} : { 'if-match': ifMatch },
      });

    it('needs If-Match (400 FLOW-1403)', async () => {
      const response = await patch([{ op: 'replace', path: '/name', value: 'renamed' }]);
      assert.equal(response.status, 400);
      assert.equal((response.body as unknown as Json).type, 'https://ns.adobe.com/aep/errors/FLOW-1403-400');
    });

    it('refuses a stale etag (412 FLOW-1404) and changes nothing', async () => {
      const first = await patch([{ op: 'replace', path: '/name', value: 'first' }], etag);
      assert.equal(first.status, 200);
      const stale = await patch([{ op: 'replace', path: '/name', value: 'second' }], etag);
      assert.equal(stale.status, 412);
      assert.equal((stale.body as unknown as Json).type, 'https://ns.adobe.com/aep/errors/FLOW-1404-412');
      const read = await platform.flowService<{ items: ConnectionItem[] }>('GET', `/connections/${id}`);
      assert.equal(read.body.items[0]!.name, 'first');
    });

    it('applies add/replace with a new etag each time, equal to version, and accepts an unquoted etag', async () => {
      const first = await patch(
        [
          { op: 'replace', path: '/name', value: 'renamed' },
          { op: 'add', path: '/description', value: 'described' },
        ],
        etag,
      );
      assert.equal(first.status, 200);
      assert.equal(first.body.id, id);
      assert.notEqual(first.body.etag, etag);
      const second = await patch(
        [{ op: 'REPLACE', path: '/description', value: 'again' }],
        first.body.etag.slice(1, -1),
      );
      assert.equal(second.status, 200);
      assert.notEqual(second.body.etag, first.body.etag);
      const read = await platform.flowService<{ items: ConnectionItem[] }>('GET', `/connections/${id}`);
      const connection = read.body.items[0]!;
      assert.equal(connection.name, 'renamed');
      assert.equal(connection.description, 'again');
      assert.equal(connection.etag, second.body.etag);
      assert.equal(connection.version, second.body.etag);
    });

    it('rotates the stored token with replace /auth/params, as the OneTrust tutorial describes', async () => {
      const expired = await platform.mintOneTrustToken(-60);
      const replaced = await patch([{ op: 'replace', path: '/auth/params', value: { accessToken: expired } }], etag);
      assert.equal(replaced.status, 200);
      const test = await platform.flowService('GET', `/connections/${id}/test`);
      assert.deepEqual(test.body, { result: false });
    });

    it('refuses read-only fields, the connection spec (1414), unsupported ops (1434) and missing paths (1455)', async () => {
      const readOnly = await patch([{ op: 'replace', path: '/id', value: 'x' }], etag);
      assert.equal((readOnly.body as unknown as Json).type, 'https://ns.adobe.com/aep/errors/FLOW-1455-400');
      const spec = await patch([{ op: 'replace', path: '/connectionSpec/id', value: 'x' }], etag);
      assert.equal((spec.body as unknown as Json).type, 'https://ns.adobe.com/aep/errors/FLOW-1414-400');
      const move = await patch([{ op: 'move', from: '/name', path: '/description' }], etag);
      assert.equal((move.body as unknown as Json).type, 'https://ns.adobe.com/aep/errors/FLOW-1434-400');
      const missing = await patch([{ op: 'replace', path: '/nothing/here', value: 1 }], etag);
      assert.equal((missing.body as unknown as Json).type, 'https://ns.adobe.com/aep/errors/FLOW-1455-400');
      const notArray = await patch({ op: 'replace', path: '/name', value: 'x' }, etag);
      assert.equal(notArray.status, 400);
    });
  });

  it('deletes with 204, after which the id is not found', async () => {
    const id = await platform.createBaseConnection(oneTrustToken, 'prod', 'to-delete');
    const removed = await platform.flowService('DELETE', `/connections/${id}`);
    assert.equal(removed.status, 204);
    assert.equal(removed.body, undefined);
    assert.equal((await platform.flowService('GET', `/connections/${id}`)).status, 404);
    assert.equal((await platform.flowService('DELETE', `/connections/${id}`)).status, 404);
  });

  it('refuses to delete a base connection a flow uses (400 FLOW-1418) until the flow is deleted', async () => {
    const pipeline = await platform.createPipeline({ accessToken: oneTrustToken, sandbox: 'in-use' });
    const flowId = await platform.createFlow(pipeline, { frequency: 'once', startTime: String(nowInSeconds() + 3600) });
    const refused = await platform.flowService('DELETE', `/connections/${pipeline.baseConnectionId}`, {
      sandbox: 'in-use',
    });
    assert.equal(refused.status, 400);
    assert.equal(refused.body.type, 'https://ns.adobe.com/aep/errors/FLOW-1418-400');
    const sourceRefused = await platform.flowService('DELETE', `/sourceConnections/${pipeline.sourceConnectionId}`, {
      sandbox: 'in-use',
    });
    assert.equal(sourceRefused.body.type, 'https://ns.adobe.com/aep/errors/FLOW-1447-400');

    assert.equal((await platform.flowService('DELETE', `/flows/${flowId}`, { sandbox: 'in-use' })).status, 204);
    assert.equal(
      (await platform.flowService('DELETE', `/sourceConnections/${pipeline.sourceConnectionId}`, { sandbox: 'in-use' }))
        .status,
      204,
    );
    assert.equal(
      (await platform.flowService('DELETE', `/connections/${pipeline.baseConnectionId}`, { sandbox: 'in-use' })).status,
      204,
    );
  });

  describe('explore and test', () => {
    it('returns the OneTrust preview for a connection whose token OneTrust accepts', async () => {
      const id = await platform.createBaseConnection(oneTrustToken, 'prod', 'explorable');
      const response = await platform.flowService<{ format: string; schema: Json; data: Json[] }>(
        'GET',
        `/connections/${id}/explore?objectType=rest&object=json&fileType=json&preview=true`,
      );
      assert.equal(response.status, 200);
      assert.equal(response.body.format, 'hierarchical');
      assert.equal(response.body.schema.type, 'object');
      assert.ok(response.body.data.length > 0);
      assert.ok('content' in response.body.data[0]!);
      const test = await platform.flowService('GET', `/connections/${id}/test`);
      assert.deepEqual(test.body, { result: true });
    });

    it('fails the explore with a Flow Service 400 when the stored token has expired or is unknown', async () => {
      const expired = await platform.createBaseConnection(await platform.mintOneTrustToken(-1), 'prod', 'expired');
      const response = await platform.flowService(
        'GET',
        `/connections/${expired}/explore?objectType=rest&preview=true`,
      );
      assert.equal(response.status, 400);
      assert.equal(response.body.type, 'https://ns.adobe.com/aep/errors/FLOW-1100-400');
      assert.match(String(response.body.errorMessage), /expired/);
      assert.ok(!('data' in response.body));

      const unknown = await platform.createBaseConnection('never-issued-by-onetrust', 'prod', 'unknown');
      const refused = await platform.flowService('GET', `/connections/${unknown}/explore?objectType=rest`);
      assert.equal(refused.status, 400);
      assert.match(String(refused.body.errorMessage), /not valid/);
    });
  });

  it('serves the OneTrust and Data Lake connection specs, and the flow spec', async () => {
    const oneTrust = await platform.flowService<{ items: Json[] }>(
      'GET',
      `/connectionSpecs/${connectionSpecIds.oneTrust}`,
    );
    assert.equal(oneTrust.status, 200);
    const authSpec = (oneTrust.body.items[0]!.authSpec as Array<{ name: string; spec: { required: string[] } }>)[0]!;
    assert.equal(authSpec.name, 'OAuth2 Refresh Code');
    assert.deepEqual(authSpec.spec.required, ['accessToken']);
    const dataLake = await platform.flowService<{ items: Json[] }>(
      'GET',
      `/connectionSpecs/${connectionSpecIds.dataLake}`,
    );
    assert.equal(dataLake.body.items[0]!.id, connectionSpecIds.dataLake);
    const flowSpec = await platform.flowService<{ items: Json[] }>(
      'GET',
      '/flowSpecs/6499120c-0b15-42dc-936e-847ea3c24d72',
    );
    assert.deepEqual(flowSpec.body.items[0]!.targetConnectionSpecIds, [connectionSpecIds.dataLake]);
    const unknown = await platform.flowService('GET', '/connectionSpecs/unknown');
    assert.equal(unknown.status, 404);
  });
});
