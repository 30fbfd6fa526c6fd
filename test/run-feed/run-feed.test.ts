/**
 * The sandbox run feed: one workflow per sandbox lists the sandbox's runs and hands each finished run to its
 * dataflow's monitor, once, in one message per monitor per look; monitors poll nothing themselves.
 */
import assert from 'node:assert/strict';
import { getTemporal } from '../harness/temporal';
import { childProcessEnv, startTestWorker, type TestWorker } from '../harness/test-worker';
import { payloadBytesAsText, simulatorRequests, sleep, waitFor } from '../monitor/monitor-fixtures';
import { uniqueName } from '../provisioning/provisioning-fixtures';
import { spawnTsx, workflowBundleFile } from '../provisioning/spawned-process';
import { finished, sandboxFleet, waitUntilEveryRunLearned, type SandboxFleet } from './sandbox-fleet';
import { flowRunEventsSignal } from '../../src/contracts/run-feed-messages';
import { runFeedWorkflowId } from '../../src/contracts/workflow-ids';

describe('sandbox run feed', function () {
  const fleets: SandboxFleet[] = [];
  let worker: TestWorker | undefined;
  let stopProcess: (() => Promise<void>) | undefined;

  afterEach(async function () {
    for (const fleet of fleets.splice(0)) await fleet.dispose();
    await worker?.stop();
    worker = undefined;
    await stopProcess?.();
    stopProcess = undefined;
  });

  it('hands every finished run to its own monitor exactly once, one message per monitor per look', async function () {
    const taskQueue = uniqueName('feed');
    // A look every 3 s while each flow runs about every second: each look finds several runs per flow.
    worker = await startTestWorker({ taskQueue, runFeed: { intervalMs: 3_000 } });
    const fleet = await sandboxFleet({ taskQueue, dataflows: 3 });
    fleets.push(fleet);
    for (const member of fleet.members) {
      await waitFor(`${member.name} to learn of runs`, async () => (await member.status()).counts.runsLearned >= 4);
    }
    await fleet.stopRunning();

    for (const member of fleet.members) {
      const status = await waitUntilEveryRunLearned(fleet, member);
      const runs = finished(await fleet.runs(member.flowId));
      assert.equal(status.counts.runsLearned, runs.length, `${member.name}: each finished run counted once`);
      const ownIds = new Set(runs.map((run) => run.id));
      for (const run of status.lastRuns) assert.ok(ownIds.has(run.id), `${member.name} shows only its own runs`);
      assert.equal(status.counts.reconciles, 0, 'the monitor never listed runs itself');

      const history = await member.handle.fetchHistory();
      const listedAt = (history.events ?? [])
        .map((event) => event.workflowExecutionSignaledEventAttributes)
        .filter((signal) => signal?.signalName === 'runUpdates')
        .map(
          (signal) =>
            JSON.parse(Buffer.from(signal!.input!.payloads![0]!.data!).toString('utf8')) as { listedAt: string },
        )
        .map((update) => update.listedAt);
      assert.equal(new Set(listedAt).size, listedAt.length, `${member.name}: at most one message per look`);
      assert.ok(listedAt.length < runs.length, `${member.name}: runs arrive batched (${listedAt.length} messages)`);
    }
    // The monitors list nothing: every run listing of the sandbox is the feed's, with no flowId filter.
    const listings = (await simulatorRequests(fleet.sandbox)).filter((entry) => entry.path.endsWith('/runs'));
    assert.ok(listings.length > 0);
    for (const listing of listings) assert.doesNotMatch(JSON.stringify(listing.query), /flowId/);
    const feed = await fleet.feed();
    assert.equal(feed.listingErrors, 0);
    assert.equal(feed.runsIgnored, 0);
    const { client } = await getTemporal();
    const feeds: string[] = [];
    for await (const execution of client.workflow.list({ query: `WorkflowId = 'runs:${fleet.sandbox}'` })) {
      feeds.push(execution.runId);
    }
    assert.equal(feeds.length, 1, 'three provisionings in one sandbox started one feed');
  });

  it('keeps two sandboxes apart', async function () {
    const taskQueue = uniqueName('feed');
    worker = await startTestWorker({ taskQueue });
    const first = await sandboxFleet({ taskQueue, dataflows: 1 });
    fleets.push(first);
    const second = await sandboxFleet({ taskQueue, dataflows: 1 });
    fleets.push(second);
    for (const fleet of [first, second]) {
      await waitFor('runs learned', async () => (await fleet.members[0]!.status()).counts.runsLearned >= 3);
    }
    await first.stopRunning();
    await second.stopRunning();
    for (const fleet of [first, second]) {
      const member = fleet.members[0]!;
      const status = await waitUntilEveryRunLearned(fleet, member);
      const own = new Set(finished(await fleet.runs(member.flowId)).map((run) => run.id));
      assert.equal(status.counts.runsLearned, own.size);
      for (const run of status.lastRuns) assert.ok(own.has(run.id), 'only runs of its own sandbox');
      const feed = await fleet.feed();
      assert.equal(feed.sandbox, fleet.sandbox);
      assert.equal(feed.runsIgnored, 0, 'no run of the other sandbox reached this feed');
    }
  });

  it('carries on when a monitor is gone while its runs are being listed', async function () {
    const taskQueue = uniqueName('feed');
    worker = await startTestWorker({ taskQueue });
    const fleet = await sandboxFleet({ taskQueue, dataflows: 2 });
    fleets.push(fleet);
    const [gone, staying] = fleet.members as [(typeof fleet.members)[0], (typeof fleet.members)[0]];
    await waitFor('runs learned', async () => (await gone.status()).counts.runsLearned >= 2);
    await gone.handle.terminate('a monitor deleted by hand');
    const learnedBefore = (await staying.status()).counts.runsLearned;

    const feed = await waitFor('runs of the orphaned flow listed and ignored', async () => {
      const status = await fleet.feed();
      return status.runsIgnored >= 3 ? status : undefined;
    });
    assert.equal(feed.consecutiveFailures, 0, 'no look failed');
    assert.equal(feed.listingErrors, 0);
    await waitFor(
      'the other monitor still learning runs',
      async () => (await staying.status()).counts.runsLearned >= learnedBefore + 3,
    );
  });

  it('backs off when listing fails, shows why in its status, and hands the runs over once it can list again', async function () {
    const taskQueue = uniqueName('feed');
    worker = await startTestWorker({ taskQueue });
    const fleet = await sandboxFleet({ taskQueue, dataflows: 1 });
    fleets.push(fleet);
    const member = fleet.members[0]!;
    await waitFor('runs handed over', async () => (await member.status()).counts.runsLearned >= 1);
    // The feed's window listing (not the monitor's) is refused for a while: 403 is not retried by the client.
    await fleet.admin.addFault({
      method: 'GET',
      path: '/flowservice/runs\\?.*startedAtUTC',
      status: 403,
      // Both attempts of one look.
      times: 2,
    });
    const failing = await waitFor('the feed to report listing errors', async () => {
      const status = await fleet.feed();
      return status.consecutiveFailures >= 1 ? status : undefined;
    });
    assert.match(failing.lastError ?? '', /HTTP 403/);
    assert.ok(failing.listingErrors >= 1);
    assert.ok(
      Date.parse(failing.nextTickAt!) - Date.parse(failing.lastErrorAt!) >= 1_500,
      'the next look waits longer',
    );
    const learnedWhileFailing = (await member.status()).counts.runsLearned;

    const recovered = await waitFor(
      'the feed to list again',
      async () => {
        const status = await fleet.feed();
        return status.consecutiveFailures === 0 && status.ticks > failing.ticks ? status : undefined;
      },
      30_000,
    );
    assert.ok(recovered.lastTickAt! > failing.lastErrorAt!, 'a look succeeded after the failures');
    await waitFor(
      'runs handed over again',
      async () => (await member.status()).counts.runsLearned > learnedWhileFailing,
    );
    await fleet.stopRunning();
    const status = await waitUntilEveryRunLearned(fleet, member);
    assert.equal(status.counts.runsLearned, finished(await fleet.runs(member.flowId)).length, 'none lost, none twice');
  });

  it('sees a run that AEP lists late, started before the cursor but within the overlap', async function () {
    const taskQueue = uniqueName('feed');
    worker = await startTestWorker({ taskQueue });
    const fleet = await sandboxFleet({ taskQueue, dataflows: 1 });
    fleets.push(fleet);
    const member = fleet.members[0]!;
    const feed = await waitFor('the feed to have a cursor', async () => {
      const status = await fleet.feed();
      return status.cursor !== undefined ? status : undefined;
    });
    // It appears now, but reports a start a minute before the newest start the feed had already seen.
    const startedAt = Date.parse(feed.cursor!) - 60_000;
    const late = await fleet.admin.startRun(member.flowId, startedAt);
    const learned = await waitFor('the late run to reach its monitor', async () => {
      const status = await member.status();
      return status.lastRuns.find((run) => run.id === late.id && run.outcome !== 'running');
    });
    assert.equal(Date.parse(learned.startedAt!), startedAt);
    assert.ok(Date.parse((await fleet.feed()).cursor!) > startedAt, 'the cursor had long passed its start');
  });

  it("catches in the monitor's reconcile a run the feed missed (listed later than the feed's overlap)", async function () {
    const taskQueue = uniqueName('feed');
    worker = await startTestWorker({ taskQueue });
    const fleet = await sandboxFleet({ taskQueue, dataflows: 1, monitorInput: { reconcileIntervalMs: 2_000 } });
    fleets.push(fleet);
    const member = fleet.members[0]!;
    await waitFor('a first reconcile and a feed cursor', async () => {
      const [status, feed] = await Promise.all([member.status(), fleet.feed()]);
      return status.lastReconcileAt !== undefined && feed.cursor !== undefined;
    });
    // Ten minutes back: far behind the feed's cursor less its 3-minute overlap.
    const missed = await fleet.admin.startRun(member.flowId, Date.now() - 10 * 60_000);
    await waitFor('the missed run to reach its monitor', async () =>
      (await member.status()).lastRuns.some((run) => run.id === missed.id && run.outcome !== 'running'),
    );
    const history = await member.handle.fetchHistory();
    const texts = (history.events ?? []).map((event) => ({
      // The reconcile is a local activity: its result is in a marker.
      from: event.workflowExecutionSignaledEventAttributes
        ? 'feed'
        : event.markerRecordedEventAttributes
          ? 'reconcile'
          : 'other',
      text: JSON.stringify(event, payloadBytesAsText),
    }));
    assert.ok(!texts.some((entry) => entry.from === 'feed' && entry.text.includes(missed.id)), 'not from the feed');
    assert.ok(
      texts.some((entry) => entry.from === 'reconcile' && entry.text.includes(missed.id)),
      'from a reconcile',
    );
  });

  it('hands each run over once across a feed that is killed, continues as new, and a worker SIGKILL', async function () {
    this.timeout(180_000);
    const taskQueue = uniqueName('feed');
    const env = {
      ...(await childProcessEnv(taskQueue)),
      WORKFLOW_BUNDLE_PATH: await workflowBundleFile(),
      LOG_LEVEL: 'INFO',
    };
    let workerProcess = spawnTsx('src/worker.ts', [], env);
    stopProcess = () => workerProcess.stop();
    await workerProcess.waitForOutput(/worker started/, 60_000);
    const { client } = await getTemporal();
    const fleet = await sandboxFleet({
      taskQueue,
      dataflows: 2,
      // Both continue as new every few looks or messages.
      runFeedInput: { intervalMs: 1_000, continueAsNewAfterEvents: 40 },
      monitorInput: { continueAsNewAfterEvents: 40 },
    });
    fleets.push(fleet);
    const feedId = `runs:${fleet.sandbox}`;
    await waitFor(
      'the feed and the monitors to continue as new',
      async () => {
        const feed = await fleet.feed();
        const statuses = await Promise.all(fleet.members.map((member) => member.status()));
        return feed.continuedAsNew >= 1 && statuses.every((status) => status.continuedAsNew >= 1);
      },
      60_000,
    );

    // The feed is killed outright: a monitor asking for a look finds it gone, lists its runs and starts it again.
    await client.workflow.getHandle(feedId).terminate('crash');
    const refreshed = await fleet.members[0]!.handle.executeUpdate('refresh');
    assert.ok(refreshed);
    await waitFor(
      'a new feed',
      async () => (await client.workflow.getHandle(feedId).describe()).status.name === 'RUNNING',
    );
    // The new feed starts without a cursor and lists the last 15 minutes again: runs already handed over come back.
    await sleep(2_000);
    workerProcess.signal('SIGKILL');
    assert.notEqual(await workerProcess.exited, 0);
    // Runs go on finishing while no worker is there; the feed's looks wait for the next worker.
    await sleep(3_000);
    workerProcess = spawnTsx('src/worker.ts', [], env);
    await workerProcess.waitForOutput(/worker started/, 60_000);

    await fleet.stopRunning();
    for (const member of fleet.members) {
      const status = await waitUntilEveryRunLearned(fleet, member);
      const runs = finished(await fleet.runs(member.flowId));
      assert.equal(status.counts.runsLearned, runs.length, `${member.name}: every run once, none twice`);
    }
    const alertIds = fleet.alerts.received.map((entry) => entry.alert.id);
    assert.equal(new Set(alertIds).size, alertIds.length, 'no alert sent twice');
  });

  it('continues as new under a steady stream of pushed events, handing each pushed run on exactly once', async function () {
    this.timeout(120_000);
    const taskQueue = uniqueName('feed');
    worker = await startTestWorker({ taskQueue });
    // The feed's own look is an hour away: only pushes hand runs on, and they alone fill its history.
    const fleet = await sandboxFleet({
      taskQueue,
      dataflows: 1,
      runFeedInput: { intervalMs: 3_600_000, continueAsNewAfterEvents: 40 },
    });
    fleets.push(fleet);
    await fleet.stopRunning();
    const member = fleet.members[0]!;
    const runIds: string[] = [];
    for (let index = 0; index < 24; index += 1) runIds.push((await fleet.admin.startRun(member.flowId)).id);
    await waitFor('every started run to end in the simulator', async () => {
      const done = new Set(finished(await fleet.runs(member.flowId)).map((run) => run.id));
      return runIds.every((id) => done.has(id)) ? true : undefined;
    });
    const ended = new Map((await fleet.runs(member.flowId)).map((run) => [run.id, run.metrics.statusSummary.status]));

    // Each run's start, then its end, one signal every few ms, with no pause for the feed to catch up.
    const { client } = await getTemporal();
    const feedHandle = client.workflow.getHandle(runFeedWorkflowId(fleet.sandbox));
    for (const runId of runIds) {
      for (const outcome of ['started', ended.get(runId) === 'failed' ? 'failed' : 'succeeded'] as const) {
        await feedHandle.signal(flowRunEventsSignal, {
          events: [{ eventId: `${runId}:${outcome}`, runId, flowId: member.flowId, outcome }],
        });
        await sleep(3);
      }
    }

    await waitFor(
      'every pushed run learned',
      async () => ((await member.status()).counts.runsLearned >= runIds.length ? true : undefined),
      60_000,
    );
    const feed = await fleet.feed();
    assert.ok(feed.continuedAsNew >= 1, `the feed continued as new (${feed.continuedAsNew} times)`);
    assert.equal(feed.ticks, 0, 'no look: push did it all');

    // Counted where they were sent: the run ids in every runUpdates message of every run of the monitor.
    const handedOn: string[] = [];
    for await (const execution of client.workflow.list({ query: `WorkflowId = '${member.handle.workflowId}'` })) {
      const history = await client.workflow.getHandle(member.handle.workflowId, execution.runId).fetchHistory();
      for (const event of history.events ?? []) {
        const signal = event.workflowExecutionSignaledEventAttributes;
        if (signal?.signalName !== 'runUpdates') continue;
        const update = JSON.parse(Buffer.from(signal.input!.payloads![0]!.data!).toString('utf8')) as {
          runs: Array<{ id: string }>;
        };
        handedOn.push(...update.runs.map((run) => run.id));
      }
    }
    assert.deepEqual([...handedOn].sort(), [...runIds].sort(), 'every pushed run handed on exactly once');
  });
});
