/**
 * The worker process (`npm run worker`): runs the provisioning, monitor and run feed workflows and their
 * activities, on every task queue it is given (one by default; see src/temporal/task-queue.ts).
 * Temporal connection from Temporal's env config (TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TLS, API key, profile
 * file); AEP settings from AEP_*; the secrets keyring from DATAFLOW_SECRETS_KEYRING(_FILE) and/or the legacy
 * shared key from DATAFLOW_SECRETS_KEY(_FILE) (with neither, NODE_ENV=production refuses to start: src/secrets);
 * optionally a prebuilt workflow bundle from WORKFLOW_BUNDLE_PATH; with WORKER_VERSIONING=true, the worker
 * deployment version it belongs to (src/temporal/worker-deployment.ts). SIGINT/SIGTERM stop it gracefully: no new
 * tasks are taken and running activities get SHUTDOWN_GRACE_TIME to finish.
 */
// First: on an unsupported Node.js, say so before anything else can fail.
import './runtime/require-supported-node';
import { loadClientConnectConfig } from '@temporalio/envconfig';
import type { Duration } from '@temporalio/common';
import { bundleWorkflowCode, NativeConnection, Worker, type Logger, type WorkerOptions } from '@temporalio/worker';
import { request } from 'undici';
import { Client } from '@temporalio/client';
import { createActivities, recordAttemptStart, type WebhookSender } from './activities';
import { eventsJournalUrlFromEnv, startEventsJournal } from './events/events-journal-start';
import { aepSettingsFromEnv, createAepClient } from './aep';
import { installTemporalRuntime } from './observability/runtime';
import { isProductionEnvironment, loadSecretBox, sharedKeyMigrationVariable } from './secrets';
import { registerSearchAttributes } from './temporal/register-search-attributes';
import { sharedPacingFromEnv, startSharedPacing } from './temporal/shared-pacing-start';
import { activitySlotsAdmittedByPace, type CallPace } from './temporal/activity-admission';
import { parseDuration } from './contracts/durations';
import { taskQueuesFromEnv, workerTaskQueuesFromEnv } from './temporal/task-queue';
import {
  describeVersion,
  makeVersionCurrent,
  workerDeploymentFromEnv,
  workerDeploymentOptions,
} from './temporal/worker-deployment';

/** One JSON POST, for alert webhooks. */
export const sendWebhook: WebhookSender = async (url, body, headers = {}) => {
  const response = await request(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
    headersTimeout: 10_000,
    bodyTimeout: 10_000,
  });
  await response.body.dump();
  return { status: response.statusCode };
};

