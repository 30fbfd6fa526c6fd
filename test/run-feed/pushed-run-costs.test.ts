/**
 * What a pushed run end costs the feed, counted in the simulator's request log: a run of a flow no dataflow of ours
 * owns costs a counter and nothing read (owners are resolved first); an end of our own flow whose event carries the
 * run's metrics is handed on as the event says, with no `GET /runs/{id}`; one without metrics is read exactly once.
 * Real worker, simulator and Temporal; the events come as signed deliveries through the real receiver; the feed's
 * own look is an hour away, so every read is push's.
 */
import assert from 'node:assert/strict';
import type { Run } from '../../src/aep';
import { summarizeRun } from '../../src/activities/run-summary';
import { startEventsReceiver, type RunningEventsReceiver } from '../../src/events';
import { temporalHandOff } from '../../src/events/temporal-hand-off';
import { pauseUpdate } from '../../src/contracts/monitor-messages';
import { runFeedStatusQuery, type RunFeedStatus } from '../../src/contracts/run-feed-messages';
import { runFeedWorkflowId } from '../../src/contracts/workflow-ids';
import { getTemporal } from '../harness/temporal';
import { monitoredDataflow, simulatorRequests, waitFor, type MonitoredDataflow } from '../monitor/monitor-fixtures';
import { createIdleFlow } from '../simulator/io-event-fixtures';
import { deliverSigned, flowRunEventBody, KeyHost, ourClient, ourOrg } from '../events/signed-deliveries';

const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };
const anHour = 3_600_000;

type StoredRun = Record<string, unknown> & {
  id: string;
  flowId: string;
  metrics: { statusSummary: { status: string } };
};

