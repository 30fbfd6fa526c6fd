/**
 * Arrangements for the upgrade tests: versioned workers (the product's own workerDeploymentOptions and
 * makeVersionCurrent, from src/temporal/worker-deployment.ts) built from a given workflow bundle, and a reading
 * of every run of a workflow id: which build ran each workflow task, with which versioning behavior, which patch
 * markers it recorded, and whether any workflow task failed.
 */
import { randomBytes } from 'node:crypto';
import type { WorkerDeploymentVersion } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { bundleWorkflowCode, Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { createActivities, recordAttemptStart } from '../../src/activities';
import { createAepClient } from '../../src/aep';
import { describeVersion, makeVersionCurrent, workerDeploymentOptions } from '../../src/temporal/worker-deployment';
import { usesProductionTemporal } from '../harness/production-temporal';
import { getTemporal } from '../harness/temporal';
import { simulatorAepSettings, testSecretBox } from '../harness/test-worker';

/** Worker deployments need the PostgreSQL-backed server of docker-compose: refuse any other, loudly. */
export function requireProductionTemporal(): void {
  if (!usesProductionTemporal() || process.env.TEMPORAL_TEST_ADDRESS) {
    throw new Error(
      'the upgrade tests run only on the PostgreSQL-backed production server: ' +
        'TEMPORAL_TEST_SERVER=production TEMPORAL_CLI_PATH=$(bash scripts/install-temporal.sh) npx mocha test/upgrades/*.test.ts' +
        (process.env.TEMPORAL_TEST_ADDRESS ? ' (and without TEMPORAL_TEST_ADDRESS)' : ''),
    );
  }
}

const quietBundler = {
  trace() {},
  debug() {},
  info() {},
  warn() {},
  error: (message: string) => console.error(message),
  log() {},
};

export function bundle(workflowsPath: string): Promise<WorkflowBundleWithSourceMap> {
  return bundleWorkflowCode({ workflowsPath, logger: quietBundler });
}

/** A deployment name no other test (or earlier run on a kept server) uses. */
export function uniqueDeploymentName(): string {
  return `upgrade-test-${randomBytes(4).toString('hex')}`;
}

export interface VersionedWorker {
  /** Undefined for an unversioned worker (the fleet before versioning was turned on). */
  version: WorkerDeploymentVersion | undefined;
  /** Stops polling, lets running tasks finish, closes the AEP client. Safe to call twice. */
  stop(): Promise<void>;
}

/** A worker of one deployment version (or unversioned) on `taskQueue`: real activities against the simulator. */
export async function startVersionedWorker(options: {
  taskQueue: string;
  workflowBundle: WorkflowBundleWithSourceMap;
  version: WorkerDeploymentVersion | undefined;
}): Promise<VersionedWorker> {
  const [temporalServer, aepSettings] = await Promise.all([getTemporal(), simulatorAepSettings()]);
  const aep = createAepClient(aepSettings);
  const worker = await Worker.create({
    connection: temporalServer.nativeConnection,
    namespace: temporalServer.namespace,
    taskQueue: options.taskQueue,
    workflowBundle: options.workflowBundle,
    activities: createActivities({
      aep,
      secrets: testSecretBox(),
      runFeed: { taskQueue: options.taskQueue, intervalMs: 1_000 },
    }),
    interceptors: { activity: [recordAttemptStart] },
    shutdownGraceTime: '2s',
    ...(options.version ? { workerDeploymentOptions: workerDeploymentOptions(options.version) } : {}),
  });
  const running = worker.run();
  let stopped: Promise<void> | undefined;
  return {
    version: options.version,
    stop() {
      stopped ??= (async () => {
        if (worker.getState() === 'RUNNING') worker.shutdown();
        try {
          await running;
        } finally {
          await aep.close();
        }
      })();
      return stopped;
    },
  };
}

/** Makes the version current as the worker's WORKER_SET_CURRENT=true does (what the CLI's set-current-version does). */
export async function makeCurrent(version: WorkerDeploymentVersion): Promise<void> {
  const { connection, namespace } = await getTemporal();
  await makeVersionCurrent(connection, namespace, version, { identity: 'upgrade test', timeoutMs: 60_000 });
}

export interface RunReading {
  runId: string;
  status: string;
  /** Build ids of the workers that completed this run's workflow tasks, in order of first appearance. */
  builds: string[];
  /** Versioning behaviors those workers reported ('PINNED', 'AUTO_UPGRADE', 'UNSPECIFIED'). */
  behaviors: string[];
  /** Patch ids recorded by patched() in this run. */
  patches: string[];
  /** Workflow tasks that failed (a nondeterminism error is one), with their cause and message. */
  failedTasks: string[];
  /**
   * For a run started by continue-as-new: the initial versioning behavior the previous run asked for, and the
   * version it would otherwise have inherited (pinned runs pass theirs on unless told AUTO_UPGRADE).
   */
  startedBy: { initialVersioningBehavior: string; inheritedPinnedVersion: string | undefined } | undefined;
  startedAt: number;
}

const behaviorNames: Record<number, string> = {
  [temporal.api.enums.v1.VersioningBehavior.VERSIONING_BEHAVIOR_UNSPECIFIED]: 'UNSPECIFIED',
  [temporal.api.enums.v1.VersioningBehavior.VERSIONING_BEHAVIOR_PINNED]: 'PINNED',
  [temporal.api.enums.v1.VersioningBehavior.VERSIONING_BEHAVIOR_AUTO_UPGRADE]: 'AUTO_UPGRADE',
};

const canBehaviorNames: Record<number, string> = {
  [temporal.api.enums.v1.ContinueAsNewVersioningBehavior.CONTINUE_AS_NEW_VERSIONING_BEHAVIOR_UNSPECIFIED]:
    'UNSPECIFIED',
  [temporal.api.enums.v1.ContinueAsNewVersioningBehavior.CONTINUE_AS_NEW_VERSIONING_BEHAVIOR_AUTO_UPGRADE]:
    'AUTO_UPGRADE',
  [temporal.api.enums.v1.ContinueAsNewVersioningBehavior.CONTINUE_AS_NEW_VERSIONING_BEHAVIOR_USE_RAMPING_VERSION]:
    'USE_RAMPING_VERSION',
};

/** Every run of `workflowId`, oldest first, read from its history. */
export async function readRuns(workflowId: string): Promise<RunReading[]> {
  const { client } = await getTemporal();
  const readings: RunReading[] = [];
  for await (const execution of client.workflow.list({ query: `WorkflowId = '${workflowId}'` })) {
    const history = await client.workflow.getHandle(workflowId, execution.runId).fetchHistory();
    const reading: RunReading = {
      runId: execution.runId,
      status: execution.status.name,
      builds: [],
      behaviors: [],
      patches: [],
      failedTasks: [],
      startedBy: undefined,
      startedAt: execution.startTime.getTime(),
    };
    for (const event of history.events ?? []) {
      const completed = event.workflowTaskCompletedEventAttributes;
      if (completed) {
        const build = completed.deploymentVersion?.buildId || '(unversioned)';
        if (!reading.builds.includes(build)) reading.builds.push(build);
        const behavior = behaviorNames[completed.versioningBehavior ?? 0] ?? String(completed.versioningBehavior);
        if (!reading.behaviors.includes(behavior)) reading.behaviors.push(behavior);
      }
      const failed = event.workflowTaskFailedEventAttributes;
      if (failed) reading.failedTasks.push(`${String(failed.cause)}: ${failed.failure?.message ?? ''}`);
      const marker = event.markerRecordedEventAttributes;
      if (marker?.markerName === 'core_patch') {
        const data = marker.details?.['patch-data']?.payloads?.[0]?.data;
        if (data) reading.patches.push((JSON.parse(Buffer.from(data).toString('utf8')) as { id: string }).id);
      }
      const started = event.workflowExecutionStartedEventAttributes;
      if (started?.continuedExecutionRunId) {
        const inherited = started.inheritedPinnedVersion;
        reading.startedBy = {
          initialVersioningBehavior:
            canBehaviorNames[started.inheritedAutoUpgradeInfo?.continueAsNewInitialVersioningBehavior ?? 0] ??
            'UNSPECIFIED',
          inheritedPinnedVersion: inherited?.buildId
            ? describeVersion({ deploymentName: inherited.deploymentName ?? '', buildId: inherited.buildId })
            : undefined,
        };
      }
    }
    readings.push(reading);
  }
  return readings.sort((left, right) => left.startedAt - right.startedAt);
}

/** The version the server says the (latest) run of `workflowId` is on, as "name:buildId", and its behavior. */
export async function versioningOf(workflowId: string): Promise<{ version: string; behavior: string }> {
  const { client } = await getTemporal();
  const { raw } = await client.workflow.getHandle(workflowId).describe();
  const info = raw.workflowExecutionInfo?.versioningInfo;
  const version = info?.deploymentVersion;
  return {
    version: version?.buildId
      ? describeVersion({ deploymentName: version.deploymentName ?? '', buildId: version.buildId })
      : '(unversioned)',
    behavior: behaviorNames[info?.behavior ?? 0] ?? String(info?.behavior),
  };
}
