import assert from 'node:assert/strict';
import { simulatorDefaults } from '../../src/simulator';
import { schemaFieldPaths } from '../../src/simulator/schema-fields';
import { TestPlatform, type ApiResponse, type Json } from './test-platform';
import {
  consentFieldGroupBody,
  consentSchemaBody,
  datasetBody,
  profileClass,
  schemaRegistryPath,
  tenantNamespace,
  xedFullLookup,
  xedIdList,
  xedLookup,
} from './xdm-bodies';

const tenant = simulatorDefaults.tenantId;

describe('simulator Schema Registry', () => {
  let platform: TestPlatform;
  let counter = 0;
  /** Titles must be unique per sandbox, so every test names its own resources. */
  const title = (what: string) => `${what} ${(counter += 1)}`;

  before(async () => {
    platform = await TestPlatform.start();
  });
  after(() => platform.close());

  const registry = <T = Json>(
    method: string,
    path: string,
    options: { body?: unknown; accept?: string; sandbox?: string } = {},
  ) =>
    platform.call<T>(method, `${schemaRegistryPath}${path}`, {
      body: options.body,
      sandbox: options.sandbox,
      headers: options.accept ? { accept: options.accept } : {},
    });

  async function createFieldGroup(sandbox = 'prod', fgTitle = title('Consent fields')): Promise<Json> {
    const response = await registry('POST', '/tenant/fieldgroups', { body: consentFieldGroupBody(fgTitle), sandbox });
    assert.equal(response.status, 201, JSON.stringify(response.body));
    return response.body;
  }

  async function createSchema(
    fieldGroupId: string,
    sandbox = 'prod',
    schemaTitle = title('Consent schema'),
  ): Promise<Json> {
    const response = await registry('POST', '/tenant/schemas', {
      body: consentSchemaBody(schemaTitle, [fieldGroupId]),
      sandbox,
    });
    assert.equal(response.status, 201, JSON.stringify(response.body));
    return response.body;
  }

  const errorType = (response: ApiResponse<Json>) => response.body.type as string;

  /**
   * For refusals whose code no Adobe document names, the status and the documented Schema Registry error shape
   * (SR spec `errorBasic`; help/xdm/troubleshooting-guide.md; aep-contract.md §3): `type`
   * http://ns.adobe.com/aep/errors/XDM-<nnnn>-<status>, `title`, `status`, `report.detailed-message`, `detail`.
   */
  function assertXdmProblem(response: ApiResponse<Json>, status: number): void {
    assert.equal(response.status, status);
    assert.match(errorType(response), new RegExp(`^http://ns\\.adobe\\.com/aep/errors/XDM-\\d{4}-${status}$`));
    assert.equal(response.body.status, status);
    assert.equal(typeof response.body.title, 'string');
    assert.equal(typeof (response.body.report as Json | undefined)?.['detailed-message'], 'string');
    assert.equal(typeof response.body.detail, 'string');
  }

  it('reports the tenant id without underscore and counts in /stats', async () => {
    const before = await registry<{ tenantId: string; imsOrg: string; counts: Record<string, number> }>(
      'GET',
      '/stats',
      {
        sandbox: 'stats-sandbox',
      },
    );
    assert.equal(before.status, 200);
    assert.equal(before.body.tenantId, tenant);
    assert.equal(before.body.imsOrg, simulatorDefaults.orgId);
    assert.equal(before.body.counts.schemas, 0);
    const fieldGroup = await createFieldGroup('stats-sandbox');
    await createSchema(fieldGroup.$id as string, 'stats-sandbox');
    const after = await registry<{ counts: Record<string, number>; recentlyCreatedResources: unknown[] }>(
      'GET',
      '/stats',
      {
        sandbox: 'stats-sandbox',
      },
    );
    assert.equal(after.body.counts.schemas, 1);
    assert.equal(after.body.counts.mixins, 1);
    assert.equal(after.body.recentlyCreatedResources.length, 2);
  });

  it('creates a field group: 201 with $id, meta:altId, version 1.0 and the tenant namespace', async () => {
    const fieldGroup = await createFieldGroup();
    const hash = /^https:\/\/ns\.adobe\.com\/simtenant\/mixins\/([0-9a-f]{48})$/.exec(fieldGroup.$id as string)?.[1];
    assert.ok(hash, String(fieldGroup.$id));
    assert.equal(fieldGroup['meta:altId'], `_${tenant}.mixins.${hash}`);
    assert.equal(fieldGroup['meta:resourceType'], 'mixins');
    assert.equal(fieldGroup.version, '1.0');
    assert.equal(fieldGroup['meta:tenantNamespace'], tenantNamespace);
    assert.equal(fieldGroup['meta:containerId'], 'tenant');
    assert.deepEqual(fieldGroup['meta:intendedToExtend'], [profileClass]);
    assert.equal(typeof (fieldGroup['meta:registryMetadata'] as Json)['repo:createdDate'], 'number');
  });

  it('creates a schema of one class and field groups, with meta:class and meta:extends', async () => {
    const fieldGroup = await createFieldGroup();
    const schema = await createSchema(fieldGroup.$id as string);
    assert.match(schema.$id as string, /^https:\/\/ns\.adobe\.com\/simtenant\/schemas\/[0-9a-f]{48}$/);
    assert.match(schema['meta:altId'] as string, /^_simtenant\.schemas\.[0-9a-f]{48}$/);
    assert.equal(schema['meta:resourceType'], 'schemas');
    assert.equal(schema.version, '1.0');
    assert.equal(schema['meta:class'], profileClass);
    const extended = schema['meta:extends'] as string[];
    assert.ok(extended.includes(fieldGroup.$id as string) && extended.includes(profileClass));
  });

  describe('lookups and the Accept header', () => {
    let schema: Json;
    before(async () => {
      schema = await createSchema((await createFieldGroup()).$id as string);
    });

    it('finds a schema by meta:altId and by its URL-encoded $id with a versioned Accept', async () => {
      const byAltId = await registry('GET', `/tenant/schemas/${schema['meta:altId'] as string}`, { accept: xedLookup });
      assert.equal(byAltId.status, 200);
      assert.equal(byAltId.body.$id, schema.$id);
      assert.match(byAltId.headers.get('content-type') ?? '', /^application\/vnd\.adobe\.xed\+json/);
      const byId = await registry('GET', `/tenant/schemas/${encodeURIComponent(schema.$id as string)}`, {
        accept: xedLookup,
      });
      assert.equal(byId.status, 200);
      assert.deepEqual(byId.body, byAltId.body);
    });

    it('does not find a $id sent without encoding', async () => {
      const response = await registry('GET', `/tenant/schemas/${schema.$id as string}`, { accept: xedLookup });
      assert.equal(response.status, 404);
    });

    it('resolves the class fields and the field group fields with xed-full', async () => {
      const full = await registry<{ properties: Record<string, { properties?: Record<string, unknown> }> }>(
        'GET',
        `/tenant/schemas/${schema['meta:altId'] as string}`,
        { accept: xedFullLookup },
      );
      assert.equal(full.status, 200);
      assert.ok('_id' in full.body.properties, 'the profile class brings _id');
      assert.deepEqual(Object.keys(full.body.properties[tenantNamespace]!.properties!).sort(), [
        'CreatedDate',
        'DataElements',
        'Identifier',
        'Language',
        'LastUpdatedDate',
        'Purposes',
      ]);
      assert.ok(!('allOf' in full.body));
    });

    it('refuses a lookup whose Accept has no version (XDM-1007-400) or is missing (406)', async () => {
      const path = `/tenant/schemas/${schema['meta:altId'] as string}`;
      const unversioned = await registry(`GET`, path, { accept: 'application/vnd.adobe.xed+json' });
      assert.equal(unversioned.status, 400);
      // XDM-1007-400: SR spec `acceptErrorLookup`; help/xdm/troubleshooting-guide.md "Accept header invalid".
      assert.equal(errorType(unversioned), 'http://ns.adobe.com/aep/errors/XDM-1007-400');
      const missing = await registry('GET', path);
      assert.equal(missing.status, 406);
      const plainJson = await registry('GET', path, { accept: 'application/json' });
      assert.equal(plainJson.status, 406);
    });

    it('refuses a list whose Accept has a version (XDM-1006-400)', async () => {
      const response = await registry('GET', '/tenant/schemas', { accept: xedLookup });
      assert.equal(response.status, 400);
      // XDM-1006-400: SR spec `acceptErrorList`; help/xdm/troubleshooting-guide.md "Accept header invalid".
      assert.equal(errorType(response), 'http://ns.adobe.com/aep/errors/XDM-1006-400');
    });

    it('answers 404 (XDM-1012-404) for a schema that does not exist', async () => {
      const response = await registry('GET', `/tenant/schemas/_${tenant}.schemas.${'0'.repeat(48)}`, {
        accept: xedLookup,
      });
      assert.equal(response.status, 404);
      // XDM-1012-404: SR spec `notFoundError`; help/xdm/troubleshooting-guide.md "Resource not found".
      assert.equal(errorType(response), 'http://ns.adobe.com/aep/errors/XDM-1012-404');
    });
  });

  describe('lists', () => {
    const sandbox = 'list-sandbox';
    before(async () => {
      for (const name of ['Alpha', 'Bravo', 'Charlie']) await createFieldGroup(sandbox, `${name} fields`);
    });

    it('lists summaries with xed-id and full resources with xed', async () => {
      const ids = await registry<{ results: Json[]; _page: Json }>('GET', '/tenant/fieldgroups', {
        accept: xedIdList,
        sandbox,
      });
      assert.equal(ids.status, 200);
      assert.deepEqual(
        ids.body.results.map((result) => result.title),
        ['Alpha fields', 'Bravo fields', 'Charlie fields'],
      );
      assert.deepEqual(Object.keys(ids.body.results[0]!).sort(), ['$id', 'meta:altId', 'title', 'version']);
      assert.equal(ids.body._page.count, 3);
      const full = await registry<{ results: Json[] }>('GET', '/tenant/fieldgroups', {
        accept: 'application/vnd.adobe.xed+json',
        sandbox,
      });
      assert.ok('definitions' in full.body.results[0]!);
    });

    it('filters by title with property=title==…', async () => {
      const response = await registry<{ results: Json[] }>(
        'GET',
        `/tenant/fieldgroups?property=${encodeURIComponent('title==Bravo fields')}`,
        {
          accept: xedIdList,
          sandbox,
        },
      );
      assert.deepEqual(
        response.body.results.map((result) => result.title),
        ['Bravo fields'],
      );
    });

    it('pages with limit, and start (with orderby) from _page.next', async () => {
      const first = await registry<{
        results: Json[];
        _page: { next: string | null };
        _links: { next?: { href: string } };
      }>('GET', '/tenant/fieldgroups?orderby=title&limit=2', { accept: xedIdList, sandbox });
      assert.equal(first.body.results.length, 2);
      assert.equal(first.body._page.next, 'Charlie fields');
      assert.match(first.body._links.next!.href, /start=Charlie\+fields/);
      const second = await registry<{ results: Json[]; _page: { next: string | null } }>(
        'GET',
        `/tenant/fieldgroups?orderby=title&limit=2&start=${encodeURIComponent(first.body._page.next)}`,
        { accept: xedIdList, sandbox },
      );
      assert.deepEqual(
        second.body.results.map((result) => result.title),
        ['Charlie fields'],
      );
      assert.equal(second.body._page.next, null);
      const startWithoutOrder = await registry('GET', '/tenant/fieldgroups?start=Bravo', {
        accept: xedIdList,
        sandbox,
      });
      assert.equal(startWithoutOrder.status, 400);
    });
  });

  describe('validation', () => {
    it('refuses a title already used by a schema or a field group (XDM-1521-400), per sandbox', async () => {
      const fieldGroup = await createFieldGroup('prod', 'Shared title');
      const sameAsFieldGroup = await registry('POST', '/tenant/schemas', {
        body: consentSchemaBody('Shared title', [fieldGroup.$id as string]),
      });
      assert.equal(sameAsFieldGroup.status, 400);
      // XDM-1521-400 "Title not unique": help/xdm/troubleshooting-guide.md (aep-contract.md §3).
      assert.equal(errorType(sameAsFieldGroup), 'http://ns.adobe.com/aep/errors/XDM-1521-400');
      assert.equal(sameAsFieldGroup.body.title, 'Title not unique');
      const differentCase = await registry('POST', '/tenant/fieldgroups', {
        body: consentFieldGroupBody('SHARED TITLE'),
      });
      assert.equal(differentCase.status, 400);
      const otherSandbox = await registry('POST', '/tenant/fieldgroups', {
        body: consentFieldGroupBody('Shared title'),
        sandbox: 'another-sandbox',
      });
      assert.equal(otherSandbox.status, 201);
    });

    it('refuses custom fields outside the tenant namespace (XDM-1020-400)', async () => {
      const body = consentFieldGroupBody(title('Outside namespace'));
      (body.definitions as Json).consent = { properties: { Identifier: { type: 'string' } } };
      const response = await registry('POST', '/tenant/fieldgroups', { body });
      assert.equal(response.status, 400);
      // XDM-1020-400 "Namespace validation error": help/xdm/troubleshooting-guide.md (aep-contract.md §3).
      assert.equal(errorType(response), 'http://ns.adobe.com/aep/errors/XDM-1020-400');
      assert.match(String(response.body.detail), /Identifier/);
    });

    it('refuses fields without a type and field groups without meta:intendedToExtend', async () => {
      const untyped = await registry('POST', '/tenant/fieldgroups', {
        body: consentFieldGroupBody(title('Untyped'), { Identifier: { title: 'no type' } }),
      });
      assert.equal(untyped.status, 400);
      const body = consentFieldGroupBody(title('No target class'));
      delete body['meta:intendedToExtend'];
      assert.equal((await registry('POST', '/tenant/fieldgroups', { body })).status, 400);
    });

    it('refuses a schema without exactly one class, or with a field group that does not exist', async () => {
      const fieldGroup = await createFieldGroup();
      const noClass = await registry('POST', '/tenant/schemas', {
        body: { ...consentSchemaBody(title('No class'), []), allOf: [{ $ref: fieldGroup.$id }] },
      });
      assert.equal(noClass.status, 400);
      const twoClasses = await registry('POST', '/tenant/schemas', {
        body: consentSchemaBody(title('Two classes'), ['https://ns.adobe.com/xdm/data/record']),
      });
      assert.equal(twoClasses.status, 400);
      const missingGroup = await registry('POST', '/tenant/schemas', {
        body: consentSchemaBody(title('Missing group'), [`https://ns.adobe.com/${tenant}/mixins/${'1'.repeat(48)}`]),
      });
      // Adobe documents XDM-1016 only as a 404 "Resource not found"; the simulator's XDM-1016-400 for a missing
      // reference in a create body is its own choice, so only the status and shape are checked.
      assertXdmProblem(missingGroup, 400);
      assert.match(String(missingGroup.body.detail), /1{48}/);
    });

    it('does not see a field group of another sandbox', async () => {
      const elsewhere = await createFieldGroup('isolated-sandbox');
      const lookup = await registry('GET', `/tenant/fieldgroups/${elsewhere['meta:altId'] as string}`, {
        accept: xedLookup,
      });
      assert.equal(lookup.status, 404);
      const schema = await registry('POST', '/tenant/schemas', {
        body: consentSchemaBody(title('Cross-sandbox'), [elsewhere.$id as string]),
      });
      assert.equal(schema.status, 400);
    });
  });

  it('patches a schema with a JSON Patch array and bumps its version', async () => {
    const schema = await createSchema((await createFieldGroup()).$id as string);
    const extra = await registry('POST', '/tenant/fieldgroups', {
      body: consentFieldGroupBody(title('Extra fields'), { Region: { type: 'string' } }),
    });
    const patched = await registry('PATCH', `/tenant/schemas/${schema['meta:altId'] as string}`, {
      body: [
        { op: 'add', path: '/meta:extends/-', value: extra.body.$id },
        { op: 'add', path: '/allOf/-', value: { $ref: extra.body.$id } },
      ],
    });
    assert.equal(patched.status, 200, JSON.stringify(patched.body));
    assert.equal(patched.body.version, '1.1');
    const paths = schemaFieldPaths(platform.simulator.context.store, 'prod', schema.$id as string)!;
    assert.ok(paths.has(`${tenantNamespace}.Region`) && paths.has(`${tenantNamespace}.Identifier`) && paths.has('_id'));
    const renameToSystemField = await registry('PATCH', `/tenant/schemas/${schema['meta:altId'] as string}`, {
      body: [{ op: 'replace', path: '/$id', value: 'https://example.com/x' }],
    });
    assert.equal(renameToSystemField.status, 400);
  });

  it('replaces a field group with PUT (version bump, ids kept) and answers the older /tenant/mixins path too', async () => {
    const fieldGroup = await createFieldGroup();
    const renamed = title('Renamed fields');
    const replaced = await registry('PUT', `/tenant/fieldgroups/${fieldGroup['meta:altId'] as string}`, {
      body: consentFieldGroupBody(renamed, { Region: { type: 'string' } }),
    });
    assert.equal(replaced.status, 200, JSON.stringify(replaced.body));
    assert.equal(replaced.body.$id, fieldGroup.$id);
    assert.equal(replaced.body.title, renamed);
    assert.equal(replaced.body.version, '1.1');
    const viaMixins = await registry('GET', `/tenant/mixins/${fieldGroup['meta:altId'] as string}`, {
      accept: xedLookup,
    });
    assert.equal(viaMixins.status, 200);
    assert.equal(viaMixins.body.title, renamed);
  });

  it('deletes with 204, refusing while a schema uses the field group or a dataset uses the schema', async () => {
    const fieldGroup = await createFieldGroup();
    const schema = await createSchema(fieldGroup.$id as string);
    const fieldGroupPath = `/tenant/fieldgroups/${encodeURIComponent(fieldGroup.$id as string)}`;
    const schemaPath = `/tenant/schemas/${schema['meta:altId'] as string}`;

    const groupInUse = await registry('DELETE', fieldGroupPath);
    // No Adobe document names the code for deleting a resource still in use: the simulator's XDM-1525-400 is its
    // own choice, so only the status and the documented shape are checked.
    assertXdmProblem(groupInUse, 400);
    assert.match(String(groupInUse.body.detail), /used by schema/);

    const dataset = await platform.call<string[]>('POST', '/data/foundation/catalog/dataSets', {
      body: datasetBody(title('Dataset'), schema.$id as string),
    });
    assert.equal(dataset.status, 201);
    assert.equal((await registry('DELETE', schemaPath)).status, 400);
    await platform.call('DELETE', `/data/foundation/catalog/dataSets/${dataset.body[0]!.split('/').pop()!}`);

    const deleted = await registry('DELETE', schemaPath);
    assert.equal(deleted.status, 204);
    assert.equal((await registry('GET', schemaPath, { accept: xedLookup })).status, 404);
    assert.equal((await registry('DELETE', schemaPath)).status, 404);
    assert.equal((await registry('DELETE', fieldGroupPath)).status, 204);
    assert.equal((await registry('GET', fieldGroupPath, { accept: xedLookup })).status, 404);
  });
});
