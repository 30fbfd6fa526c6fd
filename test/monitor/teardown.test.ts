/**
 * Teardown through the monitor: everything provisioning made is deleted (flow first), or everything but the data
 * with --keep-data; the monitor then completes and refuses further work.
 */
import assert from 'node:assert/strict';
import { runTeardown } from '../../src/cli/teardown-command';
import { runPause } from '../../src/cli/pause-resume-commands';
import { connectTemporal } from '../../src/cli/temporal-client';
import { DataflowState } from '../../src/workflows/search-attributes';
import { noneOfAny, resourceCounts } from '../provisioning/provisioning-fixtures';
import { capturedIo, monitoredDataflow, simulatorRequests, type MonitoredDataflow } from './monitor-fixtures';

describe('dataflow monitor: teardown', function () {
  let dataflow: MonitoredDataflow | undefined;

  afterEach(async function () {
    await dataflow?.dispose();
    dataflow = undefined;
  });

  it('deletes every resource of the dataflow, flow first, then the monitor completes', async function () {
    dataflow = await monitoredDataflow();
    await dataflow.waitForStatus('a first run', (status) => status.lastRuns.length > 0);
    const startedAt = Date.now();

    const io = await capturedIo(dataflow.scenario.taskQueue);
    const code = await runTeardown(dataflow.target, { keepData: false, json: false }, { io, connect: connectTemporal });
    assert.equal(code, 0, io.stderr());
    assert.match(io.stdout(), /torn down: 8 deleted, 0 already gone, 0 kept/);

    assert.deepEqual(await resourceCounts(dataflow.sandbox), noneOfAny);
    const deletes = (await simulatorRequests(dataflow.sandbox)).filter(
      (entry) => entry.method === 'DELETE' && Date.parse(entry.time) >= startedAt,
    );
    assert.match(deletes[0]!.path, /\/flows\//, 'the flow goes first (connections in use cannot be deleted)');
    assert.ok(deletes.every((entry) => entry.status < 300));

    const result = await dataflow.handle.result();
    assert.equal(result.state, 'torn-down');
    assert.equal((result.teardown.details.deleted as string[]).length, 8);
    const description = await dataflow.handle.describe();
    assert.equal(description.status.name, 'COMPLETED');
    assert.equal(description.typedSearchAttributes.get(DataflowState), 'torn-down');

    const after = await capturedIo(dataflow.scenario.taskQueue);
    assert.equal(await runPause(dataflow.target, { json: false }, { io: after, connect: connectTemporal }), 2);
    assert.match(after.stderr(), /no running monitor/);
  });

  it('keeps the dataset, its schema and field group with --keep-data', async function () {
    dataflow = await monitoredDataflow();
    const io = await capturedIo(dataflow.scenario.taskQueue);
    const code = await runTeardown(dataflow.target, { keepData: true, json: true }, { io, connect: connectTemporal });
    assert.equal(code, 0, io.stderr());
    const { outcome } = JSON.parse(io.stdout()) as { outcome: { details: { deleted: string[]; kept: string[] } } };
    assert.equal(outcome.details.deleted.length, 5);
    assert.equal(outcome.details.kept.length, 3);

    assert.deepEqual(await resourceCounts(dataflow.sandbox), {
      ...noneOfAny,
      dataSets: 1,
      schemas: 1,
      fieldGroups: 1,
    });
    await dataflow.handle.result();
  });

  it('keeps the schema (and its field group) while another dataset uses it, and says which', async function () {
    dataflow = await monitoredDataflow();
    const { schemaId, schemaAltId } = dataflow.provisioned.ids;
    const catalog = dataflow.worker.aep.forSandbox(dataflow.sandbox).catalog;
    const otherDatasetId = await catalog.createDataset({
      name: 'Someone else’s dataset on the same schema',
      schemaRef: { id: schemaId, contentType: 'application/vnd.adobe.xed-full+json;version=1' },
    });
    const startedAt = Date.now();

    const io = await capturedIo(dataflow.scenario.taskQueue);
    const code = await runTeardown(dataflow.target, { keepData: false, json: true }, { io, connect: connectTemporal });
    assert.equal(code, 0, io.stderr());
    const { outcome } = JSON.parse(io.stdout()) as { outcome: { details: { deleted: string[]; kept: string[] } } };
    assert.ok(
      outcome.details.kept.includes(`schema ${schemaAltId} (still used by dataset ${otherDatasetId})`),
      JSON.stringify(outcome.details.kept),
    );
    assert.ok(outcome.details.kept.some((entry) => entry.startsWith('fieldGroup ')));
    assert.ok(
      outcome.details.deleted.some((entry) => entry.startsWith('dataset ')),
      'its own dataset went',
    );

    const listings = (await simulatorRequests(dataflow.sandbox)).filter(
      (entry) => entry.method === 'GET' && entry.path.endsWith('/dataSets') && Date.parse(entry.time) >= startedAt,
    );
    assert.ok(listings.length > 0, 'the datasets were looked through');
    for (const listing of listings) {
      assert.equal(listing.query?.properties, 'name,schemaRef', 'asking only for the fields needed');
    }
    await dataflow.handle.result();
  });
});
