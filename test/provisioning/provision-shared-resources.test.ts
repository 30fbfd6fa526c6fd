/**
 * Issue 13: rollback deletes only what this dataflow owns. Two dataflows may share a dataset name and a schema
 * title, and may be provisioned at the same time: when one fails and rolls back, every resource of the other stays,
 * and none of its own is left. The same spec provisioned twice at the same time is one provisioning.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WorkflowExecutionAlreadyStartedError, WorkflowFailedError } from '@temporalio/client';
import { exitCodes } from '../../src/runtime/command-io';
import { provisioningFailureOf, runProvision } from '../../src/cli/provision-command';
import { runTeardown } from '../../src/cli/teardown-command';
import { connectTemporal } from '../../src/temporal/temporal-client';
import { createCatalogActivities } from '../../src/activities/catalog';
import { createSchemaRegistryActivities } from '../../src/activities/schema-registry';
import type { ActivityDependencies } from '../../src/activities';
import type { DataflowRef } from '../../src/contracts/provisioning-activities';
import { isManagedBy, ownershipMark } from '../../src/contracts/ownership-mark';
import { dataLakeConnectionSpec, xdmFullContentType } from '../../src/contracts/platform-ids';
import { dataflowResourceNames } from '../../src/contracts/resource-names';
import { fieldGroupBody, schemaBody } from '../../src/contracts/target-schema';
import { progressQuery, type ProvisionDataflowResult } from '../../src/contracts/provisioning-messages';
import { monitorWorkflowId, runFeedWorkflowId } from '../../src/contracts/workflow-ids';
import { getTemporal } from '../harness/temporal';
import { childProcessEnv } from '../harness/test-worker';
import { capturedIo, waitFor } from '../monitor/monitor-fixtures';
import {
  dataflowResourceKinds,
  exactlyOneOfEach,
  fastActivityTiming,
  newScenario,
  noneOfAny,
  provision,
  resourceCounts,
  resourcesOf,
  simulatorAdmin,
  startProvisioning,
  workflowInput,
  type Scenario,
  useProvisioningWorker,
} from './provisioning-fixtures';

const mappingSetCreate = '/data/foundation/conversion/mappingSets(\\?|$)';
/** How the simulator counts mapping-set creates (on arrival, before any fault rule). */
const mappingSetCreateRoute = 'POST /data/foundation/conversion/mappingSets';

/** The ids of a provisioned dataflow, per kind of resource as the simulator lists them. */
function idsByKind(result: ProvisionDataflowResult): Record<(typeof dataflowResourceKinds)[number], string> {
  const { ids } = result;
  return {
    connections: ids.baseConnectionId,
    sourceConnections: ids.sourceConnectionId,
    fieldGroups: ids.fieldGroupId,
    schemas: ids.schemaId,
    dataSets: ids.datasetId,
    targetConnections: ids.targetConnectionId,
    mappingSets: ids.mappingSetId,
    flows: ids.flowId,
  };
}

/** Every resource of the sandbox, by kind, as ids (`$id` for XDM resources, as the workflow records them). */
async function sandboxIds(sandbox: string): Promise<Record<string, string[]>> {
  const resources = await resourcesOf(sandbox);
  return Object.fromEntries(
    dataflowResourceKinds.map((kind) => [
      kind,
      (resources[kind] ?? []).map((resource) => (typeof resource.$id === 'string' ? resource.$id : resource.id)),
    ]),
  );
}

