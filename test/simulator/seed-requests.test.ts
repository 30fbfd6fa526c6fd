/**
 * The seed tutorial (shared/seed/onetrust-flow-service-tutorial.txt), request by request: its bodies, sent with
 * the headers it lists, in its order, and the response shapes it shows.
 */
import assert from 'node:assert/strict';
import { eventually, TestPlatform, type Json } from './test-platform';

/** The seed's mapping destinations use this tenant. */
const seedTenant = 'exchangesandboxbravo';
const createdShape = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const etagShape = /^"[0-9a-f]{8}-0000-0200-0000-[0-9a-f]{12}"$/;

describe('simulator: the seed tutorial requests', () => {
  let platform: TestPlatform;
  let oneTrustToken: string;
  const sandbox = 'prod';
  const ids: Record<string, string> = {};

  before(async () => {
    platform = await TestPlatform.start({ tenantId: seedTenant, timeScale: 1000 });
    oneTrustToken = await platform.mintOneTrustToken(365 * 24 * 3600);
  });
  after(() => platform.close());

  /** POST with exactly the headers the seed lists: Authorization, x-api-key, x-gw-ims-org-id, x-sandbox-name, Content-Type. */
  const seedPost = (path: string, body: Json, headers: Record<string, string | undefined> = {}) =>
    platform.call<Json>('POST', path, { body, sandbox, headers });

  const assertCreated = (response: { status: number; body: Json }) => {
    assert.equal(response.status, 201, JSON.stringify(response.body));
    assert.deepEqual(Object.keys(response.body).sort(), ['etag', 'id']);
    assert.match(String(response.body.id), createdShape);
    assert.match(String(response.body.etag), etagShape);
    return String(response.body.id);
  };

  it('1. creates the base connection', async () => {
    const response = await seedPost('/data/foundation/flowservice/connections', {
      name: 'ONETRUST base connection',
      description: 'ONETRUST base connection to authenticate to Platform',
      connectionSpec: { id: 'cf16d886-c627-4872-9936-fb08d6cba8cc', version: '1.0' },
      auth: { specName: 'OAuth2 Refresh Code', params: { accessToken: oneTrustToken } },
    });
    ids.baseConnection = assertCreated(response);
  });

  it('2. explores the source and gets the preview in the seed shape', async () => {
    const response = await platform.call<{ format: string; schema: { properties: Json }; data: Json[] }>(
      'GET',
      `/data/foundation/flowservice/connections/${ids.baseConnection}/explore?objectType=rest&object=json&fileType=json&preview=true`,
      { sandbox },
    );
    assert.equal(response.status, 200);
    assert.equal(response.body.format, 'hierarchical');
    assert.deepEqual(Object.keys(response.body.schema.properties).sort(), [
      'content',
      'empty',
      'first',
      'last',
      'number',
      'numberOfElements',
      'pageable',
      'size',
      'sort',
    ]);
    const record = response.body.data[0]!;
    for (const key of ['number', 'size', 'numberOfElements', 'last', 'pageable', 'sort', 'content', 'first', 'empty']) {
      assert.ok(key in record, `preview record has ${key}`);
    }
    const content = record.content as Json;
    for (const key of [
      'Id',
      'Language',
      'Identifier',
      'LastUpdatedDate',
      'CreatedDate',
      'Purposes',
      'TestDataSubject',
    ]) {
      assert.ok(key in content, `preview content has ${key}`);
    }
    const purpose = (content.Purposes as Json[])[0]!;
    for (const key of [
      'Id',
      'Name',
      'Version',
      'Status',
      'TotalTransactionCount',
      'LastTransactionCollectionPointId',
    ]) {
      assert.ok(key in purpose, `purpose has ${key}`);
    }
  });

  it('3. creates the source connection', async () => {
    const response = await seedPost('/data/foundation/flowservice/sourceConnections', {
      name: 'ONETRUST Source Connection',
      description: 'ONETRUST Source Connection',
      baseConnectionId: ids.baseConnection,
      connectionSpec: { id: 'cf16d886-c627-4872-9936-fb08d6cba8cc', version: '1.0' },
      data: { format: 'json' },
      params: {},
    });
    ids.sourceConnection = assertCreated(response);
  });

  it('4. creates the target XDM schema and the target dataset (the tutorials the seed links to)', async () => {
    ids.schema = await platform.createOneTrustSchema(sandbox, 'seed', seedTenant);
    assert.match(ids.schema, new RegExp(`^https://ns\\.adobe\\.com/${seedTenant}/schemas/[0-9a-f]+$`));
    ids.dataset = await platform.createDataset(sandbox, 'seed', ids.schema);
  });

  it('5. creates the target connection', async () => {
    const response = await seedPost('/data/foundation/flowservice/targetConnections', {
      name: 'ONETRUST Target Connection',
      description: 'ONETRUST Target Connection',
      connectionSpec: { id: 'c604ff05-7f1a-43c0-8e18-33bf874cb11c', version: '1.0' },
      data: { format: 'json' },
      params: { dataSetId: ids.dataset },
    });
    ids.targetConnection = assertCreated(response);
  });

  it('6. creates the mapping set with the legacy body and the short schema id', async () => {
    const shortSchemaId = ids.schema!.replace('https://ns.adobe.com/', '');
    const response = await seedPost('/data/foundation/conversion/mappingSets', {
      version: 0,
      xdmSchema: shortSchemaId,
      xdmVersion: '1.0',
      id: null,
      mappings: [
        {
          sourceType: 'ATTRIBUTE',
          source: 'content.Identifier',
          destination: '_id',
          name: 'id',
          description: 'Identifier field',
        },
        { sourceType: 'ATTRIBUTE', source: 'content.Identifier', destination: '_exchangesandboxbravo.Identifier' },
        {
          sourceType: 'ATTRIBUTE',
          source: 'content.Language',
          destination: '_exchangesandboxbravo.Language',
          description: 'Language field',
        },
        {
          sourceType: 'ATTRIBUTE',
          source: 'content.CreatedDate',
          destination: '_exchangesandboxbravo.CreatedDate',
          description: 'Created Date field',
        },
        {
          sourceType: 'ATTRIBUTE',
          source: 'content.LastUpdatedDate',
          destination: '_exchangesandboxbravo.LastUpdatedDate',
          description: 'Created Date field',
        },
        { sourceType: 'ATTRIBUTE', source: 'content.DataElements', destination: '_exchangesandboxbravo.DataElements' },
        { sourceType: 'ATTRIBUTE', source: 'content.Purposes', destination: '_exchangesandboxbravo.Purposes' },
      ],
    });
    assert.equal(response.status, 200, JSON.stringify(response.body));
    assert.deepEqual(Object.keys(response.body).sort(), [
      'createdBy',
      'createdDate',
      'id',
      'modifiedBy',
      'modifiedDate',
      'version',
    ]);
    assert.match(String(response.body.id), /^[0-9a-f]{32}$/);
    assert.equal(response.body.version, 0);
    assert.equal(typeof response.body.createdDate, 'number');
    ids.mapping = String(response.body.id);
  });

  const seedFlowBody = (): Json => ({
    name: 'ONETRUST dataflow',
    description: 'ONETRUST dataflow',
    flowSpec: { id: '6499120c-0b15-42dc-936e-847ea3c24d72', version: '1.0' },
    sourceConnectionIds: [ids.sourceConnection],
    targetConnectionIds: [ids.targetConnection],
    transformations: [{ name: 'Mapping', params: { mappingId: ids.mapping, mappingVersion: 0 } }],
    // The seed's startTime (1625040887) has long passed; the simulator refuses past start times, so use now.
    scheduleParams: { startTime: String(Math.floor(Date.now() / 1000)), frequency: 'minute', interval: 15 },
  });

  it('7. creates the dataflow (the seed omits Authorization here; the gateway requires it on every call)', async () => {
    const withoutAuthorization = await seedPost('/data/foundation/flowservice/flows', seedFlowBody(), {
      authorization: undefined,
    });
    assert.equal(withoutAuthorization.status, 403);
    // 403010 "Oauth token is missing.": help/landing/troubleshooting.md (aep-contract.md §1).
    assert.equal(withoutAuthorization.body.error_code, '403010');

    ids.flow = assertCreated(await seedPost('/data/foundation/flowservice/flows', seedFlowBody()));
  });

  it('then runs the dataflow: OneTrust consent records land in the dataset, mapped to the seed fields', async () => {
    const records = await eventually(
      async () => {
        const page = await platform.admin<{ count: number; items: Array<Record<string, Json>> }>(
          'GET',
          `/datasets/${ids.dataset}/records?limit=5`,
        );
        return page.body.count > 0 ? page.body.items : undefined;
      },
      15_000,
      'records in the seed dataset',
    );
    const consent = records[0]![`_${seedTenant}`]!;
    assert.deepEqual(Object.keys(consent).sort(), [
      'CreatedDate',
      'DataElements',
      'Identifier',
      'Language',
      'LastUpdatedDate',
      'Purposes',
    ]);
    assert.equal(records[0]!._id, consent.Identifier);
  });
});
