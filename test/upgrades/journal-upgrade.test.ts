/**
 * Upgrading under the pull path (README "Upgrading a running fleet"), on the PostgreSQL-backed production server:
 * the I/O Events journal reader runs pinned to build A; build B is made current; between two reads the reader
 * continues as new onto B, carrying where it reads next and its counts, so A drains. Both builds run the same
 * workflow code (one bundle): what is tested is the move, not a change.
 *
 *   TEMPORAL_TEST_SERVER=production TEMPORAL_CLI_PATH=$(bash scripts/install-temporal.sh) \
 *     npx mocha test/upgrades/journal-upgrade.test.ts
 */
import assert from 'node:assert/strict';
import type { WorkerDeploymentVersion } from '@temporalio/common';
import type { WorkflowBundleWithSourceMap } from '@temporalio/worker';
import {
  eventsJournalStatusQuery,
  type EventsJournalInput,
  type EventsJournalStatus,
} from '../../src/contracts/events-journal-messages';
import { eventsJournalWorkflowId } from '../../src/contracts/workflow-ids';
import { describeVersion } from '../../src/temporal/worker-deployment';
import { getTemporal } from '../harness/temporal';
import { waitFor } from '../monitor/monitor-fixtures';
import { simulatorAdmin, uniqueName } from '../provisioning/provisioning-fixtures';
import {
  bundle,
  makeCurrent,
  readRuns,
  requireProductionTemporal,
  startVersionedWorker,
  uniqueDeploymentName,
  versioningOf,
  type VersionedWorker,
} from './versioned-workers';

describe('upgrading a running fleet: the I/O Events journal reader', function () {
  let workflowBundle: WorkflowBundleWithSourceMap;
  const workers: VersionedWorker[] = [];
  let readerId: string | undefined;

  before(async function () {
    requireProductionTemporal();
    this.timeout(240_000);
    await getTemporal();
    workflowBundle = await bundle(require.resolve('../../src/workflows'));
  });

  afterEach(async function () {
    this.timeout(60_000);
    if (readerId) {
      const { client } = await getTemporal();
      await client.workflow
        .getHandle(readerId)
        .terminate('test finished')
        .catch(() => {});
    }
    readerId = undefined;
    for (const worker of workers.splice(0)) await worker.stop();
  });

  it('moves to the current build between two reads, from where it was reading, and leaves the old build drained', async function () {
    this.timeout(120_000);
    const taskQueue = uniqueName('journal-upgrade');
    const deploymentName = uniqueDeploymentName();
    const buildA: WorkerDeploymentVersion = { deploymentName, buildId: 'build-a' };
    const buildB: WorkerDeploymentVersion = { deploymentName, buildId: 'build-b' };
    const { client } = await getTemporal();
    const status = (): Promise<EventsJournalStatus> =>
      client.workflow.getHandle(readerId!).query(eventsJournalStatusQuery);

    const workerA = await startVersionedWorker({ taskQueue, workflowBundle, version: buildA });
    workers.push(workerA);
    await makeCurrent(buildA);
    const admin = await simulatorAdmin();
    const registration = await admin.registerWebhook({ sandboxName: uniqueName('journal-sandbox') });
    const journalUrl = await admin.journalUrl(registration.id);
    readerId = eventsJournalWorkflowId(journalUrl);
    // Each read of the empty journal waits at most 200 ms (not the journal's 10 s): reads come several a second.
    // Reads per run far more than the test makes: only the new build can end the first run.
    const input: EventsJournalInput = {
      journalUrl,
      runFeedTaskQueue: taskQueue,
      longestEmptyWaitMs: 200,
      readsPerRun: 100_000,
    };
    await client.workflow.start('eventsJournal', { workflowId: readerId, taskQueue, args: [input] });
    await waitUntilPinnedTo(readerId, buildA);
    const onA = await waitFor('reads on build A', async () => {
      const now = await status();
      return now.counts.reads >= 3 ? now : undefined;
    });

    workers.push(await startVersionedWorker({ taskQueue, workflowBundle, version: buildB }));
    const switchedAt = Date.now();
    await makeCurrent(buildB);
    await waitUntilPinnedTo(readerId, buildB);
    const movedAfterMs = Date.now() - switchedAt;
    // A is drained: its worker stops, and the reader reads on, on B, its counts carried over.
    await workerA.stop();
    const onB = await waitFor('more reads on build B', async () => {
      const now = await status();
      return now.counts.reads >= onA.counts.reads + 3 ? now : undefined;
    });
    assert.match(onB.next, /[?&]since=/, 'reads on from a journal position, not from the start of the journal');
    assert.equal(onB.counts.failures, 0);

    const runs = await readRuns(readerId);
    const describeRuns = JSON.stringify(runs, null, 1);
    for (const run of runs) {
      assert.deepEqual(run.failedTasks, [], `no workflow task failed: ${describeRuns}`);
      assert.equal(run.builds.length, 1, `each run ran on one build only: ${describeRuns}`);
      assert.deepEqual(run.behaviors, ['PINNED'], `every run is pinned: ${describeRuns}`);
      if (run !== runs[0]) {
        assert.deepEqual(
          run.startedBy,
          { initialVersioningBehavior: 'AUTO_UPGRADE', inheritedPinnedVersion: undefined },
          `continue-as-new asked for the current build: ${describeRuns}`,
        );
      }
    }
    assert.deepEqual(
      runs.map((run) => run.builds[0]),
      ['build-a', 'build-b'],
      `one run on A, continued as new once onto B: ${describeRuns}`,
    );
    // At its next read once B was current.
    assert.ok(movedAfterMs < 20_000, `moved ${movedAfterMs} ms after build B became current`);
    console.log(`      journal reader on build B ${(movedAfterMs / 1000).toFixed(1)} s after it became current`);
  });
});

async function waitUntilPinnedTo(id: string, version: WorkerDeploymentVersion): Promise<void> {
  await waitFor(
    `${id} pinned to ${describeVersion(version)}`,
    async () => {
      const current = await versioningOf(id);
      return current.version === describeVersion(version) && current.behavior === 'PINNED';
    },
    30_000,
  );
}
