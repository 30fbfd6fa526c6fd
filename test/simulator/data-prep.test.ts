import assert from 'node:assert/strict';
import type { OneTrustProfile } from '../../src/simulator/context';
import { TestPlatform, type Json } from './test-platform';
import {
  consentFieldGroupBody,
  consentSchemaBody,
  dataPrepPath,
  schemaRegistryPath,
  seedMappingBody,
  tenantNamespace,
} from './xdm-bodies';

const attribute = (source: string, destination: string) => ({ sourceType: 'ATTRIBUTE', source, destination });

/**
 * Data Prep documents no error body or code for a refused or unknown mapping set (aep-contract.md §5: validation
 * of destinations is [UNCONFIRMED]), and no Adobe document names the MAPPER-2201/2202/2203 or DATAPREP-1004 codes
 * the simulator uses (src/simulator/data-prep.ts): they are its own choice. So these tests check the status and
 * the problem shape Flow Service and Schema Registry document (`type` …/aep/errors/<SERVICE>-<nnnn>-<status>,
 * `title`, `status`, `report`; aep-contract.md §2–3), and tell refusals apart by their detail.
 */
function assertProblem(body: Json, status: number): void {
  assert.match(String(body.type), new RegExp(`^https://ns\\.adobe\\.com/aep/errors/[A-Z]+-\\d{4}-${status}$`));
  assert.equal(body.status, status);
  assert.equal(typeof body.title, 'string');
  assert.equal(typeof (body.report as Json | undefined)?.['detailed-message'], 'string');
}

