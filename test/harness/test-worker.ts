/**
 * A real Temporal Worker for one test: the shared prebuilt workflow bundle (built once per mocha run) and the
 * real activities, pointed at the shared simulator. Each test gives its own task queue and stops its worker.
 * Also: the environment a worker or CLI child process needs to reach the same Temporal server and simulator.
 */
import { randomBytes } from 'node:crypto';
import { bundleWorkflowCode, Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { createActivities, recordAttemptStart, type Activities, type WebhookSender } from '../../src/activities';
import { createAepClient, type AepClient, type AepSettings } from '../../src/aep';
import { createSecretBox, type SecretBox } from '../../src/secrets';
import { getSimulator } from './simulator';
import { getTemporal } from './temporal';

/** One sealing key per mocha run, also handed to child processes, so CLI, worker and tests can open each other's secrets. */
const testSecretsKey = process.env.DATAFLOW_SECRETS_KEY?.trim() || randomBytes(32).toString('base64');
process.env.DATAFLOW_SECRETS_KEY = testSecretsKey;

export function testSecretBox(): SecretBox {
  return createSecretBox(Buffer.from(testSecretsKey, 'base64'));
}

let bundle: Promise<WorkflowBundleWithSourceMap> | undefined;

/** Webpack runs once per mocha run (several seconds); every test worker reuses the result. */
export function getWorkflowBundle(): Promise<WorkflowBundleWithSourceMap> {
  bundle ??= bundleWorkflowCode({
    workflowsPath: require.resolve('../../src/workflows'),
    logger: { trace() {}, debug() {}, info() {}, warn() {}, error: (message) => console.error(message), log() {} },
  });
  return bundle;
}

export async function simulatorAepSettings(): Promise<AepSettings> {
  const simulator = await getSimulator();
  const { clientId, clientSecret, orgId } = simulator.context.settings;
  return {
    platformUrl: simulator.url,
    imsUrl: simulator.url,
    clientId,
    clientSecret,
    orgId,
    scopes: 'openid,session,AdobeID,read_organizations,additional_info.projectedProductContext',
  };
}

/** Environment for `npx tsx src/worker.ts` / `src/client.ts` children: same Temporal, simulator, key and queue. */
export async function childProcessEnv(taskQueue: string): Promise<NodeJS.ProcessEnv> {
  const temporal = await getTemporal();
  const aep = await simulatorAepSettings();
  return {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    TEMPORAL_ADDRESS: temporal.address,
    TEMPORAL_NAMESPACE: temporal.namespace,
    TEMPORAL_UI_URL: temporal.uiUrl,
    TASK_QUEUE: taskQueue,
    // Run feeds started by a worker child look every second, as the in-process test workers' do.
    RUN_FEED_INTERVAL: '1s',
    AEP_PLATFORM_URL: aep.platformUrl,
    AEP_IMS_URL: aep.imsUrl,
    AEP_CLIENT_ID: aep.clientId,
    AEP_CLIENT_SECRET: aep.clientSecret,
    AEP_ORG_ID: aep.orgId,
    AEP_SCOPES: aep.scopes,
    DATAFLOW_SECRETS_KEY: testSecretsKey,
    SHUTDOWN_GRACE_TIME: '1s',
    LOG_LEVEL: 'WARN',
  };
}

export interface TestWorkerOptions {
  taskQueue: string;
  /** Replace some activities (e.g. to observe calls); the rest are the real ones. */
  activityOverrides?: Partial<Activities>;
  fetchWebhook?: WebhookSender;
  maxTaskQueueActivitiesPerSecond?: number;
  /** The sandbox run feeds this worker starts: look every second by default (tests wait for runs). */
  runFeed?: { intervalMs?: number; pageSize?: number };
  /** The worker's secret box (default: the run's shared legacy key, as the CLI in tests seals with). */
  secrets?: SecretBox;
  /** Poll only workflow tasks or only activity tasks (default both), as a fleet's split workers would. */
  only?: 'workflows' | 'activities';
}

export interface TestWorker {
  taskQueue: string;
  worker: Worker;
  aep: AepClient;
  secrets: SecretBox;
  /** Stops polling, lets running tasks finish, closes the AEP client. */
  stop(): Promise<void>;
}

export async function startTestWorker(options: TestWorkerOptions): Promise<TestWorker> {
  const [temporal, workflowBundle, aepSettings] = await Promise.all([
    getTemporal(),
    getWorkflowBundle(),
    simulatorAepSettings(),
  ]);
  const aep = createAepClient(aepSettings);
  const secrets = options.secrets ?? testSecretBox();
  const activities = {
    ...createActivities({
      aep,
      secrets,
      fetchWebhook: options.fetchWebhook,
      runFeed: { taskQueue: options.taskQueue, intervalMs: 1_000, ...options.runFeed },
    }),
    ...options.activityOverrides,
  };
  const worker = await Worker.create({
    connection: temporal.nativeConnection,
    namespace: temporal.namespace,
    taskQueue: options.taskQueue,
    ...(options.only !== 'activities' ? { workflowBundle } : {}),
    ...(options.only !== 'workflows' ? { activities } : {}),
    interceptors: { activity: [recordAttemptStart] },
    shutdownGraceTime: '2s',
    ...(options.maxTaskQueueActivitiesPerSecond !== undefined
      ? { maxTaskQueueActivitiesPerSecond: options.maxTaskQueueActivitiesPerSecond }
      : {}),
  });
  const running = worker.run();
  let stopped: Promise<void> | undefined;
  return {
    taskQueue: options.taskQueue,
    worker,
    aep,
    secrets,
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
