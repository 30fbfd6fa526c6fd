/**
 * Upgrading a running fleet (README "Upgrading a running fleet"), on the PostgreSQL-backed production server:
 * monitors and their sandbox's run feed run on build A (versioned workers with the real workflow bundle, A made
 * current); build B, whose monitor ships a change gated with patched(), is deployed beside A and made current.
 * Each run stays on the build that started it (PINNED), so nothing replays on code it did not start with; at
 * their next continue-as-new the monitors and the feed move to B, where B's gated branch runs; A's workers can then
 * stop. Provisionings finish on the build that started them. Also: rolling back to A, and turning versioning on
 * under a fleet that ran unversioned.
 *
 *   TEMPORAL_TEST_SERVER=production TEMPORAL_CLI_PATH=$(bash scripts/install-temporal.sh) \
 *     npx mocha test/upgrades/monitor-upgrade.test.ts
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { WorkerDeploymentVersion } from '@temporalio/common';
import type { WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { describeVersion } from '../../src/temporal/worker-deployment';
import { monitorWorkflowId, provisionWorkflowId, runFeedWorkflowId } from '../../src/contracts/workflow-ids';
import { getTemporal } from '../harness/temporal';
import { childProcessEnv } from '../harness/test-worker';
import { waitFor } from '../monitor/monitor-fixtures';
import { uniqueName } from '../provisioning/provisioning-fixtures';
import { spawnTsx, type SpawnedProcess } from '../provisioning/spawned-process';
import { sandboxFleet, type FleetMember, type SandboxFleet } from '../run-feed/sandbox-fleet';
import { buildBMemoKey, buildBPatchId } from './build-b-workflows';
import {
  bundle,
  makeCurrent,
  readRuns,
  requireProductionTemporal,
  startVersionedWorker,
  uniqueDeploymentName,
  versioningOf,
  type RunReading,
  type VersionedWorker,
} from './versioned-workers';

describe('upgrading a running fleet: worker deployment versions', function () {
  let bundleA: WorkflowBundleWithSourceMap;
  let bundleB: WorkflowBundleWithSourceMap;
  const workers: VersionedWorker[] = [];
  let fleet: SandboxFleet | undefined;
  let workerProcess: SpawnedProcess | undefined;
  let taskQueue: string;
  let buildA: WorkerDeploymentVersion;
  let buildB: WorkerDeploymentVersion;

  before(async function () {
    requireProductionTemporal();
    this.timeout(240_000);
    await getTemporal();
    // One after the other: webpack on two cores next to a running server.
    bundleA = await bundle(require.resolve('../../src/workflows'));
    bundleB = await bundle(require.resolve('./build-b-workflows'));
  });

  beforeEach(function () {
    taskQueue = uniqueName('upgrade');
    const deploymentName = uniqueDeploymentName();
    buildA = { deploymentName, buildId: 'build-a' };
    buildB = { deploymentName, buildId: 'build-b' };
  });

  afterEach(async function () {
    this.timeout(60_000);
    await fleet?.dispose();
    fleet = undefined;
    for (const worker of workers.splice(0)) await worker.stop();
    await workerProcess?.stop();
    workerProcess = undefined;
  });

  async function startWorker(version: WorkerDeploymentVersion | undefined): Promise<VersionedWorker> {
    const workflowBundle = version === buildB ? bundleB : bundleA;
    const worker = await startVersionedWorker({ taskQueue, workflowBundle, version });
    workers.push(worker);
    return worker;
  }

  /** Two dataflows in one sandbox, their monitors and the sandbox's feed on small event budgets. */
  async function startFleet(): Promise<{ fleet: SandboxFleet; monitorIds: string[]; feedId: string }> {
    fleet = await sandboxFleet({
      taskQueue,
      dataflows: 2,
      // Monitors: a budget they do not reach in this test, so the move to a new build can only come from the
      // server telling them it is current (their next wake). The feed continues as new within seconds.
      monitorInput: { continueAsNewAfterEvents: 1_000 },
      runFeedInput: { intervalMs: 1_000, continueAsNewAfterEvents: 40 },
    });
    const { sandbox, members } = fleet;
    for (const member of members) {
      await waitFor(
        `${member.name} to learn of runs`,
        async () => {
          const status = await member.status();
          return status.counts.runsLearned >= 2;
        },
        60_000,
      );
    }
    return {
      fleet,
      monitorIds: members.map((member) => monitorWorkflowId(sandbox, member.name)),
      feedId: runFeedWorkflowId(sandbox),
    };
  }

  it('moves running monitors and their run feed to build B at continue-as-new, where its patched branch runs', async function () {
    this.timeout(300_000);
    const { client } = await getTemporal();

    // -- Build A: the fleet today.
    const workerA = await startWorker(buildA);
    await makeCurrent(buildA);
    const { fleet: started, monitorIds, feedId } = await startFleet();
    const { sandbox, members } = started;
    // (A run that has just continued as new shows AUTO_UPGRADE until its first workflow task completes.)
    await waitUntilPinnedTo([...monitorIds, feedId], buildA, 30_000);

    // -- Build B beside A, made current.
    await startWorker(buildB);
    const switchedAt = Date.now();
    await makeCurrent(buildB);

    // Each monitor and the feed move to B at their next continue-as-new, and B's gated branch runs there.
    await waitUntilPinnedTo([...monitorIds, feedId], buildB, 90_000);
    const movedAfterMs = Date.now() - switchedAt;
    for (const id of monitorIds) {
      const { memo } = await client.workflow.getHandle(id).describe();
      assert.equal(
        memo?.[buildBMemoKey],
        'build-b',
        `${id}: build B's patched branch ran (memo ${JSON.stringify(memo)})`,
      );
    }
    // And on B they go on doing their job: runs keep reaching them through the feed (now on B too).
    await waitUntilEachLearnsMoreRuns(members, 'on build B');

    // -- The histories: no workflow task failed (no nondeterminism), every run ran on one build only, pinned,
    // and was started by a continue-as-new that asked for the current build; B's patch only in B's runs.
    for (const id of monitorIds) checkPinnedRuns(id, await readRuns(id), ['build-a', 'build-b'], buildBPatchId);
    checkPinnedRuns(feedId, await readRuns(feedId), ['build-a', 'build-b'], undefined);
    // Provisioning ran pinned on A from start to end.
    for (const member of members) {
      const runs = await readRuns(provisionWorkflowId(sandbox, member.name));
      assert.deepEqual(
        runs.map((run) => ({ status: run.status, builds: run.builds, behaviors: run.behaviors })),
        [{ status: 'COMPLETED', builds: ['build-a'], behaviors: ['PINNED'] }],
      );
    }

    // -- A is drained: no open workflow is left on it (the README's query), so its workers can stop.
    await waitFor(
      'visibility to show nothing open on build A, and the two monitors and the feed on B',
      async () => (await openOn(buildA)) === 0 && (await openOn(buildB)) === 3,
      30_000,
    );
    await workerA.stop();
    await waitUntilEachLearnsMoreRuns(members, "with A's workers stopped");
    console.log(`      monitors and feed on build B ${(movedAfterMs / 1000).toFixed(1)} s after it became current`);
    // At their next wake (a message from the feed, within seconds), not after 1,000 events.
    assert.ok(movedAfterMs < 30_000, `moved ${movedAfterMs} ms after build B became current`);
  });

  it("rolls back: A made current again takes them back at their next continue-as-new, B's runs end on B", async function () {
    this.timeout(300_000);
    await startWorker(buildA);
    await makeCurrent(buildA);
    const { fleet: started, monitorIds, feedId } = await startFleet();
    await startWorker(buildB);
    await makeCurrent(buildB);
    await waitUntilPinnedTo([...monitorIds, feedId], buildB, 90_000);
    await waitUntilEachLearnsMoreRuns(started.members, 'on build B');

    // The rollback: A is current again; B's workers stay until B's runs have continued as new onto A.
    await makeCurrent(buildA);
    await waitUntilPinnedTo([...monitorIds, feedId], buildA, 90_000);
    await waitUntilEachLearnsMoreRuns(started.members, 'back on build A');

    for (const id of monitorIds) {
      checkPinnedRuns(id, await readRuns(id), ['build-a', 'build-b', 'build-a'], buildBPatchId);
    }
    checkPinnedRuns(feedId, await readRuns(feedId), ['build-a', 'build-b', 'build-a'], undefined);
  });

  it('turns versioning on under a fleet that ran unversioned: the open runs move to the first version', async function () {
    this.timeout(300_000);
    const unversioned = await startWorker(undefined);
    const { fleet: started, monitorIds, feedId } = await startFleet();
    for (const id of [...monitorIds, feedId]) {
      assert.equal((await versioningOf(id)).version, '(unversioned)', id);
    }
    // The README's query for "open and unversioned": the two monitors and the feed.
    const { client } = await getTemporal();
    const openUnversioned = `TemporalWorkerDeploymentVersion IS NULL AND ExecutionStatus = 'Running' AND TaskQueue = '${taskQueue}'`;
    await waitFor(
      'visibility to show three open unversioned',
      async () => (await client.workflow.count(openUnversioned)).count === 3,
    );

    // The first versioned build runs the same workflow code; made current, it takes over the open runs at their
    // next workflow task (they replay on it: same code), and pins them there.
    await startWorker(buildA);
    await makeCurrent(buildA);
    await waitUntilPinnedTo([...monitorIds, feedId], buildA, 90_000);
    // Nothing open is left without a version: the unversioned worker can stop.
    const openOnA = `TemporalWorkerDeploymentVersion = '${describeVersion(buildA)}' AND ExecutionStatus = 'Running'`;
    await waitFor(
      'visibility to show nothing open without a version, and the monitors and the feed on A',
      async () =>
        (await client.workflow.count(openUnversioned)).count === 0 &&
        (await client.workflow.count(openOnA)).count === 3,
      30_000,
    );
    await unversioned.stop();
    await waitUntilEachLearnsMoreRuns(started.members, 'on build A, with the unversioned worker stopped');

    // Every run: unversioned only (before), unversioned then A (taken over at a workflow task, replayed on A,
    // pinned there from then on), or A only; no workflow task failed.
    let movedMidRun = 0;
    for (const id of [...monitorIds, feedId]) {
      const runs = await readRuns(id);
      const describeRuns = JSON.stringify(runs, null, 1);
      for (const run of runs) {
        assert.deepEqual(run.failedTasks, [], `${id}: no workflow task failed: ${describeRuns}`);
        const shape = JSON.stringify([run.builds, run.behaviors]);
        assert.ok(
          [
            [['(unversioned)'], ['UNSPECIFIED']],
            [
              ['(unversioned)', 'build-a'],
              ['UNSPECIFIED', 'PINNED'],
            ],
            [['build-a'], ['PINNED']],
          ].some((allowed) => JSON.stringify(allowed) === shape),
          `${id}: ${shape}: ${describeRuns}`,
        );
        if (run.builds.length === 2) movedMidRun += 1;
      }
      assert.deepEqual(runs[runs.length - 1]!.builds.slice(-1), ['build-a'], describeRuns);
    }
    assert.ok(movedMidRun >= 1, 'some run was taken over by build A in the middle');
  });

  it('the worker program with WORKER_VERSIONING=true and WORKER_SET_CURRENT=true makes its build current', async function () {
    this.timeout(300_000);
    const bundleDir = mkdtempSync(join(tmpdir(), 'upgrade-bundle-'));
    try {
      const bundlePath = join(bundleDir, 'workflow-bundle.js');
      writeFileSync(bundlePath, bundleA.code);
      workerProcess = spawnTsx('src/worker.ts', [], {
        ...(await childProcessEnv(taskQueue)),
        WORKFLOW_BUNDLE_PATH: bundlePath,
        LOG_LEVEL: 'INFO',
        WORKER_VERSIONING: 'true',
        WORKER_DEPLOYMENT_NAME: buildA.deploymentName,
        WORKER_BUILD_ID: buildA.buildId,
        WORKER_SET_CURRENT: 'true',
      });
      await workerProcess.waitForOutput(/this version is now the current version of its deployment/, 120_000);
      assert.match(workerProcess.output(), new RegExp(`"deploymentVersion":"${describeVersion(buildA)}"`));

      const { connection, namespace } = await getTemporal();
      const { workerDeploymentInfo } = await connection.workflowService.describeWorkerDeployment({
        namespace,
        deploymentName: buildA.deploymentName,
      });
      assert.equal(workerDeploymentInfo?.routingConfig?.currentDeploymentVersion?.buildId, buildA.buildId);

      // New work goes to it, pinned.
      const { fleet: started, monitorIds, feedId } = await startFleet();
      await waitUntilPinnedTo([...monitorIds, feedId], buildA, 30_000);
      const runs = await readRuns(provisionWorkflowId(started.sandbox, started.members[0]!.name));
      assert.deepEqual(
        runs.map((run) => ({ status: run.status, builds: run.builds, behaviors: run.behaviors })),
        [{ status: 'COMPLETED', builds: ['build-a'], behaviors: ['PINNED'] }],
      );
    } finally {
      rmSync(bundleDir, { recursive: true, force: true });
    }
  });
});

