/**
 * Issue 18, item 6: teardown finishes whatever happens on the way, and touches nothing of another dataflow. Each test
 * tears down dataflow A beside dataflow B in the same sandbox, with something going wrong: the worker SIGKILLed
 * mid-teardown, a DELETE that AEP performed but whose answer was lost, 429s with Retry-After, a delete refused until
 * teardown's retry window runs out (then a second teardown). Each ends with none of A's resources left and every one
 * of B's exactly as it was.
 */
import assert from 'node:assert/strict';
import { runTeardown } from '../../src/cli/teardown-command';
import { connectTemporal } from '../../src/temporal/temporal-client';
import type { DataflowIds } from '../../src/contracts/dataflow-types';
import type { DataflowMonitorInput } from '../../src/contracts/monitor-messages';
import type { ProvisionDataflowResult } from '../../src/contracts/provisioning-messages';
import { getTemporal } from '../harness/temporal';
import { childProcessEnv, startTestWorker, type TestWorker } from '../harness/test-worker';
import {
  provision,
  resourcesOf,
  simulatorAdmin,
  workflowInput,
  type Scenario,
} from '../provisioning/provisioning-fixtures';
import { spawnTsx, workflowBundleFile, type SpawnedProcess } from '../provisioning/spawned-process';
import { capturedIo, monitoredDataflow, simulatorRequests, type MonitoredDataflow } from './monitor-fixtures';

/** Short retries, a short window of 20 s, and an attempt a dead worker held is taken over after 5 s. */
const quickTeardown: NonNullable<DataflowMonitorInput['teardownTiming']> = {
  initialInterval: '100ms',
  maximumInterval: '500ms',
  retryTimeout: '20s',
  startToCloseTimeout: '5s',
};

/** A's resources as the teardown plan names them, with the path each one's DELETE goes to. */
function deletesOf(ids: DataflowIds): Array<{ label: string; path: string }> {
  return [
    { label: `flow ${ids.flowId}`, path: `/flowservice/flows/${ids.flowId}` },
    { label: `targetConnection ${ids.targetConnectionId}`, path: `/targetConnections/${ids.targetConnectionId}` },
    { label: `sourceConnection ${ids.sourceConnectionId}`, path: `/sourceConnections/${ids.sourceConnectionId}` },
    { label: `baseConnection ${ids.baseConnectionId}`, path: `/flowservice/connections/${ids.baseConnectionId}` },
    { label: `mappingSet ${ids.mappingSetId}`, path: `/mappingSets/${ids.mappingSetId}` },
    { label: `dataset ${ids.datasetId}`, path: `/dataSets/${ids.datasetId}` },
    { label: `schema ${ids.schemaAltId}`, path: `/schemas/${encodeURIComponent(ids.schemaAltId)}` },
    { label: `fieldGroup ${ids.fieldGroupId}`, path: `/fieldgroups/${encodeURIComponent(ids.fieldGroupId)}` },
  ];
}

/** How the simulator counts a dataset's DELETE on arrival (GET /__sim/request-counts). */
const datasetDeleteRoute = 'DELETE /data/foundation/catalog/dataSets/:id';

/** A fault rule's path for one resource's DELETE: the path, then the end or a query string. */
function exactly(path: string): string {
  return `${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(\\?|$)`;
}

/** Every resource id of a dataflow, as the simulator lists them (`$id` for XDM resources). */
function idList(ids: DataflowIds): string[] {
  return [
    ids.flowId,
    ids.targetConnectionId,
    ids.sourceConnectionId,
    ids.baseConnectionId,
    ids.mappingSetId,
    ids.datasetId,
    ids.schemaId,
    ids.fieldGroupId,
  ];
}

/** Everything of the sandbox that carries one of these ids, keyed by id (runs left out). */
async function resourcesWithIds(sandbox: string, ids: string[]): Promise<Record<string, unknown>> {
  const found: Record<string, unknown> = {};
  for (const [kind, list] of Object.entries(await resourcesOf(sandbox))) {
    if (kind === 'runs') continue;
    for (const resource of list) {
      const id = typeof resource.$id === 'string' ? resource.$id : resource.id;
      if (ids.includes(id)) found[id] = resource;
    }
  }
  return found;
}

/** Dataflow B: A's sandbox, its own dataset and schema, no monitor; it never runs during a test. */
async function provisionNeighbour(a: MonitoredDataflow): Promise<ProvisionDataflowResult> {
  const name = 'neighbour';
  const b: Scenario = {
    ...a.scenario,
    name,
    spec: {
      ...a.scenario.spec,
      name,
      target: { schemaTitle: `Neighbour ${a.sandbox}`, datasetName: `Neighbour ${a.sandbox}` },
      schedule: { frequency: 'once', startTime: Math.floor(Date.now() / 1000) + 30 * 24 * 3600 },
    },
  };
  return provision(b, workflowInput(b, { startMonitor: false }));
}

