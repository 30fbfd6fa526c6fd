/**
 * Teardown through the monitor: everything provisioning made is deleted (flow first), or everything but the data
 * with --keep-data; the monitor then completes and refuses further work. Deletes retry patiently through AEP
 * outages; one AEP refuses leaves a visible teardown-failed state that a second teardown finishes.
 */
import assert from 'node:assert/strict';
import { runTeardown } from '../../src/cli/teardown-command';
import { runPause, runResume } from '../../src/cli/pause-resume-commands';
import { runStatus } from '../../src/cli/status-command';
import { connectTemporal } from '../../src/temporal/temporal-client';
import { DataflowState } from '../../src/contracts/search-attributes';
import { noneOfAny, resourceCounts } from '../provisioning/provisioning-fixtures';
import { detailLabels, readmeSample, sampleLinePattern } from '../harness/readme-samples';
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
    assert.deepEqual(
      detailLabels(io.stdout()),
      detailLabels(readmeSample('teardown', 1, 'docs/cli.md')),
      'the README sample is real',
    );

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

    // Its status tells no live token and no reconcile to come: the monitor has ended.
    const status = await capturedIo(dataflow.scenario.taskQueue);
    assert.equal(
      await runStatus(dataflow.target, { json: false, refresh: false }, { io: status, connect: connectTemporal }),
      0,
    );
    assert.match(status.stdout(), /: torn-down$/m);
    assert.match(status.stdout(), /^ {2}token {9}none in use \(torn down; it was to expire \S+\)$/m);
    assert.match(status.stdout(), /^ {2}reconciled {4}.*\(no more: torn down\)$/m);
    assert.doesNotMatch(status.stdout(), /next \d{4}-/);

    // Torn down is a finished state: asking again is nothing to do, for every verb, and says why.
    const tornDownSample = sampleLinePattern(readmeSample('teardown', 2, 'docs/cli.md')[0]!);
    const again = await capturedIo(dataflow.scenario.taskQueue);
    const teardownAgain = { keepData: false, json: false };
    assert.equal(await runTeardown(dataflow.target, teardownAgain, { io: again, connect: connectTemporal }), 0);
    assert.match(again.stdout(), tornDownSample, 'the README sample is real');
    assert.match(again.stdout(), new RegExp(`^nothing to do: ${dataflow.target} was torn down at \\S+Z$`, 'm'));
    for (const verb of [runPause, runResume]) {
      const after = await capturedIo(dataflow.scenario.taskQueue);
      assert.equal(await verb(dataflow.target, { json: false }, { io: after, connect: connectTemporal }), 0);
      assert.match(after.stdout(), new RegExp(`^nothing to do: ${dataflow.target} was torn down at `));
      assert.equal(after.stderr(), '');
    }
    const json = await capturedIo(dataflow.scenario.taskQueue);
    assert.equal(await runPause(dataflow.target, { json: true }, { io: json, connect: connectTemporal }), 0);
    assert.deepEqual(JSON.parse(json.stdout()), {
      ok: true,
      nothingToDo: true,
      state: 'torn-down',
      workflowId: dataflow.handle.workflowId,
    });
  });

  it('a dataflow that was never provisioned is bad input (exit 2) for every verb', async function () {
    const io = await capturedIo(`never-${Date.now()}`);
    const target = `never-${Date.now()}/no-such-flow`;
    const sample = sampleLinePattern(readmeSample('pause', 2, 'docs/cli.md')[0]!);
    const verbs = {
      teardown: () => runTeardown(target, { keepData: false, json: false }, { io, connect: connectTemporal }),
      pause: () => runPause(target, { json: false }, { io, connect: connectTemporal }),
      resume: () => runResume(target, { json: false }, { io, connect: connectTemporal }),
      status: () => runStatus(target, { json: false, refresh: false }, { io, connect: connectTemporal }),
    };
    for (const [verb, run] of Object.entries(verbs)) {
      const before = io.stderr().length;
      assert.equal(await run(), 2, verb);
      const said = io.stderr().slice(before).trim();
      assert.match(said, sample, `${verb}: ${said} (the README sample is real)`);
    }
    assert.equal(io.stdout(), '');
  });

  it('keeps the dataset, its schema and field group with --keep-data', async function () {
    dataflow = await monitoredDataflow();
    const io = await capturedIo(dataflow.scenario.taskQueue);
    const code = await runTeardown(dataflow.target, { keepData: true, json: true }, { io, connect: connectTemporal });
    assert.equal(code, 0, io.stderr() + io.stdout());
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
      outcome.details.kept.includes(
        `schema ${schemaAltId} (used by dataset ${otherDatasetId}; made by hand, so it keeps this dataflow's mark)`,
      ),
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
      assert.equal(listing.query?.properties, 'name,schemaRef,description', 'asking only for the fields needed');
    }
    await dataflow.handle.result();
  });

  it('keeps deleting through an AEP outage longer than the old attempt limit, saying tearing-down meanwhile', async function () {
    dataflow = await monitoredDataflow({
      monitorInput: { teardownTiming: { initialInterval: '100ms', maximumInterval: '200ms' } },
    });
    // The flow's delete meets an outage for more attempts than teardown used to make (8) before giving up.
    await dataflow.admin.addFault({
      method: 'DELETE',
      path: '/data/foundation/flowservice/flows/',
      status: 503,
      times: 12,
    });

    const io = await capturedIo(dataflow.scenario.taskQueue);
    const teardown = runTeardown(dataflow.target, { keepData: false, json: false }, { io, connect: connectTemporal });
    const during = await dataflow.waitForStatus('tearing-down', (status) => status.state === 'tearing-down');
    assert.ok(
      during.teardown?.left.some((entry) => entry.startsWith('flow ')),
      JSON.stringify(during.teardown),
    );
    assert.equal(await teardown, 0, io.stderr());
    assert.match(io.stdout(), /torn down: 8 deleted, 0 already gone, 0 kept/);
    assert.deepEqual(await resourceCounts(dataflow.sandbox), noneOfAny);
    assert.equal((await dataflow.handle.result()).state, 'torn-down');
  });

  it('stops as teardown-failed with what is left when AEP refuses a delete, and a second teardown finishes', async function () {
    dataflow = await monitoredDataflow();
    await dataflow.admin.addFault({
      method: 'DELETE',
      path: '/data/foundation/flowservice/targetConnections/',
      status: 400,
      times: 1,
    });

    const io = await capturedIo(dataflow.scenario.taskQueue);
    const code = await runTeardown(dataflow.target, { keepData: false, json: false }, { io, connect: connectTemporal });
    assert.notEqual(code, 0);
    assert.match(io.stderr(), /stopped at targetConnection .*HTTP 400.*run teardown again to finish/s);

    const stopped = await dataflow.status();
    assert.equal(stopped.state, 'teardown-failed', 'never healthy while half-deleted');
    assert.deepEqual(stopped.teardown?.deleted, [`flow ${dataflow.provisioned.ids.flowId}`]);
    assert.equal(stopped.teardown?.left[0], `targetConnection ${dataflow.provisioned.ids.targetConnectionId}`);
    assert.equal(stopped.teardown?.left.length, 7);
    const attributes = (await dataflow.handle.describe()).typedSearchAttributes;
    assert.equal(attributes.get(DataflowState), 'teardown-failed');

    const again = await capturedIo(dataflow.scenario.taskQueue);
    const secondCode = await runTeardown(
      dataflow.target,
      { keepData: false, json: false },
      { io: again, connect: connectTemporal },
    );
    assert.equal(secondCode, 0, again.stderr());
    assert.match(again.stdout(), /torn down: 7 deleted, 1 already gone, 0 kept/);
    assert.deepEqual(await resourceCounts(dataflow.sandbox), noneOfAny);
  });
});
