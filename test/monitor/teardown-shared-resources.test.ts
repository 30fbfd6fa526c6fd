/**
 * Issue 18, item 1: teardown never deletes what another dataflow uses. Dataflow B names the same dataset and schema
 * as A, so provisioning B reuses A's (they carry A's mark). Tearing A down deletes A's flow, connections and mapping
 * set, keeps the dataset, schema and field group B uses, says so and why, and B goes on ingesting into that dataset.
 * What is kept is handed over: it takes B's mark, so tearing B down later deletes it and nothing is left behind.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ActivityDependencies } from '../../src/activities';
import type { DataflowPlan } from '../../src/contracts/plan-activities';
import { createTeardownActivities } from '../../src/activities/monitor/teardown';
import { runPlan } from '../../src/cli/plan-command';
import { runTeardown } from '../../src/cli/teardown-command';
import { connectTemporal } from '../../src/temporal/temporal-client';
import { isManagedBy } from '../../src/contracts/ownership-mark';
import { dataLakeConnectionSpec } from '../../src/contracts/platform-ids';
import { monitorWorkflowId } from '../../src/contracts/workflow-ids';
import type { ProvisionDataflowResult } from '../../src/contracts/provisioning-messages';
import type { SimulatorResource } from '../harness/simulator-admin';
import { getTemporal } from '../harness/temporal';
import {
  noneOfAny,
  provision,
  resourceCounts,
  resourcesOf,
  workflowInput,
  type Scenario,
} from '../provisioning/provisioning-fixtures';
import { capturedIo, monitoredDataflow, waitFor, type MonitoredDataflow } from './monitor-fixtures';

/**
 * Another dataflow in A's sandbox with A's dataset name and schema title. It runs once, a month from now (most of an
 * hour at the simulator's scale): within a test it runs only when started, and its first run reads every subject.
 */
async function provisionSharing(a: MonitoredDataflow, name: string): Promise<ProvisionDataflowResult> {
  return provision(sharingScenario(a, name), workflowInput(sharingScenario(a, name)));
}

function sharingScenario(a: MonitoredDataflow, name: string): Scenario {
  return {
    ...a.scenario,
    name,
    spec: {
      ...a.scenario.spec,
      name,
      schedule: { frequency: 'once', startTime: Math.floor(Date.now() / 1000) + monthSeconds },
    },
  };
}

/** `teardown sandbox/name` as a user runs it: its exit code and what it printed. */
async function tearDown(a: MonitoredDataflow, name: string): Promise<string> {
  const io = await capturedIo(a.scenario.taskQueue);
  const code = await runTeardown(
    `${a.sandbox}/${name}`,
    { keepData: false, json: false },
    { io, connect: connectTemporal },
  );
  assert.equal(code, 0, io.stderr());
  return io.stdout();
}

/** Whether the shared dataset, schema and field group each carry the named dataflow's mark. */
async function sharedMarkedBy(a: MonitoredDataflow, name: string): Promise<Record<string, boolean>> {
  const left = await resourcesOf(a.sandbox);
  const { datasetId, schemaId, fieldGroupId } = a.provisioned.ids;
  const marked = (resources: SimulatorResource[] | undefined, id: string) =>
    isManagedBy(resources?.find((resource) => resource.id === id || resource.$id === id)?.description, a.sandbox, name);
  return {
    dataset: marked(left.dataSets, datasetId),
    schema: marked(left.schemas, schemaId),
    fieldGroup: marked(left.fieldGroups, fieldGroupId),
  };
}

/** `plan --json` for the sharing dataflow's spec: what it reads as its own (keep) and as another's (shared). */
async function planOf(a: MonitoredDataflow, name: string): Promise<DataflowPlan> {
  const path = join(mkdtempSync(join(tmpdir(), 'shared-plan-')), `${name}.json`);
  writeFileSync(path, JSON.stringify(sharingScenario(a, name).spec));
  const io = await capturedIo(a.scenario.taskQueue);
  const json: string[] = [];
  const env = { ...io.env, ...a.scenario.env };
  await runPlan(
    [path],
    { json: true },
    { io: { ...io, env, out: (text) => json.push(text) }, connect: connectTemporal },
  );
  assert.equal(io.stderr(), '');
  return JSON.parse(json.join('')) as DataflowPlan;
}