// ---- Helpers ---------------------------------------------------------------------------------------------------

async function waitUntilPinnedTo(ids: string[], version: WorkerDeploymentVersion, timeoutMs: number): Promise<void> {
  for (const id of ids) {
    await waitFor(
      `${id} pinned to ${describeVersion(version)}`,
      async () => {
        const current = await versioningOf(id);
        return current.version === describeVersion(version) && current.behavior === 'PINNED';
      },
      timeoutMs,
    );
  }
}

async function waitUntilEachLearnsMoreRuns(members: FleetMember[], when: string): Promise<void> {
  const before = await Promise.all(members.map(async (member) => (await member.status()).counts.runsLearned));
  for (const [index, member] of members.entries()) {
    await waitFor(
      `${member.name} to learn more runs ${when}`,
      async () => (await member.status()).counts.runsLearned > before[index]! + 2,
      60_000,
    );
  }
}

/** Open workflows on `version`, as visibility (and the README's `temporal workflow count`) sees them. */
async function openOn(version: WorkerDeploymentVersion): Promise<number> {
  const { client } = await getTemporal();
  const query = `TemporalWorkerDeploymentVersion = '${describeVersion(version)}' AND ExecutionStatus = 'Running'`;
  return (await client.workflow.count(query)).count;
}

/**
 * Every run: no failed workflow task, one build only, PINNED; every run after the first started by a
 * continue-as-new that asked for the current build (AUTO_UPGRADE), inheriting no pinned version; the builds in
 * the order `phases` gives (each phase one or more runs); `patchInB`, when given, recorded in build B's runs only.
 */
