/**
 * The pull path: with no webhook, the eventsJournal workflow reads the registration's I/O Events journal and hands
 * each flow-run event to the run feed, which tells the monitor; the cursor lives in the workflow, so a worker that
 * stops and comes back goes on from where it was: the run that ended meanwhile is learned, none twice. `list` and
 * `status` show the reader's counters and the feed's push counters, and say so when no worker answers.
 */
import assert from 'node:assert/strict';
import { startEventsJournal } from '../../src/events/events-journal-start';
import { eventsJournalStatusQuery, type EventsJournalStatus } from '../../src/contracts/events-journal-messages';
import { pauseUpdate } from '../../src/contracts/monitor-messages';
import { runFeedStatusQuery } from '../../src/contracts/run-feed-messages';
import { runFeedWorkflowId } from '../../src/contracts/workflow-ids';
import { runList } from '../../src/cli/list-command';
import { pushCounters, type JournalReaderReport, type RunFeedReport } from '../../src/cli/push-workflows';
import { runStatus } from '../../src/cli/status-command';
import { connectTemporal } from '../../src/temporal/temporal-client';
import { documentText } from '../harness/readme-samples';
import { getTemporal } from '../harness/temporal';
import { startTestWorker, type TestWorker } from '../harness/test-worker';
import { capturedIo, monitoredDataflow, waitFor, type MonitoredDataflow } from '../monitor/monitor-fixtures';

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

  /** A monitored dataflow, paused with no run in progress, its feed's listing an hour away. */
  async function quietDataflow(): Promise<MonitoredDataflow> {
    dataflow = await monitoredDataflow({ runFeed: { intervalMs: anHour } });
    await dataflow.handle.executeUpdate(pauseUpdate);
    await waitFor('no run in progress', async () =>
      (await runsOfFlow()).every((run) => run.metrics.statusSummary.status !== 'inProgress') ? true : undefined,
    );
    return dataflow;
  }

  it('hands each run to its monitor once, and goes on from its cursor after the worker was stopped', async function () {
    this.timeout(120_000);
    dataflow = await quietDataflow();
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

  it('shows in list and status: the reader’s counters and the feed’s push counters, or that nobody answers', async function () {
    this.timeout(120_000);
    dataflow = await quietDataflow();
    const { taskQueue } = dataflow.scenario;
    const registration = await dataflow.admin.registerWebhook({ sandboxName: dataflow.sandbox });
    const journalUrl = await dataflow.admin.journalUrl(registration.id);
    const { client } = await getTemporal();
    journalWorkflowId = await startEventsJournal(client, { journalUrl, taskQueue, longestEmptyWaitMs: 200 });
    const run = await dataflow.admin.startRun(dataflow.provisioned.ids.flowId);
    await dataflow.waitForStatus('the run learned', (status) =>
      status.lastRuns.some((seen) => seen.id === run.id && seen.outcome !== 'running'),
    );
    await waitFor('the start and the end handed on', async () => (await journalStatus()).counts.eventsHandedOn === 2);
    const feedId = runFeedWorkflowId(dataflow.sandbox);
    const feed = await client.workflow.getHandle(feedId).query(runFeedStatusQuery);
    assert.deepEqual(
      [feed.pushed.events, feed.pushed.duplicates, feed.pushed.runsDelivered],
      [2, 0, 1],
      'the journal pushed the start and the end of the one run',
    );
    const deps = async () => ({ io: await capturedIo(taskQueue), connect: connectTemporal });

    // --json: the reader's status and the feed's counters, as their own queries answer them.
    const listJson = await deps();
    assert.equal(await runList({ all: false, json: true }, listJson), 0, listJson.io.stderr());
    const listed = JSON.parse(listJson.io.stdout()) as {
      journalReaders: JournalReaderReport[];
      runFeeds: RunFeedReport[];
    };
    const reader = listed.journalReaders.find((entry) => entry.workflowId === journalWorkflowId);
    assert.ok(reader?.status, JSON.stringify(listed.journalReaders));
    assert.equal(reader.status.journalUrl, journalUrl);
    assert.equal(reader.status.counts.eventsHandedOn, 2);
    assert.ok(reader.status.counts.reads >= 2, 'reads counted');
    assert.equal(reader.status.counts.failures, 0);
    assert.deepEqual(
      listed.runFeeds.find((entry) => entry.workflowId === feedId),
      { workflowId: feedId, sandbox: dataflow.sandbox, pushed: pushCounters(feed.pushed) },
    );

    // Text: the dataflow table as before, then a section for the reader and a line for the feed.
    const listText = await deps();
    assert.equal(await runList({ all: false, json: false }, listText), 0, listText.io.stderr());
    const text = listText.io.stdout();
    assert.match(text, /^SANDBOX\/NAME +STATE +MONITOR$/m);
    // The sections docs/cli.md shows, under the same headings.
    const docs = documentText('docs/cli.md').split('\n');
    const sample = docs.slice(docs.indexOf('$ npm run client -- list') + 1);
    const headings = sample.slice(0, sample.indexOf('```')).filter((line) => /^[A-Z].*:$/.test(line));
    assert.equal(headings.length, 2, 'docs/cli.md shows both sections');
    for (const heading of headings) assert.match(text, new RegExp(`^${escaped(heading)}$`, 'm'));
    assert.match(text, new RegExp(`^ {2}${escaped(journalWorkflowId)} {2}${escaped(journalUrl)}$`, 'm'));
    assert.match(
      text,
      new RegExp(
        `^ {2}${escaped(journalWorkflowId)} .*\\n {4}\\d+ read\\(s\\), 2 event\\(s\\) handed on, 0 skipped \\(other event codes, no dataflow of ours\\); last read \\S+; last error none$`,
        'm',
      ),
    );
    assert.match(
      text,
      new RegExp(
        `^ {2}${escaped(feedId)} +2 event\\(s\\) pushed, 0 duplicate\\(s\\) dropped, 0 stale duplicate\\(s\\), 1 run\\(s\\) handed on \\(0 read from AEP\\), 0 run\\(s\\) of flows not ours \\(last ${escaped(feed.pushed.lastEventAt ?? '?')}\\)$`,
        'm',
      ),
    );

    // status: the pushed line as before, the two counters below it, and a line for the reader.
    const statusText = await deps();
    assert.equal(await runStatus(dataflow.target, { json: false, refresh: false }, statusText), 0);
    const shown = statusText.io.stdout();
    assert.match(
      shown,
      /^ {2}pushed {8}2 event\(s\), 0 duplicate\(s\) dropped, 1 run\(s\) handed on \(last \S+\)\n {16}0 stale duplicate\(s\), 0 run\(s\) of flows not ours$/m,
    );
    assert.match(
      shown,
      new RegExp(
        `^ {2}journal {7}${escaped(journalWorkflowId)}: \\d+ read\\(s\\), 2 event\\(s\\) handed on, 0 skipped .*; last error none$`,
        'm',
      ),
    );
    const statusJson = await deps();
    assert.equal(await runStatus(dataflow.target, { json: true, refresh: false }, statusJson), 0);
    const answered = JSON.parse(statusJson.io.stdout()) as { pushed: unknown; journalReaders: JournalReaderReport[] };
    assert.deepEqual(answered.pushed, pushCounters(feed.pushed));
    assert.equal(
      answered.journalReaders.find((entry) => entry.workflowId === journalWorkflowId)?.status?.counts.eventsHandedOn,
      2,
    );

    // No worker: list still answers, and the reader's and the feed's lines say that nobody did.
    await dataflow.worker.stop();
    const unanswered = await deps();
    assert.equal(await runList({ all: false, json: false }, unanswered), 0, unanswered.io.stderr());
    assert.match(
      unanswered.io.stdout(),
      new RegExp(`^ {2}${escaped(journalWorkflowId)}\\n {4}no answer within 3 s .+$`, 'm'),
    );
    assert.match(unanswered.io.stdout(), new RegExp(`^ {2}${escaped(feedId)} +no answer within 3 s .+$`, 'm'));
  });
});

function escaped(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
