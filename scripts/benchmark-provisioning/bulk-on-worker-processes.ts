/**
 * Bulk provisioning on W worker processes (`--workers`): the worker program as production runs it, W times, all on
 * one fresh task queue, each with its own AEP client, so what they do together is what AEP's gateway sees; optionally
 * one of them SIGKILLed, or one more started, once half of the run's AEP calls have been admitted. Besides the bulk
 * figures: the queue's shared rate (AEP calls a second) as the run left it, and what the workers' logs say about it.
 */
import { randomBytes } from 'node:crypto';
import type { Client, Connection } from '@temporalio/client';
import { loadSecretBox, type SecretSealer } from '../../src/secrets';
import { simulatorDefaults } from '../../src/simulator/defaults';
import { queueRateLimit } from '../../src/temporal/task-queue-rate-limit';
import { provisionInBulk, type BulkFigures, type BulkOptions } from './bulk-provisioning';
import { startWorkerProcess, type WorkerProcess } from './worker-processes';

export type QueuePacing = 'shared' | 'off';
export type MidwayChange = 'kill-one' | 'add-one';

export interface WorkerProcessesOptions {
  projectRoot: string;
  temporalAddress: string;
  /** For the queue's configuration and the histories. */
  connection: Connection;
  client: Client;
  simulatorUrl: string;
  /** The legacy shared key (32 bytes) the benchmark seals the tokens with: the workers open them with it. */
  secretsKey: Buffer;
  sealer: SecretSealer;
  workflowBundlePath: string;
  logDirectory: string;
  workers: number;
  pacing: QueuePacing;
  /** ACTIVITY_ADMISSION for the workers: tasks taken by the pace of AEP calls (on) or by free slots alone (off). */
  admission: 'on' | 'off';
  midway?: MidwayChange;
  bulk: Omit<BulkOptions, 'taskQueue' | 'midway'>;
}

export interface WorkerProcessesFigures extends BulkFigures {
  /** The queue's activity rate limit when the last dataflow finished; undefined when none was set. */
  finalRate?: number;
  /** The rate that drew the last 429, as the pacing noted it in the limit's metadata. */
  finalLimitEstimate?: number;
  /** "AEP answered 429" lines (the first rate, and each decrease) in all the workers' logs, and the lowest rate. */
  decreases: number;
  lowestRate?: number;
  /** Decreases a worker put back after a write made from an older read had undone them. */
  decreasesPutBack: number;
  /** Warnings that the limit could not be read or set. */
  pacingErrors: number;
  /**
   * With a change mid-way, from the provisionings' histories (which keep an activity's last attempt only): its
   * activities, those whose last attempt followed a timed-out one (a worker lost with the attempt running), and with
   * `add-one` those the added worker ran.
   */
  activities?: { of: number; retriedAfterTimeout: number; addedWorkerRan?: number };
  /** With `add-one`: when the added worker was ready, in ms from the mid-way point and from the run's end. */
  addedWorkerReady?: { afterMidwayMs: number; afterEndMs: number };
}

export async function provisionOnWorkerProcesses(options: WorkerProcessesOptions): Promise<WorkerProcessesFigures> {
  const taskQueue = `benchmark-${options.workers}w-${randomBytes(3).toString('hex')}`;
  const env = workerEnvironment(options, taskQueue);
  // Fail fast, with the secrets' own message, if the workers could not open what the benchmark seals.
  loadSecretBox(env).open(options.sealer.seal('a token'));

  const workers: WorkerProcess[] = [];
  const start = (): WorkerProcess => {
    const worker = startWorkerProcess({
      projectRoot: options.projectRoot,
      env,
      logDirectory: options.logDirectory,
      name: `${taskQueue}-worker-${workers.length + 1}`,
    });
    workers.push(worker);
    return worker;
  };
  try {
    await Promise.all(Array.from({ length: options.workers }, () => start().started(120_000)));
    let added: { worker: WorkerProcess; midwayAt: number; readyAt?: number } | undefined;
    const midway = options.midway;
    const bulkStartedAt = performance.now();
    const figures = await provisionInBulk({
      ...options.bulk,
      taskQueue,
      ...(midway === 'kill-one'
        ? { midway: () => workers[0]!.kill() }
        : midway === 'add-one'
          ? {
              midway: async () => {
                const joining = { worker: start(), midwayAt: performance.now() };
                added = joining;
                await joining.worker.started(120_000);
                added = { ...joining, readyAt: performance.now() };
              },
            }
          : {}),
    });
    const limit = await queueRateLimit(options.connection, {
      namespace: 'default',
      taskQueue,
      identity: 'benchmark-provisioning',
    }).read();
    const decreases = workers.flatMap((worker) => loggedDecreases(worker.log()));
    const bulkEndedAt = bulkStartedAt + figures.elapsedMs;
    const joined = added;
    return {
      ...figures,
      ...(limit.rate !== undefined ? { finalRate: limit.rate } : {}),
      ...(limit.note ? { finalLimitEstimate: limit.note.limitEstimate } : {}),
      decreases: decreases.length,
      ...(decreases.length > 0 ? { lowestRate: Math.min(...decreases) } : {}),
      decreasesPutBack: workers.reduce(
        (count, worker) => count + countLines(worker.log(), 'put back a decrease of the shared AEP call rate'),
        0,
      ),
      pacingErrors: workers.reduce(
        (count, worker) => count + countLines(worker.log(), 'could not read or set the shared AEP call rate'),
        0,
      ),
      ...(midway ? { activities: await activitiesOf(options.client, figures.workflowIds, joined?.worker.pid) } : {}),
      ...(joined?.readyAt !== undefined
        ? {
            addedWorkerReady: {
              afterMidwayMs: joined.readyAt - joined.midwayAt,
              afterEndMs: joined.readyAt - bulkEndedAt,
            },
          }
        : {}),
    };
  } finally {
    await Promise.all(workers.map((worker) => worker.stop()));
  }
}