function actionOf(plan: DataflowPlan, key: string): string | undefined {
  return plan.resources.find((resource) => resource.key === key)?.action;
}

const monthSeconds = 30 * 24 * 3600;

function datasetIn(resources: Record<string, SimulatorResource[]>, id: string): SimulatorResource | undefined {
  return resources.dataSets?.find((dataset) => dataset.id === id);
}

describe('teardown of a dataflow whose dataset and schema another dataflow reuses', function () {
  let a: MonitoredDataflow | undefined;
  /** The sharing dataflows' monitors, ended by their teardowns; stopped here when a test fails first. */
  let sharing: string[] = [];

  afterEach(async function () {
    const { client } = await getTemporal();
    for (const name of sharing) {
      const handle = client.workflow.getHandle(monitorWorkflowId(a!.sandbox, name));
      if ((await handle.describe()).status.name === 'RUNNING') await handle.terminate('test finished');
    }
    sharing = [];
    await a?.dispose();
    a = undefined;
  });

  it('keeps what the other uses and hands it over, the other still ingests, and its own teardown leaves nothing', async function () {
    this.timeout(180_000);
    a = await monitoredDataflow();
    const { sandbox } = a;
    const aIds = a.provisioned.ids;
    sharing = ['consent-b'];
    const b = await provisionSharing(a, 'consent-b');
    assert.equal(b.ids.datasetId, aIds.datasetId, 'B reused A’s dataset');
    assert.equal(b.ids.schemaId, aIds.schemaId, 'B reused A’s schema');
    assert.equal(b.ids.fieldGroupId, aIds.fieldGroupId, 'B reused A’s field group');
    const planBefore = await planOf(a, 'consent-b');
    assert.equal(actionOf(planBefore, 'dataset'), 'shared', 'before: B reads the dataset as A’s');
    assert.equal(actionOf(planBefore, 'target-schema'), 'shared', 'before: B reads the schema as A’s');

    const printed = await tearDown(a, a.name);

    const keptForB = [
      `dataset ${aIds.datasetId} (used by dataflow ${sandbox}/consent-b's target connection ${b.ids.targetConnectionId};` +
        ` now belongs to ${sandbox}/consent-b)`,
      // The dataset was handed over first: by then it is B's dataset that follows the schema.
      `schema ${aIds.schemaAltId} (used by dataflow ${sandbox}/consent-b's dataset ${aIds.datasetId};` +
        ` now belongs to ${sandbox}/consent-b)`,
      `fieldGroup ${aIds.fieldGroupId} (its schema was kept)`,
    ];
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
    assert.deepEqual(
      await sharedMarkedBy(a, 'consent-b'),
      { dataset: true, schema: true, fieldGroup: true },
      'handed over: B’s mark on each',
    );
    assert.deepEqual(await sharedMarkedBy(a, a.name), { dataset: false, schema: false, fieldGroup: false });

    // B's plan now reads the dataset and schema as its own, with nothing to change.
    const planAfter = await planOf(a, 'consent-b');
    assert.equal(actionOf(planAfter, 'dataset'), 'keep', JSON.stringify(planAfter.resources));
    assert.equal(actionOf(planAfter, 'target-schema'), 'keep', JSON.stringify(planAfter.resources));

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

    // B's own teardown deletes what it was handed: nothing of either dataflow is left.
    assert.match(await tearDown(a, 'consent-b'), /^torn down: 8 deleted, 0 already gone, 0 kept$/m);
    assert.deepEqual(await resourceCounts(sandbox), noneOfAny);
  });

  it('three dataflows sharing: each teardown hands what the next uses on, and the last leaves nothing', async function () {
    this.timeout(240_000);
    a = await monitoredDataflow();
    const { sandbox } = a;
    sharing = ['consent-b', 'consent-c'];
    await provisionSharing(a, 'consent-b');
    const c = await provisionSharing(a, 'consent-c');
    assert.equal(c.ids.datasetId, a.provisioned.ids.datasetId, 'C reused A’s dataset too');
    const everyone = { dataset: true, schema: true, fieldGroup: true };

    // A's first user (by its target connection) takes them; then the other is the one left to use them.
    assert.match(await tearDown(a, a.name), /^torn down: 5 deleted, 0 already gone, 3 kept$/m);
    const heir = (await sharedMarkedBy(a, 'consent-b')).dataset ? 'consent-b' : 'consent-c';
    assert.deepEqual(await sharedMarkedBy(a, heir), everyone, `all three handed to ${heir}`);
    const [second, third] = heir === 'consent-b' ? ['consent-b', 'consent-c'] : ['consent-c', 'consent-b'];

    const printed = await tearDown(a, second);
    assert.match(printed, /^torn down: 5 deleted, 0 already gone, 3 kept$/m);
    assert.ok(printed.includes(`now belongs to ${sandbox}/${third})`), printed);
    assert.deepEqual(await sharedMarkedBy(a, third), everyone, `handed on to ${third}`);

    assert.match(await tearDown(a, third), /^torn down: 8 deleted, 0 already gone, 0 kept$/m);
    assert.deepEqual(await resourceCounts(sandbox), noneOfAny);
  });

  it('a retried hand-over (its answer lost) finds it already handed over: kept, said the same, never deleted', async function () {
    this.timeout(120_000);
    a = await monitoredDataflow();
    const { sandbox, name } = a;
    sharing = ['consent-b'];
    const b = await provisionSharing(a, 'consent-b');
    const teardown = createTeardownActivities({ aep: a.worker.aep } as ActivityDependencies);
    const deleteDataflowResource = (input: Parameters<typeof teardown.deleteDataflowResource>[0]) =>
      teardown.deleteDataflowResource(input);
    const ids = a.provisioned.ids;

    for (const [kind, id] of [
      ['dataset', ids.datasetId],
      ['schema', ids.schemaAltId],
    ] as const) {
      const first = await deleteDataflowResource({ sandbox, dataflowName: name, kind, id });
      // The retry: the hand-over happened, its answer was lost; the resource now carries B's mark.
      const retried = await deleteDataflowResource({ sandbox, dataflowName: name, kind, id });
      assert.equal(first.outcome, 'kept');
      assert.match(first.reason ?? '', new RegExp(`; now belongs to ${sandbox}/consent-b$`));
      assert.deepEqual(retried, first, `the retried ${kind} says what the first attempt did`);
    }
    assert.deepEqual(await sharedMarkedBy(a, 'consent-b'), { dataset: true, schema: true, fieldGroup: true });
    const left = await resourcesOf(sandbox);
    assert.ok(datasetIn(left, b.ids.datasetId), 'the dataset is still there');
    assert.equal(left.schemas?.length, 1, 'the schema is still there');
  });

  it('a user made by hand has no teardown: what it uses is kept with this dataflow’s mark, and said so', async function () {
    this.timeout(120_000);
    a = await monitoredDataflow();
    const { sandbox, name } = a;
    const ids = a.provisioned.ids;
    const byHand = await a.worker.aep.forSandbox(sandbox).flowService.createTargetConnection({
      name: 'made in the AEP UI',
      description: 'a target connection someone made by hand',
      connectionSpec: { ...dataLakeConnectionSpec },
      data: { format: 'json' },
      params: { dataSetId: ids.datasetId },
    });
    const teardown = createTeardownActivities({ aep: a.worker.aep } as ActivityDependencies);
    const deleteDataflowResource = (input: Parameters<typeof teardown.deleteDataflowResource>[0]) =>
      teardown.deleteDataflowResource(input);

    assert.deepEqual(
      await deleteDataflowResource({ sandbox, dataflowName: name, kind: 'dataset', id: ids.datasetId }),
      {
        outcome: 'kept',
        reason: `used by target connection ${byHand.id}; made by hand, so it keeps this dataflow's mark`,
      },
    );
    assert.deepEqual((await sharedMarkedBy(a, name)).dataset, true, 'still this dataflow’s');
  });
});