export async function runWorker(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const { logger, redactor } = installTemporalRuntime({ env });
  // Read every setting before connecting, so a misconfiguration fails fast with its own message.
  const aepSettings = aepSettingsFromEnv(env);
  // The secret may come from AEP_CLIENT_SECRET_FILE, which the redactor's look at the environment cannot see.
  redactor.addKnownSecret(aepSettings.clientSecret);
  // Development only: production refuses to start without a configured key (src/secrets/production-mode.ts).
  const onDevelopmentKeyringCreated = (path: string, keyId: string): void => {
    logger.warn('created a development secrets keyring', { path, keyId });
  };
  const secrets = loadSecretBox(env, { onDevelopmentKeyringCreated });
  if (isProductionEnvironment(env) && secrets.keyringKeyIds.length === 0) {
    // Only with DATAFLOW_SECRETS_MIGRATING=1 (src/secrets/production-mode.ts): a state to leave, said at every start.
    logger.warn('running on the legacy shared key alone while migrating to a keyring (README "Secrets")', {
      migrating: `${sharedKeyMigrationVariable}=1`,
    });
  }
  const queues = taskQueuesFromEnv(env);
  const polled = workerTaskQueuesFromEnv(env);
  const tuning = workerTuningFromEnv(env);
  const runFeedIntervalMs = runFeedIntervalFromEnv(env);
  const deployment = workerDeploymentFromEnv(env);
  const journalUrl = eventsJournalUrlFromEnv(env);
  const sharedPacing = sharedPacingFromEnv(env);
  const admission = activityAdmissionFromEnv(env);

  const config = loadClientConnectConfig({ overrideEnvVars: definedOnly(env) });
  const namespace = config.namespace ?? 'default';
  const connection = await NativeConnection.connect(config.connectionOptions);
  // Shared pacing runs where the provisioning queue is polled: the rate is learned for all workers, in Temporal, and
  // this process's pacer spaces its calls at its share of it.
  const pacesTogether = sharedPacing && polled.includes(queues.provisioning);
  const aep = createAepClient(aepSettings, { pacedWithOtherWorkers: pacesTogether });
  try {
    try {
      const added = await registerSearchAttributes(connection, namespace);
      if (added.length > 0) logger.info('registered search attributes', { searchAttributes: added });
    } catch (error) {
      // Temporal Cloud has no operator service: there they are added once with tcld or the Cloud UI.
      logger.warn('could not register the search attributes; register them before provisioning', {
        searchAttributes: 'DataflowSandbox, DataflowName, DataflowStage, DataflowState (Keyword)',
        error: error instanceof Error ? error.message : String(error),
      });
    }

    const activities = createActivities({
      aep,
      secrets,
      fetchWebhook: sendWebhook,
      runFeed: {
        taskQueue: queues.runFeeds,
        ...(runFeedIntervalMs !== undefined ? { intervalMs: runFeedIntervalMs } : {}),
        ...(journalUrl !== undefined ? { journalUrl } : {}),
      },
    });
    // A bundle prebuilt with bundleWorkflowCode starts in a second; otherwise webpack bundles once, for every queue.
    const workflowBundle = env.WORKFLOW_BUNDLE_PATH?.trim()
      ? { codePath: env.WORKFLOW_BUNDLE_PATH.trim() }
      : await bundleWorkflowCode({ workflowsPath: require.resolve('./workflows'), logger: warningsOnly(logger) });
    // Versioned, every queue's worker is the same deployment version: tasks reach it once that version is current
    // (or, for a workflow pinned to it, until that workflow's run ends).
    const versioning = deployment ? { workerDeploymentOptions: workerDeploymentOptions(deployment.version) } : {};
    const workers = await Promise.all(
      polled.map((taskQueue) =>
        Worker.create({
          connection,
          namespace,
          taskQueue,
          workflowBundle,
          activities,
          interceptors: { activity: [recordAttemptStart] },
          ...(admission ? admittedByPace(tuning, () => aep.pacing(aepSettings.orgId)) : tuning),
          ...versioning,
        }),
      ),
    );
    if (journalUrl !== undefined) {
      const journalWorkflowId = await startEventsJournal(new Client({ connection, namespace }), {
        journalUrl,
        taskQueue: queues.runFeeds,
      });
      logger.info('reading the I/O Events journal (IO_EVENTS_JOURNAL_URL)', { workflowId: journalWorkflowId });
    }
    logger.info('worker started', {
      taskQueues: polled.join(','),
      namespace,
      address: config.connectionOptions.address ?? 'localhost:7233',
      aepPlatformUrl: aepSettings.platformUrl,
      secretsKeyId: secrets.keyId,
      secretsKeyringKeyIds: secrets.keyringKeyIds.join(',') || 'none',
      secretsLegacyKeyId: secrets.legacyKeyId ?? 'none',
      deploymentVersion: deployment ? describeVersion(deployment.version) : 'unversioned',
      ...(deployment ? { buildIdFrom: deployment.buildIdSource } : {}),
    });
    // The organisation's AEP calls paced across all workers, on the provisioning queue's shared rate limit.
    const pacing = pacesTogether
      ? await startSharedPacing({
          connection,
          namespace,
          taskQueue: queues.provisioning,
          aep,
          orgId: aepSettings.orgId,
          ceiling: tuning.maxTaskQueueActivitiesPerSecond,
          logger,
        })
      : undefined;
    // The SDK's runtime turns SIGINT/SIGTERM into worker.shutdown(); run() resolves once in-flight work is done.
    const running = Promise.all(workers.map((worker) => worker.run()));
    const stopped = new AbortController();
    const madeCurrent =
      deployment?.setCurrent === true
        ? makeVersionCurrent(connection, namespace, deployment.version, { logger, signal: stopped.signal }).then(
            ({ previousBuildId }) => {
              logger.info('this version is now the current version of its deployment', {
                deploymentVersion: describeVersion(deployment.version),
                previousBuildId: previousBuildId || 'unversioned',
              });
            },
            (error: unknown) => {
              if (stopped.signal.aborted) return; // stopped before the server took it: nothing to report
              // Not fatal: the workers still serve the workflows pinned to this version; the operator can
              // make it current with `temporal worker deployment set-current-version`.
              logger.error('could not make this version current (WORKER_SET_CURRENT=true)', {
                deploymentVersion: describeVersion(deployment.version),
                error: error instanceof Error ? error.message : String(error),
              });
            },
          )
        : Promise.resolve();
    try {
      await running;
    } finally {
      stopped.abort();
      await madeCurrent;
      await pacing?.stop();
    }
    logger.info('worker stopped');
  } finally {
    await aep.close();
    await connection.close();
  }
}

