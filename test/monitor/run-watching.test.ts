/**
 * The monitor watches the dataflow's runs: the status (query, CLI, Web UI details, search attribute) shows them
 * with their record counts as the simulator recorded them.
 */
import assert from 'node:assert/strict';
import { runList } from '../../src/cli/list-command';
import { runStatus } from '../../src/cli/status-command';
import { connectTemporal } from '../../src/temporal/temporal-client';
import { pauseUpdate, refreshUpdate, runUpdatesSignal } from '../../src/contracts/monitor-messages';
import type { MonitorStatus } from '../../src/contracts/monitor-status';
import type { RunSummary } from '../../src/contracts/monitor-state';
import { DataflowState } from '../../src/contracts/search-attributes';
import { getTemporal } from '../harness/temporal';
import {
  capturedIo,
  monitoredDataflow,
  simulatorRequests,
  sleep,
  waitFor,
  type MonitoredDataflow,
} from './monitor-fixtures';

interface SimulatedRun {
  id: string;
  flowId: string;
  metrics: {
    durationSummary: { startedAtUTC: number };
    statusSummary: { status: string };
    recordSummary: { inputRecordCount: number; outputRecordCount: number; failedRecordCount: number };
  };
}

async function simulatedRuns(dataflow: MonitoredDataflow): Promise<SimulatedRun[]> {
  const runs = (await dataflow.admin.resources(dataflow.sandbox)).runs as unknown as SimulatedRun[];
  return runs.filter((run) => run.flowId === dataflow.provisioned.ids.flowId);
}

/** A fault rule that matches only this dataflow's run listing (`GET …/runs?…flowId==<id>…`). */
function runListingOf(dataflow: MonitoredDataflow): string {
  return `/flowservice/runs\\?.*${dataflow.provisioned.ids.flowId}`;
}

