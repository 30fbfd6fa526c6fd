/**
 * Push, end to end: the simulator's I/O Events deliveries reach the receiver, which hands them to the sandbox's run
 * feed in Temporal before answering; the feed hands each run to its monitor once, within seconds, while its own
 * listing is an hour away. Duplicates, a receiver that fails after handing off, a wrong signature and a dropped
 * event: each run is still learned exactly once (or, unsigned, not at all by push).
 */
import assert from 'node:assert/strict';
import { simulatorDefaults } from '../../src/simulator';
import { startEventsReceiver, type RunningEventsReceiver } from '../../src/events/events-receiver';
import type { EventsReceiverLogger } from '../../src/events/receiver-logger';
import { temporalHandOff } from '../../src/events/temporal-hand-off';
import type { HandOff } from '../../src/events/events-receiver';
import { pauseUpdate } from '../../src/contracts/monitor-messages';
import { runFeedStatusQuery, type RunFeedStatus } from '../../src/contracts/run-feed-messages';
import { runFeedWorkflowId } from '../../src/contracts/workflow-ids';
import { getSimulator } from '../harness/simulator';
import { getTemporal } from '../harness/temporal';
import { runStatus } from '../../src/cli/status-command';
import { connectTemporal } from '../../src/temporal/temporal-client';
import { capturedIo, monitoredDataflow, waitFor, type MonitoredDataflow } from '../monitor/monitor-fixtures';

interface SimulatedRun {
  metrics: { statusSummary: { status: string } };
}

const quiet: EventsReceiverLogger = { info: () => undefined, warn: () => undefined, error: () => undefined };
/** The feed's own listing: an hour away, so only push can tell a monitor of a run within a test. */
const anHour = 3_600_000;

