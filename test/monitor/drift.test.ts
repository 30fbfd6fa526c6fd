/**
 * Drift of every kind, found by the monitor's own reconcile (every second here): each resource of a provisioned
 * dataflow deleted in AEP, and its connections wired to other resources. The status, the `status` command and the
 * alert name the kind and the id; the repair they name (teardown, then provision) puts the dataflow back. One look
 * reads each of the dataflow's eight resources once.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInspectionActivities } from '../../src/activities/monitor/inspect-dataflow';
import { createAepClient, type AepClient, type SandboxClient } from '../../src/aep';
import { exitCodes } from '../../src/cli/command-io';
import { runProvision } from '../../src/cli/provision-command';
import { runStatus } from '../../src/cli/status-command';
import { runTeardown } from '../../src/cli/teardown-command';
import { connectTemporal } from '../../src/cli/temporal-client';
import { statusQuery } from '../../src/workflows/monitor/messages';
import type { MonitorStatus } from '../../src/workflows/monitor/monitor-status';
import { monitorWorkflowId } from '../../src/workflows/workflow-ids';
import { getTemporal } from '../harness/temporal';
import { simulatorAepSettings, testSecretBox } from '../harness/test-worker';
import { fastActivityTiming } from '../provisioning/provisioning-fixtures';
import { capturedIo, monitoredDataflow, simulatorRequests, waitFor, type MonitoredDataflow } from './monitor-fixtures';

const specDirectory = mkdtempSync(join(tmpdir(), 'drift-specs-'));
/** The monitor reconciles (lists its runs, then looks for drift) about every second. */
const reconcileEverySecond = { monitorInput: { reconcileIntervalMs: 1_000 } };

