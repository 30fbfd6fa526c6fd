/**
 * Issue 18, item 1: teardown never deletes what another dataflow uses. Dataflow B names the same dataset and schema
 * as A, so provisioning B reuses A's (they carry A's mark). Tearing A down deletes A's flow, connections and mapping
 * set, keeps the dataset, schema and field group B uses, says so and why, and B goes on ingesting into that dataset.
 */
import assert from 'node:assert/strict';
import { runTeardown } from '../../src/cli/teardown-command';
import { connectTemporal } from '../../src/cli/temporal-client';
import type { ProvisionDataflowResult } from '../../src/workflows/provision-dataflow';
import type { SimulatorResource } from '../harness/simulator-admin';
import { provision, resourcesOf, workflowInput, type Scenario } from '../provisioning/provisioning-fixtures';
import { capturedIo, monitoredDataflow, waitFor, type MonitoredDataflow } from './monitor-fixtures';

/**
 * Another dataflow in A's sandbox with A's dataset name and schema title. It runs once, a month from now (most of an
 * hour at the simulator's scale): within a test it runs only when started, and its first run reads every subject.
 */
async function provisionSharing(a: MonitoredDataflow, name: string): Promise<ProvisionDataflowResult> {
  const b: Scenario = {
    ...a.scenario,
    name,
    spec: {
      ...a.scenario.spec,
      name,
      schedule: { frequency: 'once', startTime: Math.floor(Date.now() / 1000) + monthSeconds },
    },
  };
  return provision(b, workflowInput(b, { startMonitor: false }));
}

const monthSeconds = 30 * 24 * 3600;

function datasetIn(resources: Record<string, SimulatorResource[]>, id: string): SimulatorResource | undefined {
  return resources.dataSets?.find((dataset) => dataset.id === id);
}

describe('teardown of a dataflow whose dataset and schema another dataflow reuses', function () {
  let a: MonitoredDataflow | undefined;

  afterEach(async function () {
    await a?.dispose();
    a = undefined;
  });

  it('keeps the dataset, schema and field group the other uses, says why, and the other still ingests into them', async function () {
    this.timeout(120_000);
    a = await monitoredDataflow();
    const { sandbox } = a;
    const aIds = a.provisioned.ids;
    const b = await provisionSharing(a, 'consent-b');
    assert.equal(b.ids.datasetId, aIds.datasetId, 'B reused A’s dataset');
    assert.equal(b.ids.schemaId, aIds.schemaId, 'B reused A’s schema');
    assert.equal(b.ids.fieldGroupId, aIds.fieldGroupId, 'B reused A’s field group');

    const io = await capturedIo(a.scenario.taskQueue);
    const code = await runTeardown(a.target, { keepData: false, json: false }, { io, connect: connectTemporal });
    assert.equal(code, 0, io.stderr());

    const keptForB = [
      `dataset ${aIds.datasetId} (used by dataflow ${sandbox}/consent-b's target connection ${b.ids.targetConnectionId})`,
      `schema ${aIds.schemaAltId} (used by dataflow ${sandbox}/consent-b's target connection ${b.ids.targetConnectionId}` +
        ` through dataset ${aIds.datasetId})`,
      `fieldGroup ${aIds.fieldGroupId} (its schema was kept)`,
    ];
    const printed = io.stdout();
    assert.match(printed, /^torn down: 5 deleted, 0 already gone, 3 kept$/m);
    for (const line of keptForB) assert.ok(printed.includes(`    - ${line}\n`), `says "${line}":\n${printed}`);
    const { teardown } = await a.handle.result();
    assert.deepEqual(teardown.details.kept, keptForB);
    assert.deepEqual(teardown.details.deleted, [
      `flow ${aIds.flowId}`,
      `targetConnection ${aIds.targetConnectionId}`,
      `sourceConnection ${aIds.sourceConnectionId}`,
      `baseConnection ${aIds.baseConnectionId}`,
      `mappingSet ${aIds.mappingSetId}`,
    ]);

    // What is left in the sandbox is B's, every kind, by id: A's own resources are gone, B's shared ones stay.
    const left = await resourcesOf(sandbox);
    const idsOf = (kind: string) =>
      (left[kind] ?? []).map((resource) => (typeof resource.$id === 'string' ? resource.$id : resource.id));
    assert.deepEqual(idsOf('flows'), [b.ids.flowId]);
    assert.deepEqual(idsOf('targetConnections'), [b.ids.targetConnectionId]);
    assert.deepEqual(idsOf('sourceConnections'), [b.ids.sourceConnectionId]);
    assert.deepEqual(idsOf('connections'), [b.ids.baseConnectionId]);
    assert.deepEqual(idsOf('mappingSets'), [b.ids.mappingSetId]);
    assert.deepEqual(idsOf('dataSets'), [b.ids.datasetId]);
    assert.deepEqual(idsOf('schemas'), [b.ids.schemaId]);
    assert.deepEqual(idsOf('fieldGroups'), [b.ids.fieldGroupId]);

    // B still ingests into the same dataset: a run started now succeeds and writes records there.
    const recordsBefore = Number(datasetIn(left, b.ids.datasetId)?.recordCount ?? 0);
    const { id: runId } = await a.admin.startRun(b.ids.flowId);
    const run = await waitFor(`B's run ${runId} to finish`, async () => {
      const found = (await resourcesOf(sandbox)).runs?.find((candidate) => candidate.id === runId);
      const { status } = (found?.metrics as { statusSummary: { status: string } } | undefined)?.statusSummary ?? {};
      return status === 'success' || status === 'failed' ? found : undefined;
    });
    const metrics = run.metrics as {
      statusSummary: { status: string; errors: unknown[] };
      recordSummary: { outputRecordCount: number };
    };
    assert.equal(metrics.statusSummary.status, 'success', JSON.stringify(metrics.statusSummary.errors));
    assert.ok(metrics.recordSummary.outputRecordCount > 0, 'the run wrote records');
    const recordsAfter = Number(datasetIn(await resourcesOf(sandbox), b.ids.datasetId)?.recordCount ?? 0);
    assert.equal(recordsAfter, recordsBefore + metrics.recordSummary.outputRecordCount, 'into the same dataset');
  });
});