describe('push: I/O Events flow-run notifications to the monitor', function () {
  let dataflow: MonitoredDataflow | undefined;
  let receiver: RunningEventsReceiver | undefined;
  const registrations: string[] = [];

  afterEach(async function () {
    if (dataflow) {
      for (const id of registrations.splice(0)) await dataflow.admin.deleteIoEventRegistration(id).catch(() => {});
      await dataflow.admin.clearIoEventFaults();
    }
    await receiver?.close();
    await dataflow?.dispose();
    dataflow = undefined;
    receiver = undefined;
  });

  /** A monitored dataflow, the receiver in front of Temporal (optionally wrapped), and its webhook registered. */
  async function pushedDataflow(
    options: {
      feedIntervalMs?: number;
      wrap?: (handOff: HandOff, restartReceiver: () => Promise<void>) => HandOff;
    } = {},
  ) {
    dataflow = await monitoredDataflow({ runFeed: { intervalMs: options.feedIntervalMs ?? anHour } });
    // Paused, so the schedule starts no runs of its own (15 minutes pass in a second of simulated time): the
    // runs a test starts are the only ones, and none from before the webhook is still going.
    await dataflow.handle.executeUpdate(pauseUpdate);
    await waitFor('no run in progress', async () => {
      const runs = (await dataflow!.admin.resources(dataflow!.sandbox)).runs as unknown as SimulatedRun[];
      return runs.every((run) => run.metrics.statusSummary.status !== 'inProgress') ? true : undefined;
    });
    const [simulator, temporal] = await Promise.all([getSimulator(), getTemporal()]);
    const handOff = temporalHandOff({
      client: temporal.client,
      runFeed: { taskQueue: dataflow.scenario.taskQueue },
      logger: quiet,
    });
    const receiverOptions = {
      port: 0,
      keyHost: simulator.url,
      clientId: simulatorDefaults.clientId,
      orgId: simulatorDefaults.orgId,
      handOff: options.wrap ? options.wrap(handOff, () => restartReceiver()) : handOff,
      logger: quiet,
    };
    receiver = await startEventsReceiver(receiverOptions);
    /** The receiver process dies (open connections cut, no answer) and comes back on the same port. */
    const restartReceiver = async () => {
      const port = receiver!.port;
      await receiver!.close();
      receiver = await startEventsReceiver({ ...receiverOptions, port });
    };
    const registration = await dataflow.admin.registerWebhook({
      url: `${receiver.url}/events`,
      sandboxName: dataflow.sandbox,
    });
    registrations.push(registration.id);
    // The monitor's first start made sure of the feed: wait for it, so it is not the receiver that starts it.
    await waitFor('the run feed', () => feedStatus().catch(() => undefined));
    return { dataflow, registration };
  }

  async function feedStatus(): Promise<RunFeedStatus> {
    const { client } = await getTemporal();
    return client.workflow.getHandle(runFeedWorkflowId(dataflow!.sandbox)).query(runFeedStatusQuery);
  }

  async function learned(runIds: string[]) {
    return dataflow!.waitForStatus(`the monitor learned ${runIds.length} run(s)`, (status) =>
      runIds.every((id) => status.lastRuns.some((run) => run.id === id && run.outcome !== 'running')),
    );
  }

  it('tells the monitor of a finished run within seconds, with the feed’s listing an hour away', async function () {
    this.timeout(90_000);
    const { dataflow } = await pushedDataflow();
    const startedAt = Date.now();
    const run = await dataflow.admin.startRun(dataflow.provisioned.ids.flowId);

    const status = await learned([run.id]);
    const seconds = (Date.now() - startedAt) / 1000;
    assert.ok(seconds < 15, `learned in ${seconds} s`);
    assert.equal(status.counts.runsLearned, 1);
    const feed = await feedStatus();
    assert.equal(feed.ticks, 0, 'the feed never listed: push did it');
    assert.ok(feed.pushed.events >= 2, 'the start and the end were pushed');
    assert.equal(feed.pushed.runsDelivered, 1);

    // `status` shows the feed's push counters: no `temporal workflow query` needed to see push work.
    const io = await capturedIo(dataflow.scenario.taskQueue);
    const code = await runStatus(dataflow.target, { json: false, refresh: false }, { io, connect: connectTemporal });
    assert.equal(code, 0, io.stderr());
    assert.match(
      io.stdout(),
      new RegExp(
        `^ {2}pushed {8}[1-9]\\d* event\\(s\\), \\d+ duplicate\\(s\\) dropped, 1 run\\(s\\) handed on \\(last \\S+\\)$`,
        'm',
      ),
    );
  });

  it('learns each run once through duplicated and reordered deliveries', async function () {
    this.timeout(90_000);
    const { dataflow } = await pushedDataflow();
    await dataflow.admin.setIoEventFaults({ kind: 'duplicate', times: 6 }, { kind: 'reorder', times: 2 });
    const { flowId } = dataflow.provisioned.ids;
    const runs = [await dataflow.admin.startRun(flowId), await dataflow.admin.startRun(flowId)];

    await learned(runs.map((run) => run.id));
    await waitFor('the duplicates to arrive', async () =>
      (await feedStatus()).pushed.duplicates >= 1 ? true : undefined,
    );
    const status = await dataflow.status();
    assert.equal(status.counts.runsLearned, 2, 'each run counted once');
    assert.equal((await feedStatus()).pushed.runsDelivered, 2);
  });

  it('processes once an event whose delivery failed after it was handed off (redelivered)', async function () {
    this.timeout(90_000);
    let failuresLeft = 1;
    const { dataflow, registration } = await pushedDataflow({
      // The receiver dies between handing the end of the run to Temporal and answering: I/O Events delivers again.
      wrap: (handOff) => async (events, context) => {
        await handOff(events, context);
        if (events.some((event) => event.outcome !== 'started') && failuresLeft > 0) {
          failuresLeft -= 1;
          throw new Error('receiver went away before answering');
        }
      },
    });
    const run = await dataflow.admin.startRun(dataflow.provisioned.ids.flowId);

    await learned([run.id]);
    const deliveries = await waitFor('the redelivery', async () => {
      const all = await dataflow.admin.ioEventDeliveries(registration.id);
      return all.filter((delivery) => delivery.status === 200).length >= 2 && all.some((d) => d.status === 500)
        ? all
        : undefined;
    });
    assert.ok(
      deliveries.some((delivery) => delivery.retryCount > 0),
      'delivered again',
    );
    await waitFor('the duplicate to be dropped', async () =>
      (await feedStatus()).pushed.duplicates >= 1 ? true : undefined,
    );
    assert.equal((await dataflow.status()).counts.runsLearned, 1);
  });

  it('processes once an event whose receiver was killed after handing it off and before answering', async function () {
    this.timeout(90_000);
    let killed = false;
    const { dataflow, registration } = await pushedDataflow({
      wrap: (handOff, restartReceiver) => async (events, context) => {
        await handOff(events, context);
        if (!killed && events.some((event) => event.outcome !== 'started')) {
          killed = true;
          // Killed mid-request: the restart cuts the connection, so this delivery is never answered (the error
          // below meets a closed socket); ending here rather than never leaves no hand-off waiting forever.
          await restartReceiver();
          throw new Error('the receiver was killed before it answered');
        }
      },
    });
    const run = await dataflow.admin.startRun(dataflow.provisioned.ids.flowId);

    await learned([run.id]);
    const deliveries = await waitFor('the redelivery to the restarted receiver', async () => {
      const all = await dataflow.admin.ioEventDeliveries(registration.id);
      const cut = all.filter((delivery) => delivery.status === undefined);
      return cut.length > 0 && all.some((delivery) => delivery.retryCount > 0 && delivery.status === 200)
        ? all
        : undefined;
    });
    assert.ok(deliveries.length >= 3, 'start, the cut delivery and its redelivery');
    await waitFor('the duplicate to be dropped', async () =>
      (await feedStatus()).pushed.duplicates >= 1 ? true : undefined,
    );
    assert.equal((await dataflow.status()).counts.runsLearned, 1, 'processed once');
  });

  it('refuses an event signed with a key the key host does not serve: nothing reaches the monitor', async function () {
    this.timeout(90_000);
    const { dataflow, registration } = await pushedDataflow();
    await dataflow.admin.setIoEventFaults({ kind: 'wrong-key' });
    await dataflow.admin.startRun(dataflow.provisioned.ids.flowId);

    const refused = await waitFor('the refusals', async () => {
      const all = await dataflow.admin.ioEventDeliveries(registration.id);
      return all.filter((delivery) => delivery.status === 401).length >= 2 ? all : undefined;
    });
    assert.ok(refused.every((delivery) => delivery.status === 401));
    const feed = await feedStatus();
    assert.equal(feed.pushed.events, 0, 'no unsigned event accepted');
    assert.equal((await dataflow.status()).counts.runsLearned, 0);
  });

  it('still learns a run whose events were dropped, from the feed’s own listing', async function () {
    this.timeout(90_000);
    const { dataflow } = await pushedDataflow({ feedIntervalMs: 1_000 });
    await dataflow.admin.setIoEventFaults({ kind: 'drop' });
    const run = await dataflow.admin.startRun(dataflow.provisioned.ids.flowId);

    await learned([run.id]);
    // The listing also finds the runs from before the pause: every run of the flow, each once.
    const runs = (await dataflow.admin.resources(dataflow.sandbox)).runs as unknown as SimulatedRun[];
    const status = await dataflow.waitForStatus('every run learned', (now) => now.counts.runsLearned >= runs.length);
    assert.equal(status.counts.runsLearned, runs.length);
    const feed = await feedStatus();
    assert.equal(feed.pushed.events, 0, 'nothing was pushed');
    assert.ok(feed.ticks > 0, 'the listing found it');
  });
});
