import assert from 'node:assert/strict';
import { simulatorDefaults } from '../../src/simulator';
import { TestPlatform, type Json } from './test-platform';
import { catalogPath, consentFieldGroupBody, consentSchemaBody, datasetBody, schemaRegistryPath } from './xdm-bodies';

/**
 * Catalog documents no error body (its OpenAPI file declares `{}`, aep-contract.md §4) and no Adobe document
 * names a CATALOG-… code. The simulator answers with the problem shape Flow Service and Schema Registry document
 * (`type` …/aep/errors/<SERVICE>-<nnnn>-<status>, `title`, `status`, `report`; aep-contract.md §2–3) and codes
 * of its own choosing (CATALOG-1001/1002/1004, src/simulator/catalog.ts), so these tests check the status and
 * that shape, not the exact code.
 */
function assertProblem(body: Json, status: number): void {
  assert.match(String(body.type), new RegExp(`^https://ns\\.adobe\\.com/aep/errors/[A-Z]+-\\d{4}-${status}$`));
  assert.equal(body.status, status);
  assert.equal(typeof body.title, 'string');
  assert.equal(typeof (body.report as Json | undefined)?.['detailed-message'], 'string');
}

describe('simulator Catalog datasets', () => {
  let platform: TestPlatform;
  let schemaId: string;
  let counter = 0;
  const unique = (what: string) => `${what} ${(counter += 1)}`;

  async function createSchema(sandbox: string): Promise<string> {
    const fieldGroup = await platform.call<Json>('POST', `${schemaRegistryPath}/tenant/fieldgroups`, {
      body: consentFieldGroupBody(unique('Catalog test fields')),
      sandbox,
    });
    const schema = await platform.call<Json>('POST', `${schemaRegistryPath}/tenant/schemas`, {
      body: consentSchemaBody(unique('Catalog test schema'), [fieldGroup.body.$id as string]),
      sandbox,
    });
    assert.equal(schema.status, 201);
    return schema.body.$id as string;
  }

  const catalog = <T = Json>(
    method: string,
    path: string,
    options: { body?: unknown; sandbox?: string; headers?: Record<string, string> } = {},
  ) => platform.call<T>(method, `${catalogPath}${path}`, options);

  async function createDataset(name: string, sandbox = 'prod', schema = schemaId): Promise<string> {
    const response = await catalog<string[]>('POST', '/dataSets', { body: datasetBody(name, schema), sandbox });
    assert.equal(response.status, 201, JSON.stringify(response.body));
    return response.body[0]!.split('/').pop()!;
  }

  before(async () => {
    platform = await TestPlatform.start();
    schemaId = await createSchema('prod');
  });
  after(() => platform.close());

  it('creates a dataset: 201 ["@/dataSets/<24-hex id>"] with a Location header', async () => {
    const response = await catalog<string[]>('POST', '/dataSets', { body: datasetBody('Consent data', schemaId) });
    assert.equal(response.status, 201);
    assert.equal(response.body.length, 1);
    const id = /^@\/dataSets\/([0-9a-f]{24})$/.exec(response.body[0]!)?.[1];
    assert.ok(id, response.body[0]);
    assert.match(response.headers.get('location') ?? '', new RegExp(`/dataSets/${id}$`));
  });

  it('reads a dataset back as an object keyed by its id, in the documented shape', async () => {
    const id = await createDataset('Readable dataset');
    const response = await catalog<Record<string, Json>>('GET', `/dataSets/${id}`);
    assert.equal(response.status, 200);
    assert.deepEqual(Object.keys(response.body), [id]);
    const dataset = response.body[id]!;
    assert.equal(dataset.name, 'Readable dataset');
    assert.equal(dataset.state, 'DRAFT');
    assert.equal(dataset.version, '1.0.0');
    assert.equal(dataset.imsOrg, simulatorDefaults.orgId);
    assert.deepEqual(dataset.schemaRef, { id: schemaId, contentType: 'application/vnd.adobe.xed-full+json;version=1' });
    assert.equal(typeof dataset.created, 'number');
    assert.equal(dataset.created, dataset.updated);
    assert.match(dataset.viewId as string, /^[0-9a-f]{24}$/);
    assert.equal(dataset.files, `@/dataSets/${id}/views/${dataset.viewId as string}/files`);
    assert.deepEqual(dataset.tags, {});

    const trimmed = await catalog<Record<string, Json>>('GET', `/dataSets/${id}?properties=name,schemaRef`);
    assert.deepEqual(Object.keys(trimmed.body[id]!).sort(), ['name', 'schemaRef']);
  });

  it('refuses a dataset without a name or a schemaRef, or naming a schema the sandbox does not have', async () => {
    const noName = await catalog('POST', '/dataSets', { body: { schemaRef: datasetBody('x', schemaId).schemaRef } });
    assert.equal(noName.status, 400);
    assertProblem(noName.body, 400);
    assert.match(String(noName.body.detail), /'name'/);
    const noSchema = await catalog('POST', '/dataSets', { body: { name: 'no schema' } });
    assert.equal(noSchema.status, 400);
    const unknownSchema = await catalog('POST', '/dataSets', {
      body: datasetBody('unknown schema', `https://ns.adobe.com/simtenant/schemas/${'a'.repeat(48)}`),
    });
    assert.equal(unknownSchema.status, 400);
    assertProblem(unknownSchema.body, 400);
    assert.match(String(unknownSchema.body.detail), /schemaRef\.id/);
    const otherSandbox = await catalog('POST', '/dataSets', {
      body: datasetBody('elsewhere', schemaId),
      sandbox: 'dev',
    });
    assert.equal(otherSandbox.status, 400);
    const unversioned = await catalog('POST', '/dataSets', {
      body: { name: 'bad content type', schemaRef: { id: schemaId, contentType: 'application/json' } },
    });
    assert.equal(unversioned.status, 400);
  });

  it('allows two datasets with the same name; the name filter finds both and nothing else', async () => {
    const name = unique('Twin');
    const first = await createDataset(name);
    const second = await createDataset(name);
    await createDataset(`${name} but different`);
    const response = await catalog<Record<string, Json>>('GET', `/dataSets?name=${encodeURIComponent(name)}`);
    assert.equal(response.status, 200);
    assert.deepEqual(Object.keys(response.body).sort(), [first, second].sort());
  });

  it('pages lists with limit and start (oldest first by default) and refuses limits outside 1..100', async () => {
    const sandbox = 'paging-sandbox';
    const schema = await createSchema(sandbox);
    const ids: string[] = [];
    for (let index = 0; index < 5; index += 1) {
      ids.push(await createDataset(`page ${index}`, sandbox, schema));
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
    const first = await catalog<Record<string, Json>>('GET', '/dataSets?limit=2&start=0', { sandbox });
    const second = await catalog<Record<string, Json>>('GET', '/dataSets?limit=2&start=2', { sandbox });
    const third = await catalog<Record<string, Json>>('GET', '/dataSets?limit=2&start=4', { sandbox });
    assert.deepEqual([...Object.keys(first.body), ...Object.keys(second.body), ...Object.keys(third.body)], ids);
    const newestFirst = await catalog<Record<string, Json>>('GET', '/dataSets?orderBy=desc:created&limit=1', {
      sandbox,
    });
    assert.deepEqual(Object.keys(newestFirst.body), [ids[4]]);
    assert.equal((await catalog('GET', '/dataSets?limit=0', { sandbox })).status, 400);
    assert.equal((await catalog('GET', '/dataSets?limit=101', { sandbox })).status, 400);
    const defaultPage = await catalog<Record<string, Json>>('GET', '/dataSets', { sandbox });
    assert.equal(Object.keys(defaultPage.body).length, 5);
  });

  it('keeps sandboxes apart', async () => {
    const id = await createDataset('prod only');
    assert.equal((await catalog('GET', `/dataSets/${id}`, { sandbox: 'dev' })).status, 404);
    const devList = await catalog<Record<string, Json>>('GET', '/dataSets?name=prod%20only', { sandbox: 'dev' });
    assert.deepEqual(devList.body, {});
    assert.equal((await catalog('DELETE', `/dataSets/${id}`, { sandbox: 'dev' })).status, 404);
  });

  it('deletes with 200 ["@/dataSets/<id>"]; the dataset is then not found (404), also for a second delete', async () => {
    const id = await createDataset('short-lived');
    const deleted = await catalog<string[]>('DELETE', `/dataSets/${id}`);
    assert.equal(deleted.status, 200);
    assert.deepEqual(deleted.body, [`@/dataSets/${id}`]);
    const lookup = await catalog('GET', `/dataSets/${id}`);
    assert.equal(lookup.status, 404);
    assertProblem(lookup.body, 404);
    assert.equal((await catalog('DELETE', `/dataSets/${id}`)).status, 404);
  });

  it('updates with PATCH, by fields (application/json) or JSON Patch (application/json-patch+json): 200 ["@/dataSets/<id>"]', async () => {
    const id = await createDataset('renamed later');
    const byFields = await catalog<string[]>('PATCH', `/dataSets/${id}`, { body: { description: 'by fields' } });
    assert.equal(byFields.status, 200, JSON.stringify(byFields.body));
    assert.deepEqual(byFields.body, [`@/dataSets/${id}`]);
    const read = async () => (await catalog('GET', `/dataSets/${id}`)).body[id] as Json;
    assert.equal((await read()).description, 'by fields');
    assert.equal((await read()).name, 'renamed later', 'fields not given are unchanged');

    const byJsonPatch = await catalog<string[]>('PATCH', `/dataSets/${id}`, {
      body: [{ op: 'replace', path: '/description', value: 'by JSON Patch' }],
      headers: { 'content-type': 'application/json-patch+json' },
    });
    assert.equal(byJsonPatch.status, 200, JSON.stringify(byJsonPatch.body));
    assert.equal((await read()).description, 'by JSON Patch');
  });

  it('refuses a PATCH of an expandable or Catalog-owned field, a body in the other form, or an unknown dataset', async () => {
    const id = await createDataset('kept as it is');
    const refused = [
      await catalog('PATCH', `/dataSets/${id}`, { body: { schemaRef: { id: schemaId, contentType: 'x' } } }),
      await catalog('PATCH', `/dataSets/${id}`, { body: { created: 0 } }),
      await catalog('PATCH', `/dataSets/${id}`, { body: [{ op: 'replace', path: '/description', value: 'x' }] }),
    ];
    for (const response of refused) {
      assert.equal(response.status, 400, JSON.stringify(response.body));
      assertProblem(response.body, 400);
    }
    assert.equal(
      (await catalog('PATCH', '/dataSets/000000000000000000000000', { body: { description: 'x' } })).status,
      404,
    );
    const unchanged = (await catalog('GET', `/dataSets/${id}`)).body[id] as Json;
    assert.equal(unchanged.description, 'OneTrust consent dataset');
  });
});
