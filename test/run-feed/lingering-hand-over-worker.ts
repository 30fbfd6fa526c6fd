/**
 * A worker process for the SIGKILL test: the worker's real workflows and activities (from the same environment as
 * `src/worker.ts`), except that a hand-over of pushed runs that signalled a monitor says so on stdout and then
 * lingers for HAND_OVER_LINGER_MS before it completes. A test kills the process in that pause: the attempt has
 * signalled and never reports back, the case a retry must not turn into a second message.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { NativeConnection, Worker } from '@temporalio/worker';
import { createActivities, recordAttemptStart } from '../../src/activities';
import { aepSettingsFromEnv, createAepClient } from '../../src/aep';
import type { DeliverPushedRunsInput } from '../../src/contracts/run-feed-activities';
import { loadSecretBox } from '../../src/secrets';
import { runFeedIntervalFromEnv, sendWebhook, workerTuningFromEnv } from '../../src/worker';

/** The line a test waits for before it kills this process. */
export const signalledAndLingering = 'hand-over signalled, lingering';

async function main(env: NodeJS.ProcessEnv): Promise<void> {
  const taskQueue = env.TASK_QUEUE!;
  const namespace = env.TEMPORAL_NAMESPACE ?? 'default';
  const lingerMs = Number(env.HAND_OVER_LINGER_MS ?? '0');
  const connection = await NativeConnection.connect({ address: env.TEMPORAL_ADDRESS! });
  const aep = createAepClient(aepSettingsFromEnv(env));
  const runFeedIntervalMs = runFeedIntervalFromEnv(env);
  const activities = createActivities({
    aep,
    secrets: loadSecretBox(env),
    fetchWebhook: sendWebhook,
    runFeed: { taskQueue, ...(runFeedIntervalMs !== undefined ? { intervalMs: runFeedIntervalMs } : {}) },
  });
  const worker = await Worker.create({
    connection,
    namespace,
    taskQueue,
    workflowBundle: { codePath: env.WORKFLOW_BUNDLE_PATH! },
    ...workerTuningFromEnv(env),
    interceptors: { activity: [recordAttemptStart] },
    activities: {
      ...activities,
      async deliverPushedRuns(input: DeliverPushedRunsInput) {
        const result = await activities.deliverPushedRuns(input);
        if (result.monitorsSignalled > 0) {
          const runs = result.delivered.map(([id]) => id).join(',');
          console.log(`${signalledAndLingering} (pid ${process.pid}, runs ${runs})`);
          await sleep(lingerMs);
        }
        return result;
      },
    },
  });
  console.log(`worker started (pid ${process.pid})`);
  try {
    await worker.run();
  } finally {
    await aep.close();
    await connection.close();
  }
}

if (require.main === module) {
  main(process.env).catch((error: unknown) => {
    console.error(`worker failed: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  });
}
