import assert from 'node:assert/strict';
import { AepError, isNotFound, type AepClient } from '../../src/aep';
import { simulatorDefaults } from '../../src/simulator/defaults';
import { collect, freshSandbox, rejectionOf, SimulatorFixture, useSimulatorAndClient } from './simulator-fixture';
import { fieldGroupBody, schemaBody } from './onetrust-resources';

describe('AEP client: Schema Registry', () => {
  let fixture: SimulatorFixture;
  let client: AepClient;
  useSimulatorAndClient((started) => ({ fixture, client } = started));

  it('reads the tenant id from /stats', async () => {
    const stats = await client.forSandbox(freshSandbox('stats')).schemaRegistry.getStats();
    assert.equal(stats.tenantId, simulatorDefaults.tenantId);
  });

  it('creates, reads (by altId and by $id), lists and deletes a field group and a schema', async () => {
    const sandboxName = freshSandbox('xdm');
    const { schemaRegistry } = client.forSandbox(sandboxName);
    const fieldGroup = await schemaRegistry.createFieldGroup(fieldGroupBody('Round trip fields'));
    assert.match(fieldGroup.$id, new RegExp(`^https://ns.adobe.com/${simulatorDefaults.tenantId}/mixins/`));
    assert.match(fieldGroup['meta:altId'], new RegExp(`^_${simulatorDefaults.tenantId}\\.mixins\\.`));
    assert.equal(fieldGroup.title, 'Round trip fields');

    const byAltId = await schemaRegistry.getFieldGroup(fieldGroup['meta:altId']);
    const byId = await schemaRegistry.getFieldGroup(fieldGroup.$id, 'xed-full');
    assert.equal(byAltId.$id, fieldGroup.$id);
    assert.equal(byId.$id, fieldGroup.$id);

    const schema = await schemaRegistry.createSchema(schemaBody('Round trip schema', fieldGroup.$id));
    assert.match(schema.$id, /\/schemas\//);
    assert.equal(schema.version, '1.0');
    const fullSchema = await schemaRegistry.getSchema(schema.$id, 'xed-full');
    assert.equal(fullSchema.title, 'Round trip schema');
    assert.ok(fullSchema.properties && `_${simulatorDefaults.tenantId}` in fullSchema.properties);

    const schemasByTitle = await collect(schemaRegistry.listSchemas({ title: 'Round trip schema' }));
    assert.deepEqual(
      schemasByTitle.map((summary) => summary.$id),
      [schema.$id],
    );
    assert.deepEqual(
      (await collect(schemaRegistry.listFieldGroups({ title: 'Round trip fields' }))).map((summary) => summary.title),
      ['Round trip fields'],
    );

    // The lookup sent a versioned Accept header and the list an unversioned one; the request log shows they worked.
    const log = (await fixture.requests()).filter((entry) => entry.sandbox === sandboxName);
    assert.ok(
      log.every((entry) => entry.status < 400),
      JSON.stringify(log.filter((entry) => entry.status >= 400)),
    );

    await schemaRegistry.deleteSchema(schema.$id);
    await schemaRegistry.deleteFieldGroup(fieldGroup['meta:altId']);
    assert.ok(isNotFound(await rejectionOf(schemaRegistry.getSchema(schema.$id))));
    assert.ok(isNotFound(await rejectionOf(schemaRegistry.getFieldGroup(fieldGroup.$id))));
  });

  it('reports a duplicate title as XDM-1521-400 with the registry request id', async () => {
    const { schemaRegistry } = client.forSandbox(freshSandbox('dup'));
    await schemaRegistry.createFieldGroup(fieldGroupBody('Duplicate title'));
    const duplicate = await rejectionOf(schemaRegistry.createFieldGroup(fieldGroupBody('Duplicate title')));
    assert.ok(duplicate instanceof AepError);
    assert.equal(duplicate.status, 400);
    // XDM-1521-400 "Title not unique": help/xdm/troubleshooting-guide.md (aep-contract.md §3).
    assert.equal(duplicate.code, 'XDM-1521-400');
    assert.equal(duplicate.retryable, false);
    assert.ok(duplicate.requestId);
    assert.match(
      duplicate.message,
      /^POST \/data\/foundation\/schemaregistry\/tenant\/fieldgroups failed: HTTP 400 XDM-1521-400: .*unique/i,
    );
  });

  it('walks every page of a list', async () => {
    const { schemaRegistry } = client.forSandbox(freshSandbox('xdmpages'));
    const titles = new Set<string>();
    for (let index = 0; index < 5; index++) {
      const title = `Paged field group ${index}`;
      titles.add(title);
      await schemaRegistry.createFieldGroup(fieldGroupBody(title));
    }
    await fixture.clearRequests();
    const listed = await collect(schemaRegistry.listFieldGroups({ limit: 2 }));
    assert.deepEqual(new Set(listed.map((summary) => summary.title)), titles);
    const pages = (await fixture.requests()).filter(
      (entry) => entry.method === 'GET' && entry.path === '/data/foundation/schemaregistry/tenant/fieldgroups',
    );
    assert.equal(pages.length, 3);
  });
});
