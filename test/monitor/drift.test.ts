/**
 * Drift of every kind, found by the monitor's own reconcile (every second here): each resource of a provisioned
 * dataflow deleted in AEP, and its connections wired to other resources. The status, the `status` command and the
 * alert name the kind and the id, and the repair they name, followed word for word, puts the dataflow back without
 * losing data that is still there: `teardown --keep-data`, then provision, which writes into the same dataset; a
 * plain teardown only when the dataset itself is gone; new target names when its schema is gone. One look reads
 * each of the dataflow's eight resources once.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createActivities } from '../../src/activities';
import { createInspectionActivities } from '../../src/activities/monitor/inspect-dataflow';
import { createAepClient, type AepClient, type SandboxClient } from '../../src/aep';
import { exitCodes } from '../../src/runtime/command-io';
import { runProvision } from '../../src/cli/provision-command';
import { runStatus } from '../../src/cli/status-command';
import { runTeardown } from '../../src/cli/teardown-command';
import { connectTemporal } from '../../src/temporal/temporal-client';
import { isManagedBy } from '../../src/contracts/ownership-mark';
import { statusQuery } from '../../src/contracts/monitor-messages';
import type { MonitorStatus } from '../../src/contracts/monitor-status';
import type { LookResult } from '../../src/contracts/run-feed-state';
import { monitorWorkflowId } from '../../src/contracts/workflow-ids';
import { documentationLines } from '../harness/readme-samples';
import { asRunFeedAttempt } from '../harness/run-feed-attempt';
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

  /** How many records the simulator holds in a dataset; undefined when the dataset is gone. */
  async function recordsIn(datasetId: string): Promise<number | undefined> {
    const datasets = (await dataflow!.admin.resources(dataflow!.sandbox)).dataSets ?? [];
    const found = datasets.find((dataset) => dataset.id === datasetId);
    return found === undefined ? undefined : (found.recordCount as number);
  }

  /** Starts runs of the flow by hand until the dataset holds more than `moreThan` records; answers the count. */
  async function runWritesInto(flowId: string, datasetId: string, moreThan: number): Promise<number> {
    let lastStartedAt = 0;
    return waitFor(`a run of flow ${flowId} writing into dataset ${datasetId}`, async () => {
      const count = (await recordsIn(datasetId)) ?? 0;
      if (count > moreThan) return count;
      if (Date.now() - lastStartedAt > 1_500) {
        lastStartedAt = Date.now();
        await dataflow!.admin.startRun(flowId);
      }
      return undefined;
    });
  }

  /** Provisions a spec with the CLI, waiting for the end; answers the exit code and what it printed. */
  async function provisionCli(spec: Record<string, unknown>): Promise<{ exitCode: number; printed: string }> {
    const path = join(specDirectory, `${dataflow!.sandbox}.json`);
    writeFileSync(path, JSON.stringify(spec));
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
    return { exitCode, printed: io.stdout() + io.stderr() };
  }

  async function teardownCli(keepData: boolean): Promise<string> {
    const io = await capturedIo(dataflow!.scenario.taskQueue);
    const exitCode = await runTeardown(dataflow!.target, { keepData, json: false }, { io, connect: connectTemporal });
    assert.equal(exitCode, exitCodes.ok, io.stdout() + io.stderr());
    return io.stdout();
  }

  /**
   * Does what `status` printed as the repair, word for word: `teardown [--keep-data] <sandbox/name>`, then provision
   * the spec (with new target names when it says so). Answers the new monitor's status once `status --refresh`
   * finds no drift.
   */
  async function repairAsPrinted(printed: string): Promise<MonitorStatus> {
    await teardownAsPrinted(printed);
    return provisionAsPrinted(printed);
  }

  async function teardownAsPrinted(printed: string): Promise<void> {
    const teardown = new RegExp(`teardown (--keep-data )?${dataflow!.target}\\b`).exec(printed);
    assert.ok(teardown, `status names a teardown of ${dataflow!.target}:\n${printed}`);
    await teardownCli(teardown[1] !== undefined);
  }

  async function provisionAsPrinted(printed: string): Promise<MonitorStatus> {
    const { spec } = dataflow!.scenario;
    const newTargetNames = /provision the spec with a new target\.datasetName and target\.schemaTitle/.test(printed);
    const target = spec.target as { schemaTitle: string; datasetName: string };
    const provisioned = await provisionCli(
      newTargetNames
        ? {
            ...spec,
            target: { schemaTitle: `${target.schemaTitle} (2)`, datasetName: `${target.datasetName} (2)` },
          }
        : spec,
    );
    assert.equal(provisioned.exitCode, exitCodes.ok, provisioned.printed);
    assert.match(provisioned.printed, /is provisioned in sandbox/);

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

  /**
   * What a repair that keeps the data promises: the same dataset (with this dataflow's mark), schema and field
   * group, none of its records lost, and the next run writing into it.
   */
  async function assertTheDataWasKept(
    before: { ids: MonitorStatus['ids']; records: number },
    repaired: MonitorStatus,
  ): Promise<void> {
    assert.equal(repaired.state, 'healthy', JSON.stringify(repaired.drift));
    assert.equal(repaired.ids.datasetId, before.ids.datasetId, 'provision reused the kept dataset');
    assert.equal(repaired.ids.schemaId, before.ids.schemaId, 'and its schema');
    assert.equal(repaired.ids.fieldGroupId, before.ids.fieldGroupId, 'and its field group');
    assert.notEqual(repaired.ids.flowId, before.ids.flowId, 'a new flow');
    const dataset = await (await someoneInAep()).catalog.getDataset(repaired.ids.datasetId);
    assert.ok(isManagedBy(dataset.description, dataflow!.sandbox, dataflow!.name), dataset.description);
    const kept = await recordsIn(before.ids.datasetId);
    assert.ok(kept !== undefined && kept >= before.records, `records kept: ${kept} of ${before.records}`);
    await runWritesInto(repaired.ids.flowId, before.ids.datasetId, kept);
  }

  /** The dataflow with records in its dataset: what a repair must not lose. */
  async function withRecords(): Promise<{ ids: MonitorStatus['ids']; records: number }> {
    const { ids } = dataflow!.provisioned;
    return { ids, records: await runWritesInto(ids.flowId, ids.datasetId, 0) };
  }

  it('names each resource deleted through AEP; with the dataset gone, teardown then provision makes it anew', async function () {
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
    // Nothing is left to keep: a plain teardown, and status says why.
    assert.match(printed, /its dataset is gone, so no data is left to keep/);
    assert.match(printed, new RegExp(`teardown ${dataflow.target}, then provision <spec\\.json>`));
    assert.doesNotMatch(printed, /--keep-data/);

    const repaired = await repairAsPrinted(printed);
    assert.equal(repaired.state, 'healthy', JSON.stringify(repaired.drift));
    for (const kind of Object.keys(ids) as Array<keyof typeof ids>) {
      if (kind !== 'mappingVersion' && kind !== 'schemaAltId') {
        assert.notEqual(repaired.ids[kind], ids[kind], `a new ${kind}`);
      }
    }
    await inAep.flowService.getFlow(repaired.ids.flowId);
  });

  it('with the flow and connections deleted but the dataset there, the repair keeps the dataset and its records', async function () {
    this.timeout(120_000);
    dataflow = await monitoredDataflow(reconcileEverySecond);
    const before = await withRecords();
    const { ids } = before;
    const inAep = await someoneInAep();

    await inAep.flowService.deleteFlow(ids.flowId);
    await inAep.flowService.deleteTargetConnection(ids.targetConnectionId);
    await inAep.dataPrep.deleteMappingSet(ids.mappingSetId);
    await driftNamed(`mapping set ${ids.mappingSetId} was deleted`);

    const printed = await statusCli();
    assert.ok(printed.includes(`flow ${ids.flowId} was deleted`), printed);
    assert.ok(printed.includes(`target connection ${ids.targetConnectionId} was deleted`), printed);
    assert.match(printed, new RegExp(`teardown --keep-data ${dataflow.target}, then provision <spec\\.json>`));
    assert.match(printed, /writes into the same dataset/);
    const repairLine = printed.split('\n').find((line) => line.includes('--keep-data'))!;
    assert.ok(
      documentationLines().includes(repairLine.replace(dataflow.target, 'prod/consent-demo')),
      `the docs show this repair as printed: ${repairLine}`,
    );

    await assertTheDataWasKept(before, await repairAsPrinted(printed));
  });

  it('with the schema gone but the dataset there, the repair keeps the dataset and its records and writes anew elsewhere', async function () {
    this.timeout(120_000);
    dataflow = await monitoredDataflow(reconcileEverySecond);
    const before = await withRecords();
    const { ids } = before;
    const inAep = await someoneInAep();

    // The simulator refuses to delete a schema a dataset follows (whether AEP does is not documented): the dataset
    // lets go of its schema for the delete and gets it back, as AEP's back end may leave them.
    const { schemaRef } = await inAep.catalog.getDataset(ids.datasetId);
    await dataflow.admin.alterResource('dataSets', ids.datasetId, { schemaRef: null });
    await inAep.schemaRegistry.deleteSchema(ids.schemaId);
    await dataflow.admin.alterResource('dataSets', ids.datasetId, { schemaRef });
    await driftNamed(`schema ${ids.schemaId} was deleted`);

    const printed = await statusCli();
    assert.match(printed, new RegExp(`the schema of dataset ${ids.datasetId} is gone`));
    assert.match(printed, new RegExp(`teardown --keep-data ${dataflow.target}\\)`));
    assert.match(printed, /provision the spec with a new target\.datasetName and target\.schemaTitle/);

    // Why new names: the spec as it was makes a new schema, then refuses the kept dataset, which follows the old.
    await teardownAsPrinted(printed);
    const kept = await recordsIn(ids.datasetId);
    assert.ok(kept !== undefined && kept >= before.records, `records kept: ${kept} of ${before.records}`);
    const asItWas = await provisionCli(dataflow.scenario.spec);
    assert.notEqual(asItWas.exitCode, exitCodes.ok, asItWas.printed);
    assert.match(asItWas.printed, new RegExp(`already exists with schema ${ids.schemaId}`));

    const repaired = await provisionAsPrinted(printed);
    assert.equal(repaired.state, 'healthy', JSON.stringify(repaired.drift));
    assert.notEqual(repaired.ids.datasetId, ids.datasetId, 'a new dataset');
    await runWritesInto(repaired.ids.flowId, repaired.ids.datasetId, 0);
    assert.equal(
      await recordsIn(ids.datasetId),
      kept,
      'the kept dataset holds its records, and new runs write elsewhere',
    );
  });

  it('names connections wired elsewhere, and teardown --keep-data then provision wires them anew into the same dataset', async function () {
    this.timeout(120_000);
    dataflow = await monitoredDataflow(reconcileEverySecond);
    const before = await withRecords();
    const { ids } = before;
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
    assert.match(printed, new RegExp(`teardown --keep-data ${dataflow.target}, then provision <spec\\.json>`));

    const repaired = await repairAsPrinted(printed);
    await assertTheDataWasKept(before, repaired);
    const targetConnection = await inAep.flowService.getTargetConnection(repaired.ids.targetConnectionId);
    assert.equal(targetConnection.params?.dataSetId, ids.datasetId);
    const flow = await inAep.flowService.getFlow(repaired.ids.flowId);
    assert.deepEqual(flow.sourceConnectionIds, [repaired.ids.sourceConnectionId]);
    assert.deepEqual(flow.targetConnectionIds, [repaired.ids.targetConnectionId]);
    const source = await inAep.flowService.getSourceConnection(repaired.ids.sourceConnectionId);
    assert.equal(source.baseConnectionId, repaired.ids.baseConnectionId);
  });

  it("after teardown --keep-data and provision, a late failed run of the old flow is not the new dataflow's", async function () {
    this.timeout(120_000);
    // The feed's own look is an hour away: the looks below are the only ones, made by one worker's activities.
    dataflow = await monitoredDataflow({ runFeed: { intervalMs: 3_600_000 } });
    const { admin, sandbox } = dataflow;
    const oldFlowId = dataflow.provisioned.ids.flowId;
    const { client } = await getTemporal();
    aep ??= createAepClient(await simulatorAepSettings());
    const feed = createActivities({ aep, secrets: testSecretBox(), temporalClient: () => client });
    const look = (deliveredIds: string[]): Promise<LookResult> =>
      asRunFeedAttempt(1, () =>
        feed.deliverSandboxRuns({
          sandbox,
          listFromMs: Date.now() - 15 * 60_000,
          pageSize: 500,
          followed: [],
          deliveredIds,
          lookNow: [],
          asOfMs: Date.now(),
        }),
      );

    // A look hands on a run of the old flow: this worker now knows the old flow as the dataflow's.
    await endedRun(oldFlowId, 'success');
    const first = await look([]);
    // The old flow's last run fails, and ends before any look sees it; then the repair that status names.
    await admin.failRuns(sandbox, 1);
    const lateFailure = await endedRun(oldFlowId, 'failed');
    await admin.failRuns(sandbox, 0);
    await teardownCli(true);
    const reprovisioned = await provisionCli(dataflow.scenario.spec);
    assert.equal(reprovisioned.exitCode, exitCodes.ok, reprovisioned.printed);
    const handle = client.workflow.getHandle(monitorWorkflowId(sandbox, dataflow.name));
    const newFlowId = (await handle.query(statusQuery)).ids.flowId;
    assert.notEqual(newFlowId, oldFlowId);
    const newRun = await endedRun(newFlowId, 'success');

    // One look lists both: the old flow's failure and the new flow's success, for the same monitor.
    const second = await look(first.delivered.map(([id]) => id));
    const handedOn = second.delivered.map(([id]) => id);
    assert.ok(handedOn.includes(lateFailure) && handedOn.includes(newRun), 'the look handed both runs on');
    const status = await waitFor('the new monitor to learn of its run', async () => {
      const current = await handle.query(statusQuery);
      return current.lastRuns.some((run) => run.id === newRun) ? current : undefined;
    });
    const flowService = (await someoneInAep()).flowService;
    for (const run of status.lastRuns) {
      assert.equal((await flowService.getRun(run.id)).flowId, newFlowId, `run ${run.id} is of the new flow`);
    }
    assert.equal(status.counts.runsFailed, 0);
    assert.equal(status.state, 'healthy');
  });

  /** Starts a run of the flow by hand and waits until it has ended with `outcome`; answers its id. */
  async function endedRun(flowId: string, outcome: 'success' | 'failed'): Promise<string> {
    const { id } = await dataflow!.admin.startRun(flowId);
    const flowService = (await someoneInAep()).flowService;
    const status = await waitFor(`run ${id} of flow ${flowId} to end`, async () => {
      const current = (await flowService.getRun(id)).metrics.statusSummary.status;
      return current === 'success' || current === 'failed' ? current : undefined;
    });
    assert.equal(status, outcome, `run ${id} ended ${status}`);
    return id;
  }

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
