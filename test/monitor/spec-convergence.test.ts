/**
 * `provision` converges: run again with a changed spec, it changes the live dataflow to match (schedule,
 * description, mapping, token, alert webhook, token warnings) through the monitor, says what it changed and what it
 * kept, and a run with nothing to change writes nothing. Drift: what someone changes or deletes in AEP behind the
 * monitor's back is the `drifted` state with one alert per distinct drift; `provision` puts back what it can.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createAepClient, type AepClient } from '../../src/aep';
import { exitCodes } from '../../src/runtime/command-io';
import { applySpecToDataflow } from '../../src/cli/apply-spec';
import { runProvision } from '../../src/cli/provision-command';
import { dataflowMonitor } from '../../src/workflows/dataflow-monitor';
import { runStatus } from '../../src/cli/status-command';
import { connectTemporal } from '../../src/temporal/temporal-client';
import { simulatorAepSettings } from '../harness/test-worker';
import { monitorWorkflowId } from '../../src/contracts/workflow-ids';
import { getTemporal } from '../harness/temporal';
import { fastActivityTiming, workflowInput } from '../provisioning/provisioning-fixtures';
import {
  capturedIo,
  historiesText,
  monitoredDataflow,
  simulatorRequests,
  startAlertReceiver,
  waitFor,
  type AlertReceiver,
  type MonitoredDataflow,
} from './monitor-fixtures';

const specDirectory = mkdtempSync(join(tmpdir(), 'converge-specs-'));

describe('provision converges a dataflow to its spec, and the monitor notices drift', function () {
  let dataflow: MonitoredDataflow | undefined;
  let otherReceiver: AlertReceiver | undefined;
  let aep: AepClient | undefined;

  afterEach(async function () {
    await dataflow?.dispose();
    await otherReceiver?.close();
    dataflow = undefined;
    otherReceiver = undefined;
  });

  after(async function () {
    await aep?.close();
  });

  /** Someone with AEP credentials and the AEP UI: changes made behind the monitor's back. */
  async function someoneInAep() {
    aep ??= createAepClient(await simulatorAepSettings());
    return aep.forSandbox(dataflow!.sandbox);
  }

  async function provisionCli(spec: Record<string, unknown>, env: NodeJS.ProcessEnv = dataflow!.scenario.env) {
    const path = join(specDirectory, `${dataflow!.sandbox}-${Math.random().toString(16).slice(2)}.json`);
    writeFileSync(path, JSON.stringify(spec));
    const io = await capturedIo(dataflow!.scenario.taskQueue);
    const exitCode = await runProvision(
      path,
      { wait: true, json: false },
      {
        io: { ...io, env: { ...io.env, ...env } },
        connect: connectTemporal,
        pollIntervalMs: 100,
        inputOverrides: { activityTiming: fastActivityTiming },
      },
    );
    return { exitCode, stdout: io.stdout(), stderr: io.stderr() };
  }

  async function statusRefresh() {
    const io = await capturedIo(dataflow!.scenario.taskQueue);
    const exitCode = await runStatus(
      dataflow!.target,
      { json: false, refresh: true },
      { io, connect: connectTemporal },
    );
    return { exitCode, stdout: io.stdout() };
  }

  async function writesDuring(work: () => Promise<unknown>) {
    const before = (await simulatorRequests(dataflow!.sandbox)).length;
    await work();
    return (await simulatorRequests(dataflow!.sandbox)).slice(before).filter((entry) => entry.method !== 'GET');
  }

  it('changes schedule, description, mapping, token warnings and the webhook, and then has nothing to change', async function () {
    this.timeout(120_000);
    dataflow = await monitoredDataflow();
    otherReceiver = await startAlertReceiver();
    const versionBefore = dataflow.provisioned.ids.mappingVersion;
    const changed = {
      ...dataflow.scenario.spec,
      description: 'Every half hour now',
      schedule: { frequency: 'minute', interval: 30 },
      mapping: [
        { sourceType: 'ATTRIBUTE', source: 'content.Identifier', destination: '_{TENANT_ID}.Identifier' },
        { sourceType: 'ATTRIBUTE', source: 'content.Language', destination: '_{TENANT_ID}.Language' },
      ],
      monitor: { tokenWarnings: ['30d'] },
      alerts: { webhookUrl: otherReceiver.url },
    };

    const applied = await provisionCli(changed);

    assert.equal(applied.exitCode, exitCodes.ok, applied.stdout + applied.stderr);
    assert.match(applied.stdout, /already exists/);
    assert.match(applied.stdout, /Applied the spec:/);
    assert.match(applied.stdout, /schedule\.interval 15 → 30/);
    assert.match(
      applied.stdout,
      /description changed: .* → "OneTrust consent dataflow "consent": Every half hour now"/,
    );
    assert.match(applied.stdout, /mapping: \d+ rule\(s\) removed/);
    assert.match(applied.stdout, /token warnings \(defaults\) → 30d/);
    assert.match(applied.stdout, /alerts: webhook changed/);

    const flow = await (await someoneInAep()).flowService.getFlow(dataflow.provisioned.ids.flowId);
    assert.equal(Number(flow.scheduleParams?.interval), 30);
    assert.match(flow.description ?? '', /Every half hour now/);
    const status = await dataflow.status();
    assert.ok(status.ids.mappingVersion > versionBefore, 'a new mapping-set version');
    assert.equal(Number(flow.transformations?.[0]?.params?.mappingVersion), status.ids.mappingVersion);
    assert.deepEqual(status.token.warningLeadTimes, ['30d']);
    assert.equal(status.state, 'healthy');

    let again: Awaited<ReturnType<typeof provisionCli>> | undefined;
    const writes = await writesDuring(async () => (again = await provisionCli(changed)));
    assert.equal(again!.exitCode, exitCodes.ok, again!.stdout);
    assert.match(again!.stdout, /Nothing to change: the dataflow matches the spec\./);
    // The ids listed are the ones in use: the mapping moved on from the version provisioning made.
    for (const output of [applied.stdout, again!.stdout]) {
      assert.match(
        output,
        new RegExp(`Mapping set +${status.ids.mappingSetId} \\(version ${status.ids.mappingVersion}\\)`),
      );
    }
    assert.deepEqual(writes, [], 'nothing was written to AEP');
  });

  it('replaces the token only with one that expires later, and says why it kept the current one', async function () {
    this.timeout(120_000);
    dataflow = await monitoredDataflow({ tokenExpiresInSeconds: 30 * 24 * 3600 });
    const { admin, scenario } = dataflow;
    const connectionPatches = (entries: Array<{ method: string; path: string }>) =>
      entries.filter((entry) => entry.method === 'PATCH' && entry.path.includes('/connections/'));

    const older = (await admin.mintOneTrustToken(10 * 24 * 3600)).access_token;
    let kept: Awaited<ReturnType<typeof provisionCli>> | undefined;
    const keptWrites = await writesDuring(
      async () => (kept = await provisionCli(scenario.spec, { ...scenario.env, ONETRUST_ACCESS_TOKEN: older })),
    );
    assert.equal(kept!.exitCode, exitCodes.ok, kept!.stdout);
    assert.match(kept!.stdout, /kept:\n\s+- the OneTrust token in use \(expires .*\): the spec's expires earlier/);
    assert.deepEqual(connectionPatches(keptWrites), []);

    const newer = (await admin.mintOneTrustToken(90 * 24 * 3600)).access_token;
    const before = (await dataflow.status()).token.expiresAt;
    let replaced: Awaited<ReturnType<typeof provisionCli>> | undefined;
    const replacedWrites = await writesDuring(
      async () => (replaced = await provisionCli(scenario.spec, { ...scenario.env, ONETRUST_ACCESS_TOKEN: newer })),
    );
    assert.equal(replaced!.exitCode, exitCodes.ok, replaced!.stdout);
    assert.match(replaced!.stdout, /OneTrust token replaced by the spec's \(expires /);
    assert.equal(connectionPatches(replacedWrites).length, 1, 'one PATCH of the base connection');
    const after = (await dataflow.status()).token.expiresAt;
    assert.ok(Date.parse(after) > Date.parse(before), `${after} > ${before}`);
    assert.equal(dataflow.alerts.ofKind('token-rotated').length, 1);
    // Both tokens went through the CLI and the monitor sealed: neither is in any history, nor in the output.
    const histories = await historiesText(dataflow.handle.workflowId);
    for (const token of [older, newer]) {
      assert.ok(!histories.includes(token), 'no token in the monitor history');
      assert.ok(
        !`${kept!.stdout}${replaced!.stdout}${kept!.stderr}${replaced!.stderr}`.includes(token),
        'no token printed',
      );
    }
  });

  it('notices a flow disabled and rescheduled in AEP once per distinct drift, and provision puts it back', async function () {
    this.timeout(120_000);
    dataflow = await monitoredDataflow();
    const { flowId } = dataflow.provisioned.ids;
    const inAep = await someoneInAep();

    await inAep.flowService.flowAction(flowId, 'disable');
    const disabled = await statusRefresh();
    assert.match(disabled.stdout, /drift\s+since .*: flow state disabled \(expected enabled\)/);
    assert.match(disabled.stdout, /provision the spec again to put it back/);
    assert.equal((await dataflow.status()).state, 'drifted');
    await statusRefresh();
    assert.equal(dataflow.alerts.ofKind('drifted').length, 1, 'the same drift is alerted once');

    const flow = await inAep.flowService.getFlow(flowId);
    await inAep.flowService.patchFlow(
      flowId,
      [{ op: 'replace', path: '/scheduleParams/interval', value: 45 }],
      flow.etag,
    );
    const rescheduled = await statusRefresh();
    assert.match(rescheduled.stdout, /schedule every 45 minute\(s\) \(expected every 15 minute\(s\)\)/);
    assert.equal(dataflow.alerts.ofKind('drifted').length, 2, 'a new drift is a new alert');

    const repaired = await provisionCli(dataflow.scenario.spec);
    assert.equal(repaired.exitCode, exitCodes.ok, repaired.stdout);
    assert.match(repaired.stdout, /flow state disabled → enabled/);
    assert.match(repaired.stdout, /schedule\.interval 45 → 15/);
    const back = await inAep.flowService.getFlow(flowId);
    assert.equal(back.state, 'enabled');
    assert.equal(Number(back.scheduleParams?.interval), 15);
    const status = await dataflow.status();
    assert.equal(status.state, 'healthy', JSON.stringify(status.drift));
    await waitFor('the drift-resolved alert', () =>
      Promise.resolve(dataflow!.alerts.ofKind('drift-resolved').length === 1),
    );
  });

  it('notices a flow pointed at another mapping version and puts it back', async function () {
    this.timeout(120_000);
    dataflow = await monitoredDataflow();
    const { flowId, mappingSetId, mappingVersion } = dataflow.provisioned.ids;
    const inAep = await someoneInAep();
    // Someone saves a new version of the mapping in the AEP UI and points the flow at it.
    const mappingSet = await inAep.dataPrep.getMappingSet(mappingSetId);
    const { version: otherVersion } = await inAep.dataPrep.updateMappingSet(mappingSetId, {
      outputSchema: mappingSet.outputSchema,
      mappings: mappingSet.mappings.slice(0, 2),
    });
    const flow = await inAep.flowService.getFlow(flowId);
    const transformation = flow.transformations![0]!;
    await inAep.flowService.patchFlow(
      flowId,
      [
        {
          op: 'replace',
          path: '/transformations/0',
          value: { ...transformation, params: { ...transformation.params, mappingVersion: otherVersion } },
        },
      ],
      flow.etag,
    );

    const drifted = await statusRefresh();
    assert.match(
      drifted.stdout,
      new RegExp(`mapping ${mappingSetId} v${otherVersion} \\(expected ${mappingSetId} v${mappingVersion}\\)`),
    );

    const repaired = await provisionCli(dataflow.scenario.spec);
    assert.match(repaired.stdout, new RegExp(`the flow uses mapping v${mappingVersion} again`));
    const back = await inAep.flowService.getFlow(flowId);
    assert.equal(Number(back.transformations?.[0]?.params?.mappingVersion), mappingVersion);
    assert.equal((await dataflow.status()).state, 'healthy');
  });

  it('names the schema and dataset another dataflow shares, and never changes them', async function () {
    this.timeout(120_000);
    dataflow = await monitoredDataflow();
    const { ids } = dataflow.provisioned;
    // A second dataflow in the same sandbox writing into the first one's dataset (same schema title, dataset name).
    const second = { ...dataflow.scenario.spec, name: 'consent-second', description: 'Into the same dataset' };
    const first = await provisionCli(second);
    assert.equal(first.exitCode, exitCodes.ok, first.stdout + first.stderr);
    const inAep = await someoneInAep();
    const datasetBefore = (await inAep.catalog.getDataset(ids.datasetId)).description;

    const again = await provisionCli({ ...second, description: 'Still into the same dataset' });
    assert.equal(again.exitCode, exitCodes.ok, again.stdout);
    assert.match(
      again.stdout,
      /shared:\n\s+- target schema .*dataflow .*\/consent's\): reused, never changed by this dataflow/,
    );
    assert.match(
      again.stdout,
      new RegExp(`- dataset ${ids.datasetId} \\(dataflow .*/consent's\\): reused, never changed`),
    );
    assert.match(
      again.stdout,
      /description changed: .* → "OneTrust consent dataflow "consent-second": Still into the same dataset"/,
    );
    assert.equal(
      (await inAep.catalog.getDataset(ids.datasetId)).description,
      datasetBefore,
      'the dataset is untouched',
    );
    const { client } = await getTemporal();
    await client.workflow
      .getHandle(monitorWorkflowId(dataflow.sandbox, 'consent-second'))
      .terminate('test finished')
      .catch(() => undefined);
  });

  it('says at once that no worker polls the monitor’s task queue, instead of waiting to apply the spec', async function () {
    this.timeout(60_000);
    dataflow = await monitoredDataflow();
    const { client } = await getTemporal();
    const orphan = await client.workflow.start(dataflowMonitor, {
      workflowId: monitorWorkflowId(dataflow.sandbox, 'orphan'),
      taskQueue: `${dataflow.scenario.taskQueue}-nobody`,
      args: [{ dataflow: { ...dataflow.descriptor, name: 'orphan' } }],
    });
    const io = await capturedIo(dataflow.scenario.taskQueue);
    const session = await connectTemporal(io.env);
    try {
      const input = { ...workflowInput(dataflow.scenario), name: 'orphan' };
      const applied = await applySpecToDataflow(session, input, { tokenUnconfirmed: false, workerGraceMs: 1_000 });
      assert.equal(applied.ok, false);
      assert.match(applied.summary, /no worker is polling task queue ".*-nobody"/);
    } finally {
      await session.close();
      await orphan.terminate('test finished');
    }
  });

  it('reports a deleted dataset as drift that needs teardown and provision', async function () {
    this.timeout(120_000);
    dataflow = await monitoredDataflow();
    const { datasetId } = dataflow.provisioned.ids;
    await (await someoneInAep()).catalog.deleteDataset(datasetId);

    const drifted = await statusRefresh();
    assert.match(drifted.stdout, new RegExp(`dataset ${datasetId} was deleted`));
    assert.match(drifted.stdout, new RegExp(`teardown ${dataflow.target}, then provision`));
    // The dataset is gone: nothing is left to keep, so a plain teardown, and status says why.
    assert.match(drifted.stdout, /its dataset is gone, so no data is left to keep/);
    assert.doesNotMatch(drifted.stdout, /--keep-data/);
    const status = await dataflow.status();
    assert.equal(status.state, 'drifted');
    assert.equal(status.drift?.repairable, false);
    assert.equal(dataflow.alerts.ofKind('drifted').length, 1);
  });
});