describe('the monitor notices drift of every kind at its reconcile, and names the repair', function () {
  let dataflow: MonitoredDataflow | undefined;
  let aep: AepClient | undefined;

  afterEach(async function () {
    await dataflow?.dispose();
    dataflow = undefined;
  });

  after(async function () {
    await aep?.close();
  });

  /** Someone with AEP credentials: changes made behind the monitor's back through AEP's public API. */
  async function someoneInAep(): Promise<SandboxClient> {
    aep ??= createAepClient(await simulatorAepSettings());
    return aep.forSandbox(dataflow!.sandbox);
  }

  /** Waits for a reconcile to report `difference` as drift, then for its alert; answers the status. */
  async function driftNamed(difference: string): Promise<MonitorStatus> {
    const status = await dataflow!.waitForStatus(`drift naming "${difference}"`, (candidate) =>
      (candidate.drift?.differences ?? []).includes(difference),
    );
    assert.equal(status.state, 'drifted');
    assert.ok(status.counts.reconciles > 0, 'found by a reconcile');
    await waitFor(`a drifted alert naming "${difference}"`, () =>
      dataflow!.alerts.ofKind('drifted').some((received) => received.alert.message.includes(difference)),
    );
    return status;
  }

  /** What `status` prints for the dataflow (no refresh: what the reconcile found). */
  async function statusCli(target = dataflow!.target): Promise<string> {
    const io = await capturedIo(dataflow!.scenario.taskQueue);
    const exitCode = await runStatus(target, { json: false, refresh: false }, { io, connect: connectTemporal });
    assert.equal(exitCode, exitCodes.ok, io.stderr());
    return io.stdout();
  }

  /** The repair `status` names for what provision cannot change in place: teardown, then provision the spec. */
  async function teardownThenProvision(): Promise<MonitorStatus> {
    const torn = await capturedIo(dataflow!.scenario.taskQueue);
    const tornCode = await runTeardown(
      dataflow!.target,
      { keepData: false, json: false },
      { io: torn, connect: connectTemporal },
    );
    assert.equal(tornCode, exitCodes.ok, torn.stdout() + torn.stderr());

    const path = join(specDirectory, `${dataflow!.sandbox}.json`);
    writeFileSync(path, JSON.stringify(dataflow!.scenario.spec));
    const io = await capturedIo(dataflow!.scenario.taskQueue);
    const exitCode = await runProvision(
      path,
      { wait: true, json: false },
      {
        io: { ...io, env: { ...io.env, ...dataflow!.scenario.env } },
        connect: connectTemporal,
        pollIntervalMs: 100,
        inputOverrides: { activityTiming: fastActivityTiming },
      },
    );
    assert.equal(exitCode, exitCodes.ok, io.stdout() + io.stderr());
    assert.match(io.stdout(), /is provisioned in sandbox/);

    // The new monitor looks for drift after `status --refresh`: the new dataflow matches what it applied.
    const refreshed = await capturedIo(dataflow!.scenario.taskQueue);
    const refreshCode = await runStatus(
      dataflow!.target,
      { json: false, refresh: true },
      { io: refreshed, connect: connectTemporal },
    );
    assert.equal(refreshCode, exitCodes.ok, refreshed.stderr());
    assert.doesNotMatch(refreshed.stdout(), /drift/);
    const { client } = await getTemporal();
    return client.workflow.getHandle(monitorWorkflowId(dataflow!.sandbox, dataflow!.name)).query(statusQuery);
  }

  it('names each resource deleted through AEP, and teardown then provision makes the dataflow anew', async function () {
    this.timeout(120_000);
    dataflow = await monitoredDataflow(reconcileEverySecond);
    const { ids } = dataflow.provisioned;
    const inAep = await someoneInAep();

    // In the only order AEP allows: what something still uses goes after its user.
    const deletions: Array<[string, () => Promise<void>]> = [
      [`mapping set ${ids.mappingSetId}`, () => inAep.dataPrep.deleteMappingSet(ids.mappingSetId)],
      [`dataset ${ids.datasetId}`, () => inAep.catalog.deleteDataset(ids.datasetId)],
      [`schema ${ids.schemaId}`, () => inAep.schemaRegistry.deleteSchema(ids.schemaId)],
      [`field group ${ids.fieldGroupId}`, () => inAep.schemaRegistry.deleteFieldGroup(ids.fieldGroupId)],
      [`flow ${ids.flowId}`, () => inAep.flowService.deleteFlow(ids.flowId)],
      [
        `target connection ${ids.targetConnectionId}`,
        () => inAep.flowService.deleteTargetConnection(ids.targetConnectionId),
      ],
      [
        `source connection ${ids.sourceConnectionId}`,
        () => inAep.flowService.deleteSourceConnection(ids.sourceConnectionId),
      ],
      [`base connection ${ids.baseConnectionId}`, () => inAep.flowService.deleteConnection(ids.baseConnectionId)],
    ];
    for (const [resource, remove] of deletions) {
      await remove();
      const status = await driftNamed(`${resource} was deleted`);
      assert.equal(status.drift?.repairable, false);
    }
    assert.equal(dataflow.alerts.ofKind('drifted').length, deletions.length, 'one alert per distinct drift');

    const printed = await statusCli();
    for (const [resource] of deletions) assert.ok(printed.includes(`${resource} was deleted`), printed);
    assert.match(printed, new RegExp(`teardown ${dataflow.target}, then provision <spec\\.json>`));

    const repaired = await teardownThenProvision();
    assert.equal(repaired.state, 'healthy', JSON.stringify(repaired.drift));
    for (const kind of Object.keys(ids) as Array<keyof typeof ids>) {
      if (kind !== 'mappingVersion' && kind !== 'schemaAltId') {
        assert.notEqual(repaired.ids[kind], ids[kind], `a new ${kind}`);
      }
    }
    await inAep.flowService.getFlow(repaired.ids.flowId);
  });

  it('names connections wired elsewhere, and teardown then provision wires them anew', async function () {
    this.timeout(120_000);
    dataflow = await monitoredDataflow(reconcileEverySecond);
    const { ids } = dataflow.provisioned;
    const { admin } = dataflow;
    const inAep = await someoneInAep();

    // AEP's PATCH lets a target connection write into another dataset: one of the same schema.
    const otherDatasetId = await inAep.catalog.createDataset({
      name: `${dataflow.sandbox} elsewhere`,
      schemaRef: { id: ids.schemaId, contentType: 'application/vnd.adobe.xed-full+json;version=1' },
    });
    const target = await inAep.flowService.getTargetConnection(ids.targetConnectionId);
    await inAep.flowService.patchTargetConnection(
      ids.targetConnectionId,
      [{ op: 'replace', path: '/params/dataSetId', value: otherDatasetId }],
      target.etag,
    );
    await driftNamed(
      `target connection ${ids.targetConnectionId} writes into dataset ${otherDatasetId} (expected ${ids.datasetId})`,
    );

    // What AEP's PATCH refuses, its own back end may still leave behind.
    await admin.alterResource('sourceConnections', ids.sourceConnectionId, { baseConnectionId: 'another-base' });
    await driftNamed(
      `source connection ${ids.sourceConnectionId} reads through base connection another-base (expected ${ids.baseConnectionId})`,
    );
    await admin.alterResource('flows', ids.flowId, { sourceConnectionIds: ['another-source'] });
    await driftNamed(`source connections another-source (expected ${ids.sourceConnectionId})`);
    await admin.alterResource('flows', ids.flowId, { targetConnectionIds: ['another-target'] });
    const status = await driftNamed(`target connections another-target (expected ${ids.targetConnectionId})`);
    assert.equal(status.drift?.repairable, false);
    assert.equal(status.drift?.differences.length, 4, JSON.stringify(status.drift));

    const printed = await statusCli();
    assert.match(printed, /wired elsewhere, which provision cannot change in place/);
    assert.match(printed, new RegExp(`teardown ${dataflow.target}, then provision <spec\\.json>`));

    const repaired = await teardownThenProvision();
    assert.equal(repaired.state, 'healthy', JSON.stringify(repaired.drift));
    const flow = await inAep.flowService.getFlow(repaired.ids.flowId);
    assert.deepEqual(flow.sourceConnectionIds, [repaired.ids.sourceConnectionId]);
    assert.deepEqual(flow.targetConnectionIds, [repaired.ids.targetConnectionId]);
    const source = await inAep.flowService.getSourceConnection(repaired.ids.sourceConnectionId);
    assert.equal(source.baseConnectionId, repaired.ids.baseConnectionId);
  });

  it('reads each of the eight resources once per look, whatever it finds', async function () {
    this.timeout(60_000);
    dataflow = await monitoredDataflow();
    const { ids } = dataflow.provisioned;
    const inspection = createInspectionActivities({
      aep: (aep ??= createAepClient(await simulatorAepSettings())),
      secrets: testSecretBox(),
    });
    // The monitor reconciles every 6 hours here, and the run feed lists runs: only this look's reads are counted.
    const readsOfResources = async () =>
      (await simulatorRequests(dataflow!.sandbox)).filter(
        (entry) => entry.method === 'GET' && !entry.path.endsWith('/runs'),
      );

    const before = (await readsOfResources()).length;
    const live = await inspection.inspectDataflow({ sandbox: dataflow.sandbox, ids });
    const reads = (await readsOfResources()).slice(before);
    assert.deepEqual(live.missing, []);
    assert.equal(reads.length, 8, JSON.stringify(reads.map((entry) => entry.path)));
    for (const id of [
      ids.flowId,
      ids.baseConnectionId,
      ids.sourceConnectionId,
      ids.targetConnectionId,
      ids.datasetId,
      ids.mappingSetId,
    ]) {
      assert.equal(reads.filter((entry) => entry.path.endsWith(`/${id}`)).length, 1, `one read of ${id}`);
    }
    assert.equal(reads.filter((entry) => /\/(schemas|fieldgroups)\//.test(entry.path)).length, 2);

    await (await someoneInAep()).flowService.deleteFlow(ids.flowId);
    const afterDelete = (await readsOfResources()).length;
    const withoutFlow = await inspection.inspectDataflow({ sandbox: dataflow.sandbox, ids });
    assert.deepEqual(withoutFlow.missing, [`flow ${ids.flowId}`]);
    assert.equal((await readsOfResources()).length - afterDelete, 8);
  });
});