describe('provisionings that share a dataset name and a schema title', function () {
  const { taskQueue, worker } = useProvisioningWorker('provisioning-shared');

  /** A second dataflow in the same sandbox with the same schema title and dataset name. */
  function sharing(first: Scenario, name: string): Scenario {
    return { ...first, name, spec: { ...first.spec, name } };
  }

  it('started together, the one refused at its mapping set rolls back only its own resources', async function () {
    this.timeout(120_000);
    const first = { ...(await newScenario()), taskQueue };
    const second = sharing(first, 'consent-b');
    const admin = await simulatorAdmin();
    // The first mapping-set create goes through (a rule without a status only counts), the next one is refused
    // with a 400 that no retry can fix: whichever dataflow asks second fails there, after the other made its own.
    await admin.addFault({ method: 'POST', path: mappingSetCreate, times: 1 });
    await admin.addFault({ method: 'POST', path: mappingSetCreate, status: 400, times: 1 });

    const handles = await Promise.all(
      [first, second].map((scenario) => startProvisioning(scenario, workflowInput(scenario, { startMonitor: false }))),
    );
    const outcomes = await Promise.allSettled(handles.map((handle) => handle.result()));

    const succeeded = outcomes.flatMap((outcome) => (outcome.status === 'fulfilled' ? [outcome.value] : []));
    const refused = outcomes.flatMap((outcome) => (outcome.status === 'rejected' ? [outcome.reason as unknown] : []));
    assert.equal(succeeded.length, 1, `one provisioning succeeds: ${refused.map(String).join('; ')}`);
    assert.equal(refused.length, 1, 'the other fails');
    const kept = succeeded[0]!;
    assert.ok(refused[0] instanceof WorkflowFailedError, String(refused[0]));
    const failure = provisioningFailureOf(refused[0]);
    assert.ok(failure, refused[0].message);
    assert.equal(failure.step, 'mapping-set', failure.message);
    assert.deepEqual(failure.leftBehind, [], 'its rollback completed');

    // Every resource of the dataflow that succeeded is still there, by id, and nothing else is.
    const keptIds = idsByKind(kept);
    const remaining = await sandboxIds(first.sandbox);
    for (const kind of dataflowResourceKinds) {
      assert.deepEqual(remaining[kind], [keptIds[kind]], `${kind}: only ${kept.name}'s remains`);
    }
    const keptIdList = Object.values(keptIds);
    for (const entry of failure.rolledBack) {
      assert.ok(!keptIdList.some((id) => entry.endsWith(` ${id}`)), `rolled back ${entry}, which is ${kept.name}'s`);
    }
  });

  /** A field group and a schema with this dataflow's titles, made directly; the description says whose they are. */
  async function targetSchemaOf(dataflow: DataflowRef, description: string) {
    const registry = worker().aep.forSandbox(dataflow.sandbox).schemaRegistry;
    const { tenantId } = await registry.getStats();
    const title = dataflowResourceNames(dataflow).fieldGroupTitle;
    const fieldGroup = await registry.createFieldGroup(fieldGroupBody({ tenantId, title, description }));
    const schema = await registry.createSchema(
      schemaBody({ title: dataflow.schemaTitle, description, fieldGroupId: fieldGroup.$id }),
    );
    return { fieldGroup, schema };
  }

  function dataflowIn(scenario: Scenario, name: string): DataflowRef {
    const target = scenario.spec.target as { schemaTitle: string; datasetName: string };
    return { sandbox: scenario.sandbox, name, ...target };
  }

  it('keeps a recorded dataset with another dataflow’s mark, and one of ours another dataflow writes into', async () => {
    const scenario = { ...(await newScenario()), taskQueue };
    const dataflow = dataflowIn(scenario, 'consent');
    const sandbox = worker().aep.forSandbox(scenario.sandbox);
    const { schema } = await targetSchemaOf(dataflow, `shared ${ownershipMark(scenario.sandbox, 'consent-2')}`);
    const create = (description: string) =>
      sandbox.catalog.createDataset({
        name: dataflow.datasetName,
        description,
        schemaRef: { id: schema.$id, contentType: xdmFullContentType },
      });
    const others = await create(`another dataflow ${ownershipMark(scenario.sandbox, 'consent-2')}`);
    const ours = await create(`this dataflow ${ownershipMark(scenario.sandbox, 'consent')}`);
    const unmarked = await create('made by hand');
    const activities = createCatalogActivities({ aep: worker().aep } as ActivityDependencies);

    // The workflow recorded the other dataflow's dataset (a retried create found it by the shared name).
    assert.deepEqual(await activities.deleteDataset({ dataflow, datasetId: others }), {
      deleted: [ours],
      keptForOthers: [others],
      keptFor: { [others]: `belongs to ${scenario.sandbox}/consent-2` },
    });
    const left = async () => (await resourcesOf(scenario.sandbox)).dataSets!.map((dataset) => dataset.id).sort();
    assert.deepEqual(await left(), [others, unmarked].sort(), 'the unmarked one was not recorded: not ours either');

    // Recorded and unmarked (by hand, or before marks existed): this run's, so deleted.
    assert.deepEqual(await activities.deleteDataset({ dataflow, datasetId: unmarked }), {
      deleted: [unmarked],
      keptForOthers: [others],
      keptFor: { [others]: `belongs to ${scenario.sandbox}/consent-2` },
    });

    // Ours, but another dataflow's target connection writes into it (it found ours by the shared name): kept, and
    // handed over (this dataflow gets no monitor; that one's teardown will delete it).
    const oursAgain = await create(`this dataflow ${ownershipMark(scenario.sandbox, 'consent')}`);
    const theirWriter = await sandbox.flowService.createTargetConnection({
      name: 'onetrust:elsewhere:consent-2:target-connection',
      description: `another dataflow ${ownershipMark(scenario.sandbox, 'consent-2')}`,
      connectionSpec: { ...dataLakeConnectionSpec },
      data: { format: 'json' },
      params: { dataSetId: oursAgain },
    });
    const handedOver = {
      deleted: [],
      keptForOthers: [others, oursAgain],
      keptFor: {
        [others]: `belongs to ${scenario.sandbox}/consent-2`,
        [oursAgain]: `belongs to ${scenario.sandbox}/consent-2 now: handed over`,
      },
    };
    assert.deepEqual(await activities.deleteDataset({ dataflow, datasetId: oursAgain }), handedOver);
    const { description } = await sandbox.catalog.getDataset(oursAgain);
    assert.ok(isManagedBy(description, scenario.sandbox, 'consent-2'), `consent-2's mark: ${String(description)}`);
    assert.ok(!isManagedBy(description, scenario.sandbox, 'consent'), `not ours any more: ${String(description)}`);
    // A retry whose answer was lost finds it handed over: said the same, never deleted, even once the other
    // dataflow no longer writes into it (it is that dataflow's now, not ours to delete).
    assert.deepEqual(await activities.deleteDataset({ dataflow, datasetId: oursAgain }), handedOver);
    await sandbox.flowService.deleteTargetConnection(theirWriter.id);
    assert.deepEqual(await activities.deleteDataset({ dataflow, datasetId: oursAgain }), handedOver);
    assert.deepEqual(await left(), [others, oursAgain].sort());
  });

  it('keeps a target schema with another dataflow’s mark, and one of ours another dataflow’s dataset follows', async () => {
    const scenario = { ...(await newScenario()), taskQueue };
    const dataflow = dataflowIn(scenario, 'consent');
    const sandbox = worker().aep.forSandbox(scenario.sandbox);
    const activities = createSchemaRegistryActivities({ aep: worker().aep } as ActivityDependencies);
    const removeBoth = { dataflow, removeSchema: true, removeFieldGroup: true };

    // Another dataflow's, though this run recorded it (it reused it after losing the race for the title).
    const theirs = await targetSchemaOf(dataflow, `another ${ownershipMark(scenario.sandbox, 'consent-2')}`);
    const recordedTheirs = { schemaId: theirs.schema['meta:altId'], fieldGroupId: theirs.fieldGroup.$id };
    assert.deepEqual(await activities.deleteTargetSchema({ ...removeBoth, ...recordedTheirs }), {
      deleted: [],
      keptForOthers: [theirs.schema['meta:altId'], theirs.fieldGroup['meta:altId']],
      keptFor: {
        [theirs.schema['meta:altId']]: `belongs to ${scenario.sandbox}/consent-2`,
        [theirs.fieldGroup['meta:altId']]: `belongs to ${scenario.sandbox}/consent-2`,
      },
    });
    await sandbox.schemaRegistry.deleteSchema(theirs.schema['meta:altId']);
    await sandbox.schemaRegistry.deleteFieldGroup(theirs.fieldGroup['meta:altId']);

    // Ours, and a dataset made by hand follows it: both kept with our mark (nobody's teardown would take them), and
    // said by what; once that dataset is gone, both are deleted.
    const ours = await targetSchemaOf(dataflow, `this ${ownershipMark(scenario.sandbox, 'consent')}`);
    const schemaRef = { id: ours.schema.$id, contentType: xdmFullContentType };
    const byHand = await sandbox.catalog.createDataset({ name: 'made by hand', description: 'by hand', schemaRef });
    const recordedOurs = { schemaId: ours.schema['meta:altId'], fieldGroupId: ours.fieldGroup.$id };
    assert.deepEqual(await activities.deleteTargetSchema({ ...removeBoth, ...recordedOurs }), {
      deleted: [],
      keptForOthers: [ours.schema['meta:altId'], ours.fieldGroup['meta:altId']],
      keptFor: {
        [ours.schema['meta:altId']]: `used by dataset ${byHand}`,
        [ours.fieldGroup['meta:altId']]: `its schema ${ours.schema['meta:altId']} was kept`,
      },
    });
    await sandbox.catalog.deleteDataset(byHand);
    assert.deepEqual(await activities.deleteTargetSchema({ ...removeBoth, ...recordedOurs }), {
      deleted: [ours.schema['meta:altId'], ours.fieldGroup['meta:altId']],
    });

    // Ours, but the other dataflow reused it and its dataset follows the schema: both kept and handed over to it
    // (the field group with the schema), so its teardown deletes them; a retry says the same and deletes nothing.
    const again = await targetSchemaOf(dataflow, `this ${ownershipMark(scenario.sandbox, 'consent')}`);
    await sandbox.catalog.createDataset({
      name: dataflow.datasetName,
      description: `another ${ownershipMark(scenario.sandbox, 'consent-2')}`,
      schemaRef: { id: again.schema.$id, contentType: xdmFullContentType },
    });
    const recordedAgain = { schemaId: again.schema['meta:altId'], fieldGroupId: again.fieldGroup.$id };
    const nowTheirs = `belongs to ${scenario.sandbox}/consent-2 now: handed over`;
    const handedOver = {
      deleted: [],
      keptForOthers: [again.schema['meta:altId'], again.fieldGroup['meta:altId']],
      keptFor: { [again.schema['meta:altId']]: nowTheirs, [again.fieldGroup['meta:altId']]: nowTheirs },
    };
    assert.deepEqual(await activities.deleteTargetSchema({ ...removeBoth, ...recordedAgain }), handedOver);
    assert.deepEqual(await activities.deleteTargetSchema({ ...removeBoth, ...recordedAgain }), handedOver);
    const registry = sandbox.schemaRegistry;
    for (const resource of [
      await registry.getSchema(again.schema['meta:altId']),
      await registry.getFieldGroup(again.fieldGroup['meta:altId']),
    ]) {
      assert.ok(isManagedBy(resource.description, scenario.sandbox, 'consent-2'), String(resource.description));
      assert.ok(!isManagedBy(resource.description, scenario.sandbox, 'consent'), String(resource.description));
    }
  });
});