interface Neighbours {
  a: MonitoredDataflow;
  b: ProvisionDataflowResult;
  /** B's resources before the teardown, to compare with after. */
  bBefore: Record<string, unknown>;
}

async function neighbours(teardownTiming = quickTeardown): Promise<Neighbours> {
  const a = await monitoredDataflow({ monitorInput: { teardownTiming } });
  const b = await provisionNeighbour(a);
  const bBefore = await resourcesWithIds(a.sandbox, idList(b.ids));
  assert.equal(Object.keys(bBefore).length, 8, 'B has its eight resources');
  return { a, b, bBefore };
}

/** None of A's resources is left, B's are exactly as they were, and no call of the teardown went to one of B's. */
async function assertOnlyAGone({ a, b, bBefore }: Neighbours, teardownStartedAt: number): Promise<void> {
  assert.deepEqual(Object.keys(await resourcesWithIds(a.sandbox, idList(a.provisioned.ids))), [], 'nothing of A left');
  assert.deepEqual(await resourcesWithIds(a.sandbox, idList(b.ids)), bBefore, 'B untouched');
  const changesToB = (await simulatorRequests(a.sandbox)).filter(
    (entry) =>
      Date.parse(entry.time) >= teardownStartedAt &&
      entry.method !== 'GET' &&
      idList(b.ids).some((id) => entry.path.includes(id) || entry.path.includes(encodeURIComponent(id))),
  );
  assert.deepEqual(changesToB, [], 'no change was asked of B’s resources');
}

interface TeardownOutcome {
  deleted: string[];
  alreadyGone: string[];
  kept: string[];
}

async function teardownOutcome(a: MonitoredDataflow): Promise<TeardownOutcome> {
  return (await a.handle.result()).teardown.details as unknown as TeardownOutcome;
}