describe('dataflow monitor: watching runs', function () {
  let dataflow: MonitoredDataflow | undefined;

  afterEach(async function () {
    await dataflow?.dispose();
    dataflow = undefined;
  });

  it('shows succeeded runs with their record counts, as the simulator recorded them', async function () {
    dataflow = await monitoredDataflow();
    const status = await dataflow.waitForStatus('two finished runs, one with records', (current) => {
      const finished = current.lastRuns.filter((run) => run.outcome === 'success');
      return finished.length >= 2 && finished.some((run) => (run.records?.output ?? 0) > 0);
    });

    assert.equal(status.state, 'healthy');
    assert.equal(status.consecutiveFailures, 0);
    assert.deepEqual(status.ids, dataflow.provisioned.ids);
    const simulatedRuns = (await dataflow.admin.resources(dataflow.sandbox)).runs as unknown as SimulatedRun[];
    for (const run of status.lastRuns.filter((candidate) => candidate.outcome === 'success')) {
      const simulated = simulatedRuns.find((candidate) => candidate.id === run.id);
      assert.ok(simulated, `run ${run.id} is one of the simulator's runs`);
      assert.equal(simulated.flowId, dataflow.provisioned.ids.flowId);
      assert.deepEqual(run.records, {
        input: simulated.metrics.recordSummary.inputRecordCount,
        output: simulated.metrics.recordSummary.outputRecordCount,
        failed: simulated.metrics.recordSummary.failedRecordCount,
      });
    }
    // The first run reads every OneTrust subject (120 in the simulator).
    assert.ok(status.lastRuns.some((run) => run.records?.output === 120));

    const description = await dataflow.handle.describe();
    assert.equal(description.typedSearchAttributes.get(DataflowState), 'healthy');
  });

  it('answers `status` (text and --json), `status --refresh` and `list` from the CLI', async function () {
    // The feed looks only every 10 minutes here: a run that just finished can reach the monitor only by --refresh.
    dataflow = await monitoredDataflow({ monitor: { pollInterval: '1h' }, runFeed: { intervalMs: 600_000 } });
    const io = await capturedIo(dataflow.scenario.taskQueue);
    const deps = { io, connect: connectTemporal };

    const before = await dataflow.status();
    assert.equal(before.lastRuns.length, 0, 'nothing handed over yet');
    const finished = await waitFor('a run to finish in the simulator', async () =>
      (await simulatedRuns(dataflow!)).find((run) => run.metrics.statusSummary.status === 'success'),
    );
    assert.equal(await runStatus(dataflow.target, { json: true, refresh: true }, deps), 0);
    const refreshed = (JSON.parse(io.stdout()) as { ok: boolean; status: MonitorStatus }).status;
    assert.ok(refreshed.lastFeedMessageAt !== undefined, 'the run feed looked on request and answered');
    assert.equal(refreshed.lastReconcileAt, undefined, 'without the monitor listing the runs itself');
    const seen = refreshed.lastRuns.find((run) => run.id === finished.id);
    assert.equal(seen?.outcome, 'success', 'the run that had just finished is shown');

    const textIo = await capturedIo(dataflow.scenario.taskQueue);
    assert.equal(
      await runStatus(dataflow.target, { json: false, refresh: false }, { io: textIo, connect: connectTemporal }),
      0,
    );
    assert.match(textIo.stdout(), new RegExp(`^${dataflow.target}: healthy`));
    assert.match(textIo.stdout(), /RUN +STATUS +STARTED +IN +OUT +FAILED/);
    assert.match(textIo.stdout(), new RegExp(`${refreshed.lastRuns[0]!.id} +success`));

    const listed = await waitFor('the monitor in visibility', async () => {
      const listIo = await capturedIo(dataflow!.scenario.taskQueue);
      assert.equal(await runList({ all: false, json: true }, { io: listIo, connect: connectTemporal }), 0);
      const answer = JSON.parse(listIo.stdout()) as {
        dataflows: Array<{ sandbox: string; name: string; state: string }>;
      };
      return answer.dataflows.find((entry) => entry.sandbox === dataflow!.sandbox && entry.name === dataflow!.name);
    });
    assert.equal(listed.state, 'healthy');

    const missingIo = await capturedIo(dataflow.scenario.taskQueue);
    const code = await runStatus(
      `${dataflow.sandbox}/no-such-dataflow`,
      { json: false, refresh: false },
      { io: missingIo, connect: connectTemporal },
    );
    assert.equal(code, 2);
    assert.match(missingIo.stderr(), /no dataflow .*no-such-dataflow: it was never provisioned/);
  });

  it('keeps the Web UI current details in step with the status', async function () {
    dataflow = await monitoredDataflow();
    const status = await dataflow.waitForStatus('a finished run', (current) =>
      current.lastRuns.some((run) => run.outcome === 'success'),
    );
    const { client } = await getTemporal();
    const details = await waitFor('current details naming a run', async () => {
      const metadata = await client.workflow
        .getHandle(dataflow!.handle.workflowId)
        .query<{ currentDetails?: string }>('__temporal_workflow_metadata');
      return metadata.currentDetails?.includes(status.lastRuns.find((run) => run.outcome === 'success')!.id)
        ? metadata.currentDetails
        : undefined;
    });
    assert.match(details, new RegExp(`### ${dataflow.target}: \\*\\*healthy\\*\\*`));
    assert.match(details, /OneTrust token expires/);
  });

  it('reports the dataflow unmonitored after several failed reconciles, and says when it can see again', async function () {
    dataflow = await monitoredDataflow({ monitorInput: { reconcileIntervalMs: 1_000 } });
    const { alerts } = dataflow;
    await dataflow.waitForStatus('a first reconcile', (status) => status.lastReconcileAt !== undefined);
    await dataflow.admin.addFault({ method: 'GET', path: runListingOf(dataflow), status: 403, times: 5 });

    const blind = await dataflow.waitForStatus('state unmonitored', (status) => status.state === 'unmonitored', 20_000);
    assert.ok(blind.reconcileTrouble && blind.reconcileTrouble.failures >= 3, JSON.stringify(blind.reconcileTrouble));
    assert.match(blind.lastReconcileError ?? '', /HTTP 403/);
    const unmonitored = await waitFor('the unmonitored alert', () => alerts.ofKind('unmonitored')[0]);
    assert.equal(unmonitored.alert.severity, 'critical');
    assert.match(unmonitored.alert.message, /: cannot list runs: HTTP 403 /);
    const textIo = await capturedIo(dataflow.scenario.taskQueue);
    assert.equal(
      await runStatus(dataflow.target, { json: false, refresh: false }, { io: textIo, connect: connectTemporal }),
      0,
    );
    assert.match(textIo.stdout(), new RegExp(`^${dataflow.target}: unmonitored`));
    assert.match(textIo.stdout(), /last reconcile failed \(\d+ in a row since .*\): list runs: HTTP 403/);

    const seeing = await dataflow.waitForStatus('runs listed again', (status) => status.state === 'healthy', 20_000);
    assert.equal(seeing.reconcileTrouble, undefined);
    await waitFor('the monitoring-resumed alert', () => alerts.ofKind('monitoring-resumed')[0]);
    assert.equal(alerts.ofKind('unmonitored').length, 1, 'one alert for the whole blind spell');
    // The search attribute follows once the alert's activity has completed (the alert arrives a moment before).
    await waitFor('the search attribute to follow', async () =>
      (await dataflow!.handle.describe()).typedSearchAttributes.get(DataflowState) === 'healthy' ? true : undefined,
    );
  });

  it('counts every run once when more start between two looks of the feed than one page holds', async function () {
    // Every run fails (the token expires at once), so the failure count must equal the number of runs.
    dataflow = await monitoredDataflow({
      tokenExpiresInSeconds: 8,
      monitor: { tokenWarnings: ['1s'] },
      runFeed: { intervalMs: 3_000, pageSize: 3 },
    });
    const flowId = dataflow.provisioned.ids.flowId;
    await dataflow.waitForStatus('the token expired', (status) => status.state === 'token-expired', 20_000);
    // No scheduled runs from here on: only the ones started below, with the monitor not looking meanwhile.
    await dataflow.handle.executeUpdate(pauseUpdate);
    const started = 10;
    for (let index = 0; index < started; index += 1) {
      await dataflow.admin.startRun(flowId);
      await sleep(5);
    }
    await waitFor('every run to end in the simulator', async () =>
      (await simulatedRuns(dataflow!)).every((run) => run.metrics.statusSummary.status !== 'inProgress'),
    );
    const runs = await simulatedRuns(dataflow);
    const lastSuccess = Math.max(
      0,
      ...runs
        .filter((run) => run.metrics.statusSummary.status === 'success')
        .map((run) => run.metrics.durationSummary.startedAtUTC),
    );
    const failedSinceLastSuccess = runs.filter(
      (run) => run.metrics.statusSummary.status === 'failed' && run.metrics.durationSummary.startedAtUTC > lastSuccess,
    );
    assert.ok(failedSinceLastSuccess.length >= started, 'the started runs failed on the expired token');
    const feedListings = async () =>
      (await simulatorRequests(dataflow!.sandbox)).filter(
        (entry) => entry.path.endsWith('/runs') && JSON.stringify(entry.query).includes('startedAtUTC'),
      ).length;
    const listingsBefore = await feedListings();

    await dataflow.handle.executeUpdate(refreshUpdate);
    const counted = await dataflow.waitForStatus(
      'every failed run counted',
      (status) => status.consecutiveFailures === failedSinceLastSuccess.length,
      20_000,
    );
    assert.equal(counted.failureCause, 'token');
    const newestFailed = Math.max(...failedSinceLastSuccess.map((run) => run.metrics.durationSummary.startedAtUTC));
    assert.equal(Date.parse(counted.lastRuns[0]!.startedAt!), newestFailed, 'the newest run was reached');
    const listings = (await feedListings()) - listingsBefore;
    assert.ok(listings >= Math.ceil(started / 3), `the feed read page by page (${listings} listings)`);
    await sleep(1500);
    assert.equal((await dataflow.status()).consecutiveFailures, failedSinceLastSuccess.length, 'and none twice');
  });

  it('follows the newest run by start: an older failure handed over after a newer success leaves it healthy', async function () {
    // The feed's own look is an hour away: only the messages sent below reach the monitor.
    dataflow = await monitoredDataflow({ runFeed: { intervalMs: 3_600_000 } });
    const minute = 60_000;
    const at = Date.now();
    const finishedRun = (id: string, startedAtMs: number, outcome: 'success' | 'failed'): RunSummary => ({
      id,
      status: outcome,
      outcome,
      startedAt: new Date(startedAtMs).toISOString(),
      completedAt: new Date(startedAtMs + minute).toISOString(),
      ...(outcome === 'failed'
        ? { cause: 'platform' as const, errors: [{ code: 'CONNECTOR-2001-500', message: 'platform trouble' }] }
        : {}),
    });
    const send = (run: RunSummary) =>
      dataflow!.handle.signal(runUpdatesSignal, { runs: [run], listedAt: new Date().toISOString() });

    await send(finishedRun('newer-success', at - 2 * minute, 'success'));
    await send(finishedRun('older-failure', at - 4 * minute, 'failed'));
    const afterBoth = await dataflow.waitForStatus('both runs learned', (status) =>
      ['newer-success', 'older-failure'].every((id) => status.lastRuns.some((run) => run.id === id)),
    );
    assert.equal(afterBoth.state, 'healthy', 'the older failure does not make it failing');
    assert.equal(afterBoth.consecutiveFailures, 0);
    assert.deepEqual(
      afterBoth.lastRuns.map((run) => [run.id, run.outcome]),
      [
        ['newer-success', 'success'],
        ['older-failure', 'failed'],
      ],
      'the older failure is shown in the history, behind the newer run',
    );
    assert.equal(afterBoth.counts.runsFailed, 1, 'and counted');

    // A failure newer than both does alert: once its alert arrived, any alert for the older one would have too.
    await send(finishedRun('newest-failure', at, 'failed'));
    await waitFor('the newest failure alerted', () =>
      Promise.resolve(dataflow!.alerts.ofKind('run-failed').length > 0 ? true : undefined),
    );
    assert.deepEqual(
      dataflow.alerts.ofKind('run-failed').map((entry) => entry.alert.details.runId),
      ['newest-failure'],
      'no run-failed alert for the older failure',
    );
    assert.equal((await dataflow.status()).state, 'failing');
  });
});
