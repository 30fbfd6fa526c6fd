/**
 * Changing a live dataflow through the monitor (the CLI verbs, in-process): pause, resume, a schedule change, a new
 * name and description, and a new mapping, each checked on the simulator's flow; bad changes refused up front.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { request } from 'undici';
import { runPause, runResume } from '../../src/cli/pause-resume-commands';
import { runUpdate } from '../../src/cli/update-command';
import { connectTemporal } from '../../src/temporal/temporal-client';
import { updateDataflowUpdate } from '../../src/contracts/monitor-messages';
import { detailLabels, readmeSample } from '../harness/readme-samples';
import { getSimulator } from '../harness/simulator';
import {
  capturedIo,
  monitoredDataflow,
  simulatorRequests,
  sleep,
  waitFor,
  type MonitoredDataflow,
} from './monitor-fixtures';

interface SimulatedFlow {
  id: string;
  name: string;
  description?: string;
  state: string;
  scheduleParams: { frequency: string; interval?: number | string };
  transformations: Array<{ name: string; params: { mappingId: string; mappingVersion: number | string } }>;
}

interface SimulatedRun {
  flowId: string;
  metrics: { durationSummary: { startedAtUTC: number }; recordSummary: { outputRecordCount: number } };
}

describe('dataflow monitor: changing the dataflow', function () {
  let dataflow: MonitoredDataflow | undefined;

  afterEach(async function () {
    await dataflow?.dispose();
    dataflow = undefined;
  });

  async function simulatedFlow(): Promise<SimulatedFlow> {
    const flows = (await dataflow!.admin.resources(dataflow!.sandbox)).flows as unknown as SimulatedFlow[];
    assert.equal(flows.length, 1);
    return flows[0]!;
  }

  async function runsStartedAfter(instant: number): Promise<SimulatedRun[]> {
    const runs = (await dataflow!.admin.resources(dataflow!.sandbox)).runs as unknown as SimulatedRun[];
    return runs.filter((run) => run.metrics.durationSummary.startedAtUTC > instant);
  }

  async function cli() {
    const io = await capturedIo(dataflow!.scenario.taskQueue);
    return { io, deps: { io, connect: connectTemporal } };
  }

  it('pause stops the runs, resume starts them again', async function () {
    dataflow = await monitoredDataflow();
    await dataflow.waitForStatus('a first run', (status) => status.lastRuns.length > 0);

    const pause = await cli();
    assert.equal(await runPause(dataflow.target, { json: false }, pause.deps), 0, pause.io.stderr());
    assert.match(pause.io.stdout(), /flow paused \(AEP state: disabled\)/);
    assert.equal((await simulatedFlow()).state, 'disabled');
    const pausedAt = Date.now();
    assert.equal((await dataflow.status()).state, 'paused');
    await sleep(2500);
    assert.deepEqual(await runsStartedAfter(pausedAt), [], 'no run starts while paused (one would start every second)');

    const resume = await cli();
    assert.equal(await runResume(dataflow.target, { json: true }, resume.deps), 0, resume.io.stderr());
    assert.equal(
      (JSON.parse(resume.io.stdout()) as { outcome: { details: { flowState: string } } }).outcome.details.flowState,
      'enabled',
    );
    assert.equal((await simulatedFlow()).state, 'enabled');
    const resumedAt = Date.now();
    await waitFor('a run after resume', async () =>
      (await runsStartedAfter(resumedAt)).length > 0 ? true : undefined,
    );
    const status = await dataflow.waitForStatus('healthy again', (current) => current.state === 'healthy');
    assert.equal(status.paused, false);
  });

  it('pausing a paused flow, or resuming a running one, is a no-op that says so', async function () {
    dataflow = await monitoredDataflow();
    const first = await cli();
    assert.equal(await runPause(dataflow.target, { json: false }, first.deps), 0, first.io.stderr());
    const again = await cli();
    assert.equal(await runPause(dataflow.target, { json: false }, again.deps), 0, again.io.stderr());
    assert.match(again.io.stdout(), /flow already paused: nothing to do \(AEP state: disabled\)/);
    assert.doesNotMatch(again.io.stdout() + again.io.stderr(), /1422/);

    const resume = await cli();
    assert.equal(await runResume(dataflow.target, { json: false }, resume.deps), 0, resume.io.stderr());
    const resumeAgain = await cli();
    assert.equal(await runResume(dataflow.target, { json: false }, resumeAgain.deps), 0, resumeAgain.io.stderr());
    assert.match(resumeAgain.io.stdout(), /flow already resumed: nothing to do \(AEP state: enabled\)/);
    assert.equal((await simulatedFlow()).state, 'enabled');
  });

  it('changes the schedule, name and description with a PATCH of the flow', async function () {
    dataflow = await monitoredDataflow();
    const before = await simulatedFlow();

    const change = await cli();
    const code = await runUpdate(
      dataflow.target,
      { frequency: 'hour', interval: '15', name: 'Consent, renamed', description: 'Hourly now', json: false },
      change.deps,
    );
    assert.equal(code, 0, change.io.stderr());
    assert.match(change.io.stdout(), /dataflow updated: name, description, schedule/);
    // The README's sample changes no name: each of its labels is one the CLI really prints.
    const printed = detailLabels(change.io.stdout());
    for (const label of detailLabels(readmeSample('update', 1, 'docs/cli.md')))
      assert.ok(printed.includes(label), `README: "${label}"`);

    const after = await simulatedFlow();
    assert.equal(after.scheduleParams.frequency, 'hour');
    assert.equal(Number(after.scheduleParams.interval), 15);
    assert.equal(after.name, 'Consent, renamed');
    assert.ok(after.description?.startsWith('Hourly now'));
    const ownerTag = /\(managed by onetrust-aep-dataflows[^)]*\)/.exec(before.description ?? '')?.[0];
    assert.ok(ownerTag, `provisioning marked the flow: ${before.description}`);
    assert.ok(after.description?.includes(ownerTag), 'the mark survives a new description');
    const status = await dataflow.status();
    assert.deepEqual(
      { frequency: status.schedule.frequency, interval: status.schedule.interval },
      { frequency: 'hour', interval: 15 },
    );

    // Refused before anything is sent: the seed's interval rule, checked by the CLI and by the update's validator.
    const refusedStartedAt = Date.now();
    const refused = await cli();
    assert.equal(
      await runUpdate(dataflow.target, { frequency: 'minute', interval: '5', json: false }, refused.deps),
      2,
    );
    assert.match(refused.io.stderr(), /--interval: must be at least 15/);
    await assert.rejects(
      dataflow.handle.executeUpdate(updateDataflowUpdate, {
        args: [{ schedule: { frequency: 'minute', interval: 5 } }],
      }),
      (error: unknown) =>
        error instanceof WorkflowUpdateFailedError &&
        /schedule.interval: must be at least 15/.test(error.cause?.message ?? ''),
    );
    const patches = (await simulatorRequests(dataflow.sandbox)).filter(
      (entry) => entry.method === 'PATCH' && Date.parse(entry.time) >= refusedStartedAt,
    );
    assert.deepEqual(patches, [], 'a refused change makes no API call');
    assert.equal(Number((await simulatedFlow()).scheduleParams.interval), 15);
  });

  it('a new mapping becomes a new mapping-set version, the flow points at it, and the next run uses it', async function () {
    dataflow = await monitoredDataflow();
    const { datasetId, mappingSetId, flowId } = dataflow.provisioned.ids;
    const simulator = await getSimulator();
    const records = async (offset: number) => {
      const response = await request(
        `${simulator.url}/__sim/datasets/${datasetId}/records?offset=${offset}&limit=1000`,
      );
      return (await response.body.json()) as { count: number; items: Array<Record<string, unknown>> };
    };
    await waitFor('records from the first mapping', async () => ((await records(0)).count > 0 ? true : undefined));
    const firstRecord = (await records(0)).items[0]!;
    const tenantKey = Object.keys(firstRecord).find((key) => key.startsWith('_') && key !== '_id')!;
    assert.ok(
      Object.keys(firstRecord[tenantKey] as object).includes('CreatedDate'),
      'the default mapping writes CreatedDate',
    );

    const mappingFile = join(mkdtempSync(join(tmpdir(), 'mapping-')), 'mapping.json');
    writeFileSync(
      mappingFile,
      JSON.stringify([
        { source: 'content.Identifier', destination: '_id' },
        { source: 'content.Identifier', destination: '_{TENANT_ID}.Identifier' },
        { source: 'content.Language', destination: '_{TENANT_ID}.Language' },
      ]),
    );
    // Slow the schedule down first, so the only run after the change is the one this test starts.
    const slow = await cli();
    assert.equal(await runUpdate(dataflow.target, { frequency: 'week', interval: '15', json: false }, slow.deps), 0);
    const change = await cli();
    assert.equal(
      await runUpdate(dataflow.target, { mapping: mappingFile, json: true }, change.deps),
      0,
      change.io.stderr(),
    );
    const outcome = (JSON.parse(change.io.stdout()) as { outcome: { details: { mappingVersion: number } } }).outcome;
    assert.equal(outcome.details.mappingVersion, 1);

    const flow = await simulatedFlow();
    assert.equal(flow.transformations[0]!.params.mappingId, mappingSetId);
    assert.equal(Number(flow.transformations[0]!.params.mappingVersion), 1);
    assert.equal((await dataflow.status()).ids.mappingVersion, 1);

    // Start runs by hand until one finds changed OneTrust subjects to map (about two change per second).
    const countBefore = (await records(0)).count;
    let lastStartedAt = 0;
    const added = await waitFor('records written by a run after the change', async () => {
      const page = await records(countBefore);
      if (page.items.length > 0) return page.items;
      if (Date.now() - lastStartedAt > 1500) {
        lastStartedAt = Date.now();
        await dataflow!.admin.startRun(flowId);
      }
      return undefined;
    });
    for (const record of added) {
      assert.deepEqual(
        Object.keys(record[tenantKey] as object).sort(),
        ['Identifier', 'Language'],
        'mapped with version 1',
      );
    }
  });
});
