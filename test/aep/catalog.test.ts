import assert from 'node:assert/strict';
import { isNotFound, type AepClient } from '../../src/aep';
import { collect, freshSandbox, rejectionOf, SimulatorFixture, useSimulatorAndClient } from './simulator-fixture';
import { createConsentSchema, datasetBody } from './onetrust-resources';

describe('AEP client: Catalog', () => {
  let fixture: SimulatorFixture;
  let client: AepClient;
  useSimulatorAndClient((started) => ({ fixture, client } = started));

  it('creates a dataset (id parsed from ["@/dataSets/<id>"]), reads, lists and deletes it', async () => {
    const sandboxName = freshSandbox('catalog');
    const { catalog } = client.forSandbox(sandboxName);
    const schemaId = await createConsentSchema(client.forSandbox(sandboxName), 'catalog');
    const id = await catalog.createDataset(datasetBody('Consent dataset', schemaId));
    assert.match(id, /^[0-9a-f]{24}$/);

    const dataset = await catalog.getDataset(id);
    assert.equal(dataset.id, id);
    assert.equal(dataset.name, 'Consent dataset');
    assert.equal(dataset.schemaRef?.id, schemaId);

    const named = await collect(catalog.listDatasets({ name: 'Consent dataset' }));
    assert.deepEqual(
      named.map((listed) => listed.id),
      [id],
    );
    assert.equal((await collect(catalog.listDatasets({ name: 'No such dataset' }))).length, 0);

    await catalog.deleteDataset(id);
    assert.ok(isNotFound(await rejectionOf(catalog.getDataset(id))));
  });

  it('walks every page of the dataset list by offset', async () => {
    const sandboxName = freshSandbox('catpages');
    const { catalog } = client.forSandbox(sandboxName);
    const schemaId = await createConsentSchema(client.forSandbox(sandboxName), 'paging');
    const ids = new Set<string>();
    for (let index = 0; index < 5; index++) {
      ids.add(await catalog.createDataset(datasetBody(`Paged dataset ${index}`, schemaId)));
    }
    await fixture.clearRequests();
    const listed = await collect(catalog.listDatasets({ limit: 2 }));
    assert.equal(listed.length, 5);
    assert.deepEqual(new Set(listed.map((dataset) => dataset.id)), ids);
    const pages = (await fixture.requests()).filter(
      (entry) => entry.method === 'GET' && entry.path === '/data/foundation/catalog/dataSets',
    );
    assert.deepEqual(
      pages.map((entry) => entry.query.start),
      ['0', '2', '4'],
    );
  });
});