describe('simulator Data Prep mapping sets', () => {
  let platform: TestPlatform;
  let schemaId: string;
  let counter = 0;
  const unique = (what: string) => `${what} ${(counter += 1)}`;

  async function createSchema(sandbox = 'prod'): Promise<string> {
    const fieldGroup = await platform.call<Json>('POST', `${schemaRegistryPath}/tenant/fieldgroups`, {
      body: consentFieldGroupBody(unique('Data Prep fields')),
      sandbox,
    });
    const schema = await platform.call<Json>('POST', `${schemaRegistryPath}/tenant/schemas`, {
      body: consentSchemaBody(unique('Data Prep schema'), [fieldGroup.body.$id as string]),
      sandbox,
    });
    assert.equal(schema.status, 201);
    return schema.body.$id as string;
  }

  const dataPrep = <T = Json>(method: string, path: string, options: { body?: unknown; sandbox?: string } = {}) =>
    platform.call<T>(method, `${dataPrepPath}${path}`, options);

  const currentBody = (mappings: unknown[], extra: Json = {}) => ({
    outputSchema: { schemaRef: { id: schemaId, contentType: 'application/vnd.adobe.xed-full+json;version=1' } },
    mappings,
    ...extra,
  });

  async function createMappingSet(body: unknown, sandbox = 'prod'): Promise<string> {
    const response = await dataPrep('POST', '/mappingSets', { body, sandbox });
    assert.equal(response.status, 200, JSON.stringify(response.body));
    return response.body.id as string;
  }

  before(async () => {
    platform = await TestPlatform.start();
    schemaId = await createSchema();
  });
  after(() => platform.close());

  it("accepts the seed's legacy body: 200 with a 32-hex id at version 0", async () => {
    const response = await dataPrep('POST', '/mappingSets', { body: seedMappingBody(schemaId) });
    assert.equal(response.status, 200);
    assert.match(response.body.id as string, /^[0-9a-f]{32}$/);
    assert.equal(response.body.version, 0);
    assert.equal(typeof response.body.createdDate, 'number');
    assert.equal(response.body.createdDate, response.body.modifiedDate);
    assert.equal(typeof response.body.createdBy, 'string');
    assert.equal(typeof response.body.modifiedBy, 'string');
  });

  it('accepts the tutorial short schema reference tenant/schemas/<hash> in the legacy body', async () => {
    const shortReference = schemaId.replace('https://ns.adobe.com/', '');
    const id = await createMappingSet({ ...seedMappingBody(schemaId), xdmSchema: shortReference });
    const stored = await dataPrep('GET', `/mappingSets/${id}`);
    assert.equal(stored.body.xdmSchema, schemaId);
  });

  it('accepts the current outputSchema body and reads the set back in the documented shape', async () => {
    const id = await createMappingSet(
      currentBody([attribute('content.Identifier', '_id')], { name: 'consent mapping' }),
    );
    const response = await dataPrep('GET', `/mappingSets/${id}`);
    assert.equal(response.status, 200);
    assert.equal(response.body.id, id);
    assert.equal(response.body.version, 0);
    assert.equal(response.body.name, 'consent mapping');
    assert.equal(response.body.xdmSchema, schemaId);
    assert.deepEqual(response.body.schemaRef, {
      id: schemaId,
      contentType: 'application/vnd.adobe.xed-full+json;version=1',
    });
    assert.deepEqual((response.body.outputSchema as Json).schemaRef, response.body.schemaRef);
    assert.equal(response.body.status, 'PUBLISHED');
    const [mapping] = response.body.mappings as Json[];
    assert.equal(mapping!.sourceType, 'text/x.schema-path');
    assert.equal(mapping!.source, 'content.Identifier');
    assert.equal(mapping!.destination, '_id');
    assert.equal(mapping!.destinationXdmPath, '_id');
  });

  it('refuses a destination that is not a field of the schema, naming it', async () => {
    const response = await dataPrep('POST', '/mappingSets', {
      body: currentBody([
        attribute('content.Identifier', '_id'),
        attribute('content.Identifier', `${tenantNamespace}.EmailAddress`),
        attribute('content.Language', 'Language'),
      ]),
    });
    assert.equal(response.status, 400);
    assertProblem(response.body, 400);
    assert.match(String(response.body.detail), /'_simtenant\.EmailAddress'/);
    assert.match(String(response.body.detail), /'Language'/);
  });

  it('accepts a field below an array only with an index', async () => {
    const unindexed = await dataPrep('POST', '/mappingSets', {
      body: currentBody([attribute('content.Purposes[0].Name', `${tenantNamespace}.Purposes.Name`)]),
    });
    assert.equal(unindexed.status, 400);
    assert.match(String(unindexed.body.detail), /is an array/);
    await createMappingSet(currentBody([attribute('content.Purposes[0].Name', `${tenantNamespace}.Purposes[0].Name`)]));
  });

  it('refuses a schema the sandbox does not have, and two mappings to one destination', async () => {
    const otherSandbox = await dataPrep('POST', '/mappingSets', { body: seedMappingBody(schemaId), sandbox: 'dev' });
    assert.equal(otherSandbox.status, 400);
    const twice = await dataPrep('POST', '/mappingSets', {
      body: currentBody([attribute('content.Identifier', '_id'), attribute('content.Id', '_id')]),
    });
    assert.equal(twice.status, 400);
    assertProblem(twice.body, 400);
    assert.match(String(twice.body.detail), /'_id' is mapped more than once/);
  });

  it('refuses an expression it cannot evaluate', async () => {
    const response = await dataPrep('POST', '/mappingSets', {
      body: currentBody([{ sourceType: 'EXPRESSION', source: 'md5(content.Identifier)', destination: '_id' }]),
    });
    assert.equal(response.status, 400);
    assertProblem(response.body, 400);
    assert.match(String(response.body.detail), /md5/);
  });

  it('versions on PUT: 0 → 1, the previous version stays readable with ?version=', async () => {
    const id = await createMappingSet(seedMappingBody(schemaId));
    const put = await dataPrep('PUT', `/mappingSets/${id}`, {
      body: currentBody([attribute('content.Identifier', '_id')]),
    });
    assert.equal(put.status, 200);
    assert.equal(put.body.version, 1);
    assert.equal((put.body.mappings as unknown[]).length, 1);

    const latest = await dataPrep('GET', `/mappingSets/${id}`);
    assert.equal(latest.body.version, 1);
    const original = await dataPrep('GET', `/mappingSets/${id}?version=0`);
    assert.equal(original.body.version, 0);
    assert.equal((original.body.mappings as unknown[]).length, 7);
    assert.equal((await dataPrep('GET', `/mappingSets/${id}?version=2`)).status, 404);
    assert.equal(original.body.createdDate, put.body.createdDate);
  });

  it('lists with limit and start (both required) and filters by name', async () => {
    const name = unique('named set');
    const id = await createMappingSet(currentBody([attribute('content.Identifier', '_id')], { name }));
    const named = await dataPrep<{ data: Json[]; _page: Json }>(
      'GET',
      `/mappingSets?limit=10&start=0&name=${encodeURIComponent(name)}`,
    );
    assert.equal(named.status, 200);
    assert.deepEqual(
      named.body.data.map((set) => set.id),
      [id],
    );
    assert.deepEqual(named.body._page, { count: 1, limit: 10 });
    const page = await dataPrep<{ data: Json[] }>('GET', '/mappingSets?limit=2&start=0');
    assert.equal(page.body.data.length, 2);
    assert.equal(page.body.data[0]!.id, id, 'newest change first');
    assert.equal((await dataPrep('GET', '/mappingSets')).status, 400);
    const otherSandbox = await dataPrep<{ data: Json[] }>('GET', '/mappingSets?limit=10&start=0', { sandbox: 'dev' });
    assert.deepEqual(otherSandbox.body.data, []);
  });

  it('deletes with 204; the set is then not found', async () => {
    const id = await createMappingSet(seedMappingBody(schemaId));
    assert.equal((await dataPrep('GET', `/mappingSets/${id}`, { sandbox: 'dev' })).status, 404);
    assert.equal((await dataPrep('DELETE', `/mappingSets/${id}`)).status, 204);
    const lookup = await dataPrep('GET', `/mappingSets/${id}`);
    assert.equal(lookup.status, 404);
    assertProblem(lookup.body, 404);
    assert.equal((await dataPrep('DELETE', `/mappingSets/${id}`)).status, 404);
  });

  describe('applying a mapping to a OneTrust record', () => {
    let profile: OneTrustProfile;
    let record: Record<string, unknown>;
    before(() => {
      const { oneTrust } = platform.simulator.context;
      profile = oneTrust.profilesUpdatedBetween(undefined, new Date())[0]!;
      record = oneTrust.toSourceRecord(profile, 0);
    });

    const apply = (id: string, version = 0) =>
      platform.simulator.context.dataPrep.applyMapping('prod', id, version, record);

    it("maps the seed's fields: values copied, arrays kept whole", async () => {
      const id = await createMappingSet(seedMappingBody(schemaId));
      const outcome = apply(id);
      assert.deepEqual(outcome.errors, []);
      assert.deepEqual(outcome.output, {
        _id: profile.Identifier,
        [tenantNamespace]: {
          Identifier: profile.Identifier,
          Language: profile.Language,
          CreatedDate: profile.CreatedDate,
          LastUpdatedDate: profile.LastUpdatedDate,
          DataElements: profile.DataElements,
          Purposes: profile.Purposes,
        },
      });
      assert.equal(platform.simulator.context.dataPrep.mappingSchemaId('prod', id, 0), schemaId);
      assert.equal(platform.simulator.context.dataPrep.mappingSchemaId('prod', id, 1), undefined);
    });

    it('leaves a destination unset when the source is missing, and indexes into arrays', async () => {
      const id = await createMappingSet(
        currentBody([
          attribute('content.NoSuchField', `${tenantNamespace}.Language`),
          attribute('content.Purposes[0].Name', `${tenantNamespace}.Purposes[0].Name`),
        ]),
      );
      const purposes = profile.Purposes as Array<{ Name: string }>;
      assert.deepEqual(apply(id).output, { [tenantNamespace]: { Purposes: [{ Name: purposes[0]!.Name }] } });
    });

    it('evaluates simple expressions', async () => {
      const id = await createMappingSet(
        currentBody([
          {
            sourceType: 'EXPRESSION',
            source: 'concat(upper(content.Language), "/", content.Identifier)',
            destination: '_id',
          },
          { sourceType: 'STATIC', source: 'onetrust', destination: `${tenantNamespace}.Language` },
        ]),
      );
      assert.deepEqual(apply(id).output, {
        _id: `${profile.Language.toUpperCase()}/${profile.Identifier}`,
        [tenantNamespace]: { Language: 'onetrust' },
      });
    });

    it('fails the record with MAPPER-3700-400 when a value does not fit its field', async () => {
      const id = await createMappingSet(currentBody([attribute('content.Purposes', `${tenantNamespace}.Language`)]));
      const outcome = apply(id);
      assert.equal(outcome.output, undefined);
      // MAPPER-3700-400 "Mapper Transform Error": the run activity error in help/sources/tutorials/api/monitor.md
      // (aep-contract.md §2 Runs, §5).
      assert.equal(outcome.errors[0]!.code, 'MAPPER-3700-400');
      assert.match(outcome.errors[0]!.message, /_simtenant\.Language/);
    });

    it('reports an unknown mapping set version as an error', () => {
      const outcome = apply('0'.repeat(32));
      assert.equal(outcome.output, undefined);
      assert.equal(outcome.errors.length, 1);
    });
  });
});