describe('a rollback that keeps what another dataflow provisioned meanwhile took', function () {
  const { taskQueue } = useProvisioningWorker('provisioning-hand-over');
  /** Workflows a test leaves running when it fails first (B's monitor, the sandbox's run feed). */
  let running: string[] = [];

  afterEach(async function () {
    const { client } = await getTemporal();
    for (const workflowId of running) {
      const handle = client.workflow.getHandle(workflowId);
      try {
        if ((await handle.describe()).status.name === 'RUNNING') await handle.terminate('test finished');
      } catch {
        // Never started.
      }
    }
    running = [];
  });

  it('hands A’s dataset and schema over to B, so B’s teardown leaves nothing of either behind', async function () {
    this.timeout(180_000);
    const a = { ...(await newScenario()), taskQueue };
    const { sandbox } = a;
    // B names A's dataset and schema; it runs once, a month from now, so no run is under way while it is torn down.
    const b: Scenario = {
      ...a,
      name: 'consent-b',
      spec: {
        ...a.spec,
        name: 'consent-b',
        schedule: { frequency: 'once', startTime: Math.floor(Date.now() / 1000) + 30 * 24 * 3600 },
      },
    };
    running = [monitorWorkflowId(sandbox, b.name), runFeedWorkflowId(sandbox)];
    const admin = await simulatorAdmin();

    // A's mapping-set create (the first one) is held until B has provisioned, then refused with a 400 no retry fixes.
    const mappingSetCreatesBefore = (await admin.requestCounts())[mappingSetCreateRoute] ?? 0;
    await admin.addFault({ method: 'POST', path: mappingSetCreate, delayMs: 120_000, status: 400, times: 1 });
    const timing = { ...fastActivityTiming, startToCloseTimeout: '1m' } as const;
    const aHandle = await startProvisioning(a, workflowInput(a, { activityTiming: timing }));
    await admin.waitForArrivals(mappingSetCreateRoute, mappingSetCreatesBefore, 60_000);
    // Meanwhile A's other branches finish: its dataset, and its connections.
    const made = await waitFor('A’s dataset and connections', async () => {
      const resources = await resourcesOf(sandbox);
      const ready = ['dataSets', 'targetConnections', 'sourceConnections'].every(
        (kind) => resources[kind]?.length === 1,
      );
      return ready ? resources : undefined;
    });
    const aDatasetId = made.dataSets![0]!.id;

    // B, provisioned while A is still under way, takes A's dataset and schema (their name and title).
    const bResult = await provision(b, workflowInput(b));
    assert.equal(bResult.ids.datasetId, aDatasetId, 'B writes into A’s dataset');
    const shared = await resourcesOf(sandbox);
    assert.deepEqual(
      shared.schemas!.map((schema) => schema.$id),
      [bResult.ids.schemaId],
      'B follows A’s schema',
    );
    assert.deepEqual(
      shared.fieldGroups!.map((fieldGroup) => fieldGroup.$id),
      [bResult.ids.fieldGroupId],
    );
    const fieldGroupAltId = String(shared.fieldGroups![0]!['meta:altId']);

    // A's held create is let go and refused: A fails at its mapping set and rolls back, keeping what B uses.
    await admin.clearFaults();
    const refused = await aHandle.result().then(
      () => assert.fail('A’s provisioning should have failed'),
      (error: unknown) => error,
    );
    assert.ok(refused instanceof WorkflowFailedError, String(refused));
    const failure = provisioningFailureOf(refused);
    assert.ok(failure, refused.message);
    assert.equal(failure.step, 'mapping-set', failure.message);
    assert.deepEqual(failure.leftBehind, [], 'A’s rollback completed');
    const nowB = `belongs to ${sandbox}/consent-b now: handed over`;
    assert.deepEqual(failure.kept, [
      `dataset ${aDatasetId} (${nowB})`,
      `target schema ${bResult.ids.schemaAltId} (${nowB})`,
      `target schema ${fieldGroupAltId} (${nowB})`,
    ]);
    // Its steps read as the CLI prints them: "[5/8] Dataset: kept (belongs to …/consent-b now: handed over)".
    const { steps } = await aHandle.query(progressQuery);
    for (const key of ['target-schema', 'dataset'] as const) {
      const step = steps.find((candidate) => candidate.key === key);
      assert.deepEqual([step?.state, step?.note], ['kept', nowB], key);
    }
    assert.ok(
      failure.rolledBack.some((entry) => entry.startsWith('target connection ')),
      `A's own target connection went: ${failure.rolledBack.join('; ')}`,
    );

    // What is left is B's, one of each kind, and the shared ones carry B's mark now.
    assert.deepEqual(await resourceCounts(sandbox), exactlyOneOfEach);
    const left = await resourcesOf(sandbox);
    for (const kind of ['dataSets', 'schemas', 'fieldGroups'] as const) {
      const { description } = left[kind]![0]!;
      assert.ok(isManagedBy(description, sandbox, 'consent-b'), `${kind}: B's mark: ${String(description)}`);
    }

    // B's teardown (the CLI asks B's monitor) deletes all of it: nothing of either dataflow stays behind.
    const io = await capturedIo(taskQueue);
    const code = await runTeardown(
      `${sandbox}/consent-b`,
      { keepData: false, json: false },
      { io, connect: connectTemporal },
    );
    assert.equal(code, exitCodes.ok, io.stderr());
    assert.match(io.stdout(), /^torn down: 8 deleted, 0 already gone, 0 kept$/m);
    assert.deepEqual(await resourceCounts(sandbox), noneOfAny);
  });
});

