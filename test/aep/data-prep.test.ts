import assert from 'node:assert/strict';
import { AepError, isNotFound, type AepClient } from '../../src/aep';
import { collect, freshSandbox, rejectionOf, useSimulatorAndClient } from './simulator-fixture';
import { createConsentSchema, mappingSetBody } from './onetrust-resources';
import { simulatorDefaults } from '../../src/simulator/defaults';

describe('AEP client: Data Prep', () => {
  let client: AepClient;
  useSimulatorAndClient((started) => ({ client } = started));

  it('creates a mapping set at version 0, reads it, updates it to version 1, lists and deletes it', async () => {
    const sandboxName = freshSandbox('dataprep');
    const { dataPrep } = client.forSandbox(sandboxName);
    const schemaId = await createConsentSchema(client.forSandbox(sandboxName), 'dataprep');

    const created = await dataPrep.createMappingSet(mappingSetBody(schemaId));
    assert.match(created.id, /^[0-9a-f]{32}$/);
    assert.equal(created.version, 0);
    assert.equal(typeof created.createdDate, 'number');

    const read = await dataPrep.getMappingSet(created.id);
    assert.equal(read.id, created.id);
    assert.equal(read.mappings.length, 3);

    const body = mappingSetBody(schemaId);
    body.mappings.pop();
    const updated = await dataPrep.updateMappingSet(created.id, body);
    assert.equal(updated.version, 1);
    assert.equal(updated.mappings.length, 2);
    assert.equal((await dataPrep.getMappingSet(created.id, 0)).mappings.length, 3, 'version 0 stays readable');

    const listed = await collect(dataPrep.listMappingSets());
    assert.deepEqual(
      listed.map((mappingSet) => mappingSet.id),
      [created.id],
    );

    await dataPrep.deleteMappingSet(created.id);
    assert.ok(isNotFound(await rejectionOf(dataPrep.getMappingSet(created.id))));
  });

  it('refuses a destination that is not a field of the schema, as a non-retryable 400', async () => {
    const sandboxName = freshSandbox('badmap');
    const { dataPrep } = client.forSandbox(sandboxName);
    const schemaId = await createConsentSchema(client.forSandbox(sandboxName), 'badmap');
    const body = mappingSetBody(schemaId);
    body.mappings.push({
      sourceType: 'ATTRIBUTE',
      source: 'content.Nope',
      destination: `_${simulatorDefaults.tenantId}.NotInTheSchema`,
      name: 'nope',
    });
    const refused = await rejectionOf(dataPrep.createMappingSet(body));
    assert.ok(refused instanceof AepError);
    assert.equal(refused.status, 400);
    assert.equal(refused.retryable, false);
    assert.match(refused.message, /NotInTheSchema/);
  });

  it('walks every page of the mapping set list', async () => {
    const sandboxName = freshSandbox('dppages');
    const { dataPrep } = client.forSandbox(sandboxName);
    const schemaId = await createConsentSchema(client.forSandbox(sandboxName), 'dppages');
    const ids = new Set<string>();
    for (let index = 0; index < 5; index++) ids.add((await dataPrep.createMappingSet(mappingSetBody(schemaId))).id);
    const listed = await collect(dataPrep.listMappingSets({ limit: 2 }));
    assert.equal(listed.length, 5);
    assert.deepEqual(new Set(listed.map((mappingSet) => mappingSet.id)), ids);
  });
});