function checkPinnedRuns(id: string, runs: RunReading[], phases: string[], patchInB: string | undefined): void {
  const describeRuns = JSON.stringify(runs, null, 1);
  for (const run of runs) {
    assert.deepEqual(run.failedTasks, [], `${id}: no workflow task failed: ${describeRuns}`);
    assert.equal(run.builds.length, 1, `${id}: each run ran on one build only: ${describeRuns}`);
    assert.deepEqual(run.behaviors, ['PINNED'], `${id}: every run is pinned: ${describeRuns}`);
    if (run !== runs[0]) {
      assert.deepEqual(
        run.startedBy,
        { initialVersioningBehavior: 'AUTO_UPGRADE', inheritedPinnedVersion: undefined },
        `${id}: continue-as-new asked for the current build: ${describeRuns}`,
      );
    }
    // Only the test's own marker: the product's patches (e.g. re-sealing before continue-as-new) come and go.
    const expectedPatches = run.builds[0] === 'build-b' && patchInB ? [patchInB] : [];
    const testPatches = run.patches.filter((patch) => patch.startsWith('upgrade-test-'));
    assert.deepEqual(testPatches, expectedPatches, `${id}: patch markers: ${describeRuns}`);
  }
  const builds = runs.map((run) => run.builds[0]);
  const seen = builds.filter((build, index) => index === 0 || build !== builds[index - 1]);
  assert.deepEqual(seen, phases, `${id}: builds of its runs, in order: ${builds.join(' ')}`);
}