/** Optional tuning from the environment; the fleet-wide activity rate protects AEP's limits across workers. */
export function workerTuningFromEnv(env: NodeJS.ProcessEnv): Partial<WorkerOptions> {
  const tuning: Partial<WorkerOptions> = { shutdownGraceTime: (env.SHUTDOWN_GRACE_TIME?.trim() || '20s') as Duration };
  const fleetRate = positiveNumber(env.MAX_TASK_QUEUE_ACTIVITIES_PER_SECOND, 'MAX_TASK_QUEUE_ACTIVITIES_PER_SECOND');
  if (fleetRate !== undefined) tuning.maxTaskQueueActivitiesPerSecond = fleetRate;
  const concurrent = positiveNumber(env.MAX_CONCURRENT_ACTIVITIES, 'MAX_CONCURRENT_ACTIVITIES');
  if (concurrent !== undefined) tuning.maxConcurrentActivityTaskExecutions = Math.floor(concurrent);
  // Workflows kept in memory between tasks. Ten thousand sleeping monitors need not all be cached: a monitor
  // that is not replays its few hundred events when a message wakes it. ~600 cached workflows take about 1 GB.
  tuning.maxCachedWorkflows = Math.floor(positiveNumber(env.WORKFLOW_CACHE_SIZE, 'WORKFLOW_CACHE_SIZE') ?? 250);
  const workflowTasks = positiveNumber(env.MAX_CONCURRENT_WORKFLOW_TASKS, 'MAX_CONCURRENT_WORKFLOW_TASKS');
  tuning.maxConcurrentWorkflowTaskExecutions = Math.max(2, Math.floor(workflowTasks ?? 40));
  return tuning;
}

/** ACTIVITY_ADMISSION: "on" (the default) takes activity tasks by the pace of AEP calls; "off" by free slots alone. */
export function activityAdmissionFromEnv(env: NodeJS.ProcessEnv): boolean {
  const value = (env.ACTIVITY_ADMISSION ?? '').trim().toLowerCase();
  if (value === '' || value === 'on') return true;
  if (value === 'off') return false;
  throw new Error(`ACTIVITY_ADMISSION must be "on" or "off" (got "${env.ACTIVITY_ADMISSION}")`);
}

/**
 * One Worker's tuning with its activity slots admitted by the organisation's pace: a task is taken only while an AEP
 * call made now would wait less than a few seconds for its turn (src/temporal/activity-admission.ts). The other
 * slots, and the polls, are sized as the SDK sizes them without a tuner.
 */
export function admittedByPace(
  tuning: Partial<WorkerOptions>,
  pace: () => CallPace | undefined,
): Partial<WorkerOptions> {
  const {
    maxConcurrentActivityTaskExecutions: activitySlots = 100,
    maxConcurrentWorkflowTaskExecutions: workflowSlots = 40,
    ...rest
  } = tuning;
  return {
    ...rest,
    tuner: {
      workflowTaskSlotSupplier: { type: 'fixed-size', numSlots: workflowSlots },
      activityTaskSlotSupplier: activitySlotsAdmittedByPace({ maxSlots: activitySlots, pace }),
      localActivityTaskSlotSupplier: { type: 'fixed-size', numSlots: 100 },
      nexusTaskSlotSupplier: { type: 'fixed-size', numSlots: 100 },
    },
    workflowTaskPollerBehavior: { type: 'simple-maximum', maximum: Math.min(10, workflowSlots) },
    activityTaskPollerBehavior: { type: 'simple-maximum', maximum: Math.min(10, activitySlots) },
  };
}

/** RUN_FEED_INTERVAL: how often a new sandbox run feed looks at the runs ("60s" by default, at least 1s). */
export function runFeedIntervalFromEnv(env: NodeJS.ProcessEnv): number | undefined {
  const text = env.RUN_FEED_INTERVAL?.trim();
  if (!text) return undefined;
  const milliseconds = parseDuration(text);
  if (milliseconds === undefined || milliseconds < 1_000) {
    throw new Error(`RUN_FEED_INTERVAL must be a duration of at least 1s, such as "60s" or "2m" (got "${text}")`);
  }
  return milliseconds;
}

/** Webpack's report of every module is noise in the worker's log; its warnings and errors are not. */
function warningsOnly(logger: Logger): Logger {
  const ignore = (): void => undefined;
  return {
    log(level, message, meta): void {
      if (level === 'WARN' || level === 'ERROR') logger.log(level, message, meta);
    },
    trace: ignore,
    debug: ignore,
    info: ignore,
    warn(message, meta): void {
      logger.warn(message, meta);
    },
    error(message, meta): void {
      logger.error(message, meta);
    },
  };
}

/** Temporal's env config wants a plain string map. */
export function definedOnly(env: NodeJS.ProcessEnv): Record<string, string> {
  return Object.fromEntries(Object.entries(env).filter((entry): entry is [string, string] => entry[1] !== undefined));
}

function positiveNumber(text: string | undefined, name: string): number | undefined {
  if (text === undefined || text.trim() === '') return undefined;
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number (got "${text}")`);
  return value;
}

if (require.main === module) {
  runWorker().catch((error: unknown) => {
    console.error(`worker failed: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  });
}