describe('the same spec provisioned twice at the same time', function () {
  const { taskQueue } = useProvisioningWorker('provisioning-twice');
  const specDirectory = mkdtempSync(join(tmpdir(), 'twice-specs-'));

  it('two starts of the same workflow id: one provisioning, one of each resource', async () => {
    const scenario = { ...(await newScenario()), taskQueue };
    const input = workflowInput(scenario, { startMonitor: false });
    const starts = await Promise.allSettled([startProvisioning(scenario, input), startProvisioning(scenario, input)]);

    const started = starts.flatMap((start) => (start.status === 'fulfilled' ? [start.value] : []));
    const refused = starts.flatMap((start) => (start.status === 'rejected' ? [start.reason as unknown] : []));
    assert.equal(started.length, 1);
    assert.ok(refused[0] instanceof WorkflowExecutionAlreadyStartedError, String(refused[0]));
    const result = await started[0]!.result();

    assert.deepEqual(await resourceCounts(scenario.sandbox), exactlyOneOfEach);
    const ids = idsByKind(result);
    const remaining = await sandboxIds(scenario.sandbox);
    for (const kind of dataflowResourceKinds) assert.deepEqual(remaining[kind], [ids[kind]], kind);
  });

  it('two CLI runs: both follow one provisioning and report the same ids, one of each resource', async () => {
    const scenario = { ...(await newScenario()), taskQueue };
    const path = join(specDirectory, `${scenario.sandbox}.json`);
    writeFileSync(path, JSON.stringify(scenario.spec));
    const env = { ...(await childProcessEnv(taskQueue)), ...scenario.env };
    const runCli = async () => {
      const stdout: string[] = [];
      const stderr: string[] = [];
      const exitCode = await runProvision(
        path,
        { wait: true, json: true },
        {
          io: { out: (text) => stdout.push(text), err: (text) => stderr.push(text), env },
          connect: connectTemporal,
          pollIntervalMs: 100,
          inputOverrides: { activityTiming: fastActivityTiming, startMonitor: false },
        },
      );
      const result = JSON.parse(stdout.join('\n')) as { ids?: Record<string, string> };
      return { exitCode, stderr: stderr.join('\n'), result };
    };

    const runs = await Promise.all([runCli(), runCli()]);

    for (const run of runs) assert.equal(run.exitCode, exitCodes.ok, run.stderr);
    assert.deepEqual(runs[0].result.ids, runs[1].result.ids);
    assert.deepEqual(await resourceCounts(scenario.sandbox), exactlyOneOfEach);
    const ids = runs[0].result.ids!;
    const remaining = await sandboxIds(scenario.sandbox);
    assert.deepEqual(remaining.flows, [ids.flowId]);
    assert.deepEqual(remaining.dataSets, [ids.datasetId]);
    assert.deepEqual(remaining.schemas, [ids.schemaId]);
  });
});
