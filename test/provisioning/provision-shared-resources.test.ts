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
import { connectTemporal } from '../../src/temporal/temporal-client';
import { createCatalogActivities } from '../../src/activities/catalog';
import { createSchemaRegistryActivities } from '../../src/activities/schema-registry';
import type { ActivityDependencies, DataflowRef } from '../../src/activities';
import { ownershipMark } from '../../src/contracts/ownership-mark';
import { dataLakeConnectionSpec, xdmFullContentType } from '../../src/contracts/platform-ids';
import { dataflowResourceNames } from '../../src/contracts/resource-names';
import { fieldGroupBody, schemaBody } from '../../src/contracts/target-schema';
import type { ProvisionDataflowResult } from '../../src/workflows/provision-dataflow';
import { childProcessEnv } from '../harness/test-worker';
import {
  dataflowResourceKinds,
  exactlyOneOfEach,
  fastActivityTiming,
  newScenario,
  resourceCounts,
  resourcesOf,
  simulatorAdmin,
  startProvisioning,
  workflowInput,
  type Scenario,
  useProvisioningWorker,
} from './provisioning-fixtures';

const mappingSetCreate = '/data/foundation/conversion/mappingSets(\\?|$)';

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

    // Ours, but another dataflow's target connection writes into it (it found ours by the shared name): kept.
    const oursAgain = await create(`this dataflow ${ownershipMark(scenario.sandbox, 'consent')}`);
    await sandbox.flowService.createTargetConnection({
      name: 'onetrust:elsewhere:consent-2:target-connection',
      description: `another dataflow ${ownershipMark(scenario.sandbox, 'consent-2')}`,
      connectionSpec: { ...dataLakeConnectionSpec },
      data: { format: 'json' },
      params: { dataSetId: oursAgain },
    });
    assert.deepEqual(await activities.deleteDataset({ dataflow, datasetId: oursAgain }), {
      deleted: [],
      keptForOthers: [others, oursAgain],
      keptFor: { [others]: `belongs to ${scenario.sandbox}/consent-2`, [oursAgain]: 'another dataflow uses it' },
    });
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

    // Ours, but the other dataflow reused it and its dataset follows the schema: both kept, until that is gone.
    const ours = await targetSchemaOf(dataflow, `this ${ownershipMark(scenario.sandbox, 'consent')}`);
    const theirDataset = await sandbox.catalog.createDataset({
      name: dataflow.datasetName,
      description: `another ${ownershipMark(scenario.sandbox, 'consent-2')}`,
      schemaRef: { id: ours.schema.$id, contentType: xdmFullContentType },
    });
    const recordedOurs = { schemaId: ours.schema['meta:altId'], fieldGroupId: ours.fieldGroup.$id };
    assert.deepEqual(await activities.deleteTargetSchema({ ...removeBoth, ...recordedOurs }), {
      deleted: [],
      keptForOthers: [ours.schema['meta:altId'], ours.fieldGroup['meta:altId']],
      keptFor: {
        [ours.schema['meta:altId']]: 'another dataflow uses it',
        [ours.fieldGroup['meta:altId']]: 'another dataflow uses it',
      },
    });
    await sandbox.catalog.deleteDataset(theirDataset);
    assert.deepEqual(await activities.deleteTargetSchema({ ...removeBoth, ...recordedOurs }), {
      deleted: [ours.schema['meta:altId'], ours.fieldGroup['meta:altId']],
    });
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