describe('teardown robustness: A torn down beside B, whatever happens on the way', function () {
  let pair: Neighbours | undefined;
  const extraWorkers: Array<TestWorker | SpawnedProcess> = [];

  afterEach(async function () {
    await (await simulatorAdmin()).clearFaults();
    for (const worker of extraWorkers.splice(0)) await worker.stop();
    await pair?.a.dispose();
    pair = undefined;
  });

  it('finishes on another worker when the worker doing it is SIGKILLed mid-teardown', async function () {
    this.timeout(150_000);
    pair = await neighbours();
    const { a } = pair;
    const ids = a.provisioned.ids;
    // The teardown runs on a worker in its own process; the test's in-process worker steps aside.
    await a.worker.stop();
    const env = {
      ...(await childProcessEnv(a.scenario.taskQueue)),
      WORKFLOW_BUNDLE_PATH: await workflowBundleFile(),
      LOG_LEVEL: 'INFO',
    };
    const doomed = spawnTsx('src/worker.ts', [], env);
    extraWorkers.push(doomed);
    await doomed.waitForOutput(/worker started/, 60_000);

    // Each delete is slowed a little, the dataset's for longer: the kill lands while AEP holds it, halfway through.
    const admin = await simulatorAdmin();
    const datasetDelete = deletesOf(ids)[5]!;
    await admin.addFault({ method: 'DELETE', path: exactly(datasetDelete.path), delayMs: 4_000, times: 1 });
    for (const { path } of deletesOf(ids))
      await admin.addFault({ method: 'DELETE', path: exactly(path), delayMs: 200 });

    const datasetDeletesBefore = (await admin.requestCounts())[datasetDeleteRoute] ?? 0;
    const startedAt = Date.now();
    const io = await capturedIo(a.scenario.taskQueue);
    const teardown = runTeardown(a.target, { keepData: false, json: false }, { io, connect: connectTemporal });
    // Killed once the held DELETE has reached AEP: the crash lands while AEP is handling it.
    await admin.waitForArrivals(datasetDeleteRoute, datasetDeletesBefore, 60_000);
    const midway = await a.status();
    assert.equal(midway.state, 'tearing-down');
    assert.deepEqual(
      midway.teardown?.deleted,
      deletesOf(ids)
        .slice(0, 5)
        .map((entry) => entry.label),
    );

    doomed.signal('SIGKILL');
    assert.notEqual(await doomed.exited, 0);
    extraWorkers.push(await startTestWorker({ taskQueue: a.scenario.taskQueue }));

    assert.equal(await teardown, 0, io.stderr());
    assert.match(io.stdout(), /^torn down: 8 deleted, 0 already gone, 0 kept$/m);
    const outcome = await teardownOutcome(a);
    assert.deepEqual(
      outcome.deleted,
      deletesOf(ids).map((entry) => entry.label),
      'each once, in order',
    );
    await assertOnlyAGone(pair, startedAt);

    const history = await (await getTemporal()).client.workflow.getHandle(a.handle.workflowId).fetchHistory();
    const retried = (history.events ?? []).some(
      (event) => (event.activityTaskStartedEventAttributes?.attempt ?? 1) > 1,
    );
    assert.ok(retried, 'the delete the kill interrupted ran again on the other worker');
  });

  it('counts a DELETE AEP performed but whose answer was lost as done', async function () {
    this.timeout(120_000);
    pair = await neighbours();
    const { a } = pair;
    const admin = await simulatorAdmin();
    for (const { path } of deletesOf(a.provisioned.ids)) {
      await admin.addFault({ method: 'DELETE', path: exactly(path), dropAfterCommit: true, times: 1 });
    }

    const startedAt = Date.now();
    const io = await capturedIo(a.scenario.taskQueue);
    assert.equal(await runTeardown(a.target, { keepData: false, json: false }, { io, connect: connectTemporal }), 0);

    const lost = (await admin.requests(a.sandbox)).filter(
      (entry) => entry.method === 'DELETE' && Date.parse(entry.time) >= startedAt && entry.dropped === true,
    );
    assert.equal(lost.length, 8, 'every delete was performed and its answer lost');
    assert.match(io.stdout(), /^torn down: 0 deleted, 8 already gone, 0 kept$/m);
    assert.deepEqual(
      (await teardownOutcome(a)).alreadyGone,
      deletesOf(a.provisioned.ids).map((entry) => entry.label),
    );
    await assertOnlyAGone(pair, startedAt);
  });

  it('waits out 429s with Retry-After on the deletes', async function () {
    this.timeout(120_000);
    pair = await neighbours();
    const { a } = pair;
    const admin = await simulatorAdmin();
    const throttled = [deletesOf(a.provisioned.ids)[0]!, deletesOf(a.provisioned.ids)[5]!];
    for (const { path } of throttled) {
      await admin.addFault({ method: 'DELETE', path: exactly(path), status: 429, retryAfter: 1, times: 2 });
    }

    const startedAt = Date.now();
    const io = await capturedIo(a.scenario.taskQueue);
    assert.equal(await runTeardown(a.target, { keepData: false, json: false }, { io, connect: connectTemporal }), 0);
    assert.match(io.stdout(), /^torn down: 8 deleted, 0 already gone, 0 kept$/m);

    const log = await admin.requests(a.sandbox);
    for (const { path } of throttled) {
      const calls = log.filter(
        (entry) => entry.method === 'DELETE' && entry.path.endsWith(path) && Date.parse(entry.time) >= startedAt,
      );
      assert.deepEqual(
        calls.map((entry) => (entry.status < 300 ? 'done' : entry.status)),
        [429, 429, 'done'],
        `${path}: throttled twice, then done`,
      );
      for (let index = 1; index < calls.length; index += 1) {
        const waited = Date.parse(calls[index]!.time) - Date.parse(calls[index - 1]!.time);
        assert.ok(waited >= 1_000, `${path}: retried after Retry-After (1 s), not ${waited} ms`);
      }
    }
    await assertOnlyAGone(pair, startedAt);
  });

  it('stops as teardown-failed naming the step and AEP’s answer when a delete is refused until its window ends, and a second teardown finishes', async function () {
    this.timeout(120_000);
    // A window of 6 s; each refusal takes 1.5 s to come, so the window most likely ends while an attempt waits for
    // one: then Temporal reports the window's timeout, and the last answer only as its cause.
    pair = await neighbours({ ...quickTeardown, retryTimeout: '6s' });
    const { a } = pair;
    const ids = a.provisioned.ids;
    const admin = await simulatorAdmin();
    const datasetDelete = deletesOf(ids)[5]!;
    await admin.addFault({ method: 'DELETE', path: exactly(datasetDelete.path), status: 503, delayMs: 1_500 });

    const startedAt = Date.now();
    const io = await capturedIo(a.scenario.taskQueue);
    const code = await runTeardown(a.target, { keepData: false, json: false }, { io, connect: connectTemporal });
    assert.notEqual(code, 0);
    const answer = new RegExp(
      `stopped at ${datasetDelete.label}: teardown: delete dataset ${ids.datasetId}: HTTP 503 CATALOG-1000-503: ` +
        "Service Unavailable \\(simulated\\)\\. .*\\(still failing when teardown's retry window of 6s ended\\)",
    );
    assert.match(io.stderr(), answer);
    assert.match(io.stderr(), /run teardown again to finish/);

    const stopped = await a.status();
    assert.equal(stopped.state, 'teardown-failed');
    assert.match(stopped.teardown?.error ?? '', answer);
    assert.deepEqual(
      stopped.teardown?.deleted,
      deletesOf(ids)
        .slice(0, 5)
        .map((entry) => entry.label),
    );
    assert.deepEqual(
      stopped.teardown?.left,
      deletesOf(ids)
        .slice(5)
        .map((entry) => entry.label),
    );

    await admin.clearFaults();
    const again = await capturedIo(a.scenario.taskQueue);
    assert.equal(
      await runTeardown(a.target, { keepData: false, json: false }, { io: again, connect: connectTemporal }),
      0,
      again.stderr(),
    );
    assert.match(again.stdout(), /^torn down: 3 deleted, 5 already gone, 0 kept$/m);
    await assertOnlyAGone(pair, startedAt);
  });
});