/**
 * What a real worker is given, on the benchmark's servers: the caller's environment (so MAX_TASK_QUEUE_ACTIVITIES_
 * PER_SECOND, AEP_MAX_REQUESTS_PER_SECOND, MAX_CONCURRENT_ACTIVITIES … pass through) with what the run must control
 * set, and what would make the W workers differ from one another, or from a plain worker, taken out.
 */
function workerEnvironment(options: WorkerProcessesOptions, taskQueue: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const name of [
    // Exactly the benchmark's key: a keyring of the caller's would seal nothing here, and could refuse to load.
    'DATAFLOW_SECRETS_KEYRING',
    'DATAFLOW_SECRETS_KEYRING_FILE',
    'DATAFLOW_SECRETS_KEY_FILE',
    'DATAFLOW_SECRETS_PUBLIC_KEY',
    'DATAFLOW_SECRETS_PUBLIC_KEY_FILE',
    'AEP_CLIENT_SECRET_FILE',
    // W workers cannot share one metrics port; versioning and the journal are not what is measured.
    'METRICS_PORT',
    'WORKER_VERSIONING',
    'WORKER_SET_CURRENT',
    'IO_EVENTS_JOURNAL_URL',
  ]) {
    delete env[name];
  }
  return {
    ...env,
    TEMPORAL_ADDRESS: options.temporalAddress,
    TEMPORAL_NAMESPACE: 'default',
    TASK_QUEUE: taskQueue,
    MONITOR_TASK_QUEUE: taskQueue,
    // As for the in-process worker, the run feeds are started on a queue no worker polls: what is counted is
    // provisioning's AEP calls (and the monitors' first), not the feeds' run listings.
    RUN_FEED_TASK_QUEUE: `${taskQueue}-feeds`,
    WORKER_TASK_QUEUES: taskQueue,
    AEP_PLATFORM_URL: options.simulatorUrl,
    AEP_IMS_URL: options.simulatorUrl,
    AEP_CLIENT_ID: simulatorDefaults.clientId,
    AEP_CLIENT_SECRET: simulatorDefaults.clientSecret,
    AEP_ORG_ID: simulatorDefaults.orgId,
    AEP_SCOPES: 'openid',
    DATAFLOW_SECRETS_KEY: options.secretsKey.toString('base64'),
    // Only read with NODE_ENV=production, which otherwise refuses the shared key alone.
    DATAFLOW_SECRETS_MIGRATING: '1',
    WORKFLOW_BUNDLE_PATH: options.workflowBundlePath,
    TASK_QUEUE_PACING: options.pacing,
    ACTIVITY_ADMISSION: options.admission,
    LOG_LEVEL: process.env.LOG_LEVEL?.trim() || 'INFO',
  };
}

/** The rates the shared pacing lowered the limit to, from the workers' JSON log lines. */
function loggedDecreases(log: string): number[] {
  const rates: number[] = [];
  for (const line of log.split('\n')) {
    // The first rate (set from the workers' samples, maybe several times as they add theirs) and every decrease.
    if (!line.includes('AEP answered 429')) continue;
    try {
      const to = (JSON.parse(line) as { to?: unknown }).to;
      if (typeof to === 'number') rates.push(to);
    } catch {
      // Not a JSON line: not the pacing's.
    }
  }
  return rates;
}

function countLines(log: string, text: string): number {
  return log.split('\n').filter((line) => line.includes(text)).length;
}

/** The provisionings' activities, as their histories record them (see WorkerProcessesFigures.activities). */
async function activitiesOf(
  client: Client,
  workflowIds: string[],
  addedWorkerPid: number | undefined,
): Promise<{ of: number; retriedAfterTimeout: number; addedWorkerRan?: number }> {
  let of = 0;
  let retriedAfterTimeout = 0;
  let addedWorkerRan = 0;
  for (const workflowId of workflowIds) {
    const { events } = await client.workflow.getHandle(workflowId).fetchHistory();
    for (const event of events ?? []) {
      const started = event.activityTaskStartedEventAttributes;
      if (!started) continue;
      of += 1;
      if (started.lastFailure?.timeoutFailureInfo) retriedAfterTimeout += 1;
      // The SDK's identity is `<pid>@<host>`.
      if (addedWorkerPid !== undefined && started.identity?.startsWith(`${addedWorkerPid}@`)) addedWorkerRan += 1;
    }
  }
  return { of, retriedAfterTimeout, ...(addedWorkerPid !== undefined ? { addedWorkerRan } : {}) };
}
