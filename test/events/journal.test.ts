/**
 * The pull path: with no webhook, the eventsJournal workflow reads the registration's I/O Events journal and hands
 * each flow-run event to the run feed, which tells the monitor; the cursor lives in the workflow, so a worker that
 * stops and comes back goes on from where it was: the run that ended meanwhile is learned, none twice.
 */
import assert from 'node:assert/strict';
import { startEventsJournal } from '../../src/events/events-journal-start';
import { eventsJournalStatusQuery, type EventsJournalStatus } from '../../src/contracts/events-journal-messages';
import { pauseUpdate } from '../../src/contracts/monitor-messages';
import { getTemporal } from '../harness/temporal';
import { startTestWorker, type TestWorker } from '../harness/test-worker';
import { monitoredDataflow, waitFor, type MonitoredDataflow } from '../monitor/monitor-fixtures';

interface SimulatedRun {
  id: string;
  metrics: { statusSummary: { status: string } };
}

const anHour = 3_600_000;

describe('pull: the I/O Events journal', function () {
  let dataflow: MonitoredDataflow | undefined;
  let restartedWorker: TestWorker | undefined;
  let journalWorkflowId: string | undefined;

  afterEach(async function () {
    const { client } = await getTemporal();
    if (journalWorkflowId)
      await client.workflow
        .getHandle(journalWorkflowId)
        .terminate('test finished')
        .catch(() => {});
    await restartedWorker?.stop();
    await dataflow?.dispose();
    dataflow = undefined;
    restartedWorker = undefined;
    journalWorkflowId = undefined;
  });

  async function runsOfFlow(): Promise<SimulatedRun[]> {
    return (await dataflow!.admin.resources(dataflow!.sandbox)).runs as unknown as SimulatedRun[];
  }

  async function journalStatus(): Promise<EventsJournalStatus> {
    const { client } = await getTemporal();
    return client.workflow.getHandle(journalWorkflowId!).query(eventsJournalStatusQuery);
  }

  it('hands each run to its monitor once, and goes on from its cursor after the worker was stopped', async function () {
    this.timeout(120_000);
    dataflow = await monitoredDataflow({ runFeed: { intervalMs: anHour } });
    await dataflow.handle.executeUpdate(pauseUpdate);
    await waitFor('no run in progress', async () =>
      (await runsOfFlow()).every((run) => run.metrics.statusSummary.status !== 'inProgress') ? true : undefined,
    );
    const before = (await runsOfFlow()).length;
    // A registration without a webhook: its events are only in the journal.
    const registration = await dataflow.admin.registerWebhook({ sandboxName: dataflow.sandbox });
    const journalUrl = await dataflow.admin.journalUrl(registration.id);
    const { client } = await getTemporal();
    const { flowId } = dataflow.provisioned.ids;

    const first = await dataflow.admin.startRun(flowId);
    journalWorkflowId = await startEventsJournal(client, {
      journalUrl,
      taskQueue: dataflow.scenario.taskQueue,
      longestEmptyWaitMs: 200,
    });
    await dataflow.waitForStatus('the first run learned', (status) =>
      status.lastRuns.some((run) => run.id === first.id && run.outcome !== 'running'),
    );
    const cursorBefore = (await journalStatus()).next;

    await dataflow.worker.stop();
    const second = await dataflow.admin.startRun(flowId);
    await waitFor('the second run to end', async () =>
      (await runsOfFlow()).find((run) => run.id === second.id)?.metrics.statusSummary.status === 'inProgress'
        ? undefined
        : true,
    );
    restartedWorker = await startTestWorker({
      taskQueue: dataflow.scenario.taskQueue,
      runFeed: { intervalMs: anHour },
    });

    const status = await dataflow.waitForStatus('the second run learned', (now) =>
      now.lastRuns.some((run) => run.id === second.id && run.outcome !== 'running'),
    );
    assert.equal((await runsOfFlow()).length, before + 2);
    assert.equal(status.counts.runsLearned, 2, 'each of the two runs learned once');
    const journal = await journalStatus();
    assert.equal(journal.counts.eventsHandedOn, 4, 'a start and an end for each run');
    assert.notEqual(journal.next, cursorBefore, 'the cursor moved on');
    assert.match(journal.next, /since=/);
  });
});