describe('what a pushed run end costs the feed', function () {
  this.timeout(120_000);
  let dataflow: MonitoredDataflow;
  let keys: KeyHost;
  let receiver: RunningEventsReceiver;

  before(async () => {
    dataflow = await monitoredDataflow({ runFeed: { intervalMs: anHour } });
    // Paused: the runs a test starts are the only ones.
    await dataflow.handle.executeUpdate(pauseUpdate);
    await waitFor('no run in progress', async () =>
      (await storedRuns()).every((run) => run.metrics.statusSummary.status !== 'inProgress'),
    );
    keys = await KeyHost.start();
    const { client } = await getTemporal();
    receiver = await startEventsReceiver({
      port: 0,
      keyHost: keys.url,
      clientId: ourClient,
      orgId: ourOrg,
      handOff: temporalHandOff({ client, runFeed: { taskQueue: dataflow.scenario.taskQueue }, logger: quiet }),
      logger: quiet,
    });
    await waitFor('the run feed', () => feedStatus().catch(() => undefined));
  });
  after(async () => {
    await receiver?.close();
    await keys?.close();
    await dataflow?.dispose();
  });

  async function storedRuns(): Promise<StoredRun[]> {
    return (await dataflow.admin.resources(dataflow.sandbox)).runs as unknown as StoredRun[];
  }

  async function feedStatus(): Promise<RunFeedStatus> {
    const { client } = await getTemporal();
    return client.workflow.getHandle(runFeedWorkflowId(dataflow.sandbox)).query(runFeedStatusQuery);
  }

  /** Starts a run of the flow and waits until it ended in the simulator; the run as the simulator stores it. */
  async function finishedRun(flowId: string): Promise<StoredRun> {
    const { id } = await dataflow.admin.startRun(flowId);
    return waitFor(`run ${id} to end`, async () => {
      const run = (await storedRuns()).find((stored) => stored.id === id);
      return run && run.metrics.statusSummary.status !== 'inProgress' ? run : undefined;
    });
  }

  /** Pushes the run's end as a signed delivery: the run as Flow Service returns it, with or without its metrics. */
  async function pushEnd(run: StoredRun, withMetrics: boolean): Promise<void> {
    const { metrics, ...withoutMetrics } = run;
    const { body } = flowRunEventBody({
      sandbox: dataflow.sandbox,
      runId: run.id,
      flowId: run.flowId,
      code: metrics.statusSummary.status === 'success' ? 'sources_flow_run_success' : 'sources_flow_run_failed',
      run: withMetrics ? { ...withoutMetrics, metrics } : withoutMetrics,
    });
    assert.equal(await deliverSigned(receiver, body), 200);
  }

  /** The simulator's requests for the sandbox that name the run, in their path or their query. */
  async function requestsNaming(runId: string): Promise<string[]> {
    return (await simulatorRequests(dataflow.sandbox))
      .filter((entry) => entry.path.includes(runId) || JSON.stringify(entry.query).includes(runId))
      .map((entry) => `${entry.method} ${entry.path}`);
  }

  it('counts the runs of a flow not ours, and reads nothing of them', async () => {
    // A flow made through the public APIs, in the same sandbox, without our ownership mark.
    const foreignFlowId = await createIdleFlow(dataflow.sandbox);
    const withMetrics = await finishedRun(foreignFlowId);
    const withoutMetrics = await finishedRun(foreignFlowId);
    const before = await feedStatus();
    const learnedBefore = (await dataflow.status()).counts.runsLearned;
    const flowListings = async () =>
      (await simulatorRequests(dataflow.sandbox)).filter(
        (entry) => entry.method === 'GET' && entry.path.endsWith('/flowservice/flows'),
      ).length;
    const flowListingsBefore = await flowListings();

    await pushEnd(withMetrics, true);
    await pushEnd(withoutMetrics, false);

    const feed = await waitFor('both runs counted as foreign', async () => {
      const status = await feedStatus();
      return status.pushed.foreignRuns >= before.pushed.foreignRuns + 2 ? status : undefined;
    });
    assert.equal(feed.pushed.foreignRuns, before.pushed.foreignRuns + 2);
    assert.equal(feed.pushed.runsRead, before.pushed.runsRead, 'no run read');
    assert.equal(feed.pushed.runsDelivered, before.pushed.runsDelivered, 'none handed on');
    assert.equal(feed.ticks, 0, 'no look listed anything either');
    assert.deepEqual(await requestsNaming(withMetrics.id), [], 'the run with metrics: never asked for');
    assert.deepEqual(await requestsNaming(withoutMetrics.id), [], 'the run without metrics: never asked for');
    // The first unknown flow lists the sandbox's flows once (every owner remembered); the second push asks nothing.
    assert.equal((await flowListings()) - flowListingsBefore, 1, 'one listing of flows, for both runs');
    assert.equal((await dataflow.status()).counts.runsLearned, learnedBefore, 'the monitor heard of neither');
  });

  it('hands on an end of our flow with metrics unread, and reads one without metrics exactly once', async () => {
    const { flowId } = dataflow.provisioned.ids;
    const withMetrics = await finishedRun(flowId);
    const withoutMetrics = await finishedRun(flowId);
    const before = await feedStatus();

    await pushEnd(withMetrics, true);
    await pushEnd(withoutMetrics, false);

    const status = await dataflow.waitForStatus('the monitor learned both runs', (now) =>
      [withMetrics, withoutMetrics].every((run) =>
        now.lastRuns.some((learned) => learned.id === run.id && learned.outcome !== 'running'),
      ),
    );
    const feed = await waitFor('the feed to count both', async () => {
      const now = await feedStatus();
      return now.pushed.runsDelivered >= before.pushed.runsDelivered + 2 ? now : undefined;
    });
    assert.equal(feed.pushed.runsDelivered, before.pushed.runsDelivered + 2);
    assert.equal(feed.pushed.runsRead, before.pushed.runsRead + 1, 'one run read');
    assert.equal(feed.pushed.foreignRuns, before.pushed.foreignRuns);
    assert.equal(feed.ticks, 0);
    assert.deepEqual(await requestsNaming(withMetrics.id), [], 'the run with metrics: never asked for');
    assert.deepEqual(
      await requestsNaming(withoutMetrics.id),
      [`GET /data/foundation/flowservice/runs/${withoutMetrics.id}`],
      'the run without metrics: read once',
    );
    // The event's metrics tell the monitor what a read would have.
    for (const run of [withMetrics, withoutMetrics]) {
      const { learnedAt: _learnedAt, ...learned } = status.lastRuns.find((summary) => summary.id === run.id)!;
      assert.deepEqual(learned, summarizeRun(run as unknown as Run), `the monitor's record of ${run.id}`);
    }
  });
});
