/**
 * `npm run events`: the Adobe I/O Events receiver for flow-run notifications (README, "Push: Adobe I/O Events").
 * Register `http(s)://<this host>:<IO_EVENTS_PORT>/events` as the webhook of a "Sources flow run" subscription in
 * the Developer Console; every verified event is handed to its sandbox's run feed in Temporal before it is answered.
 */
// First: on an unsupported Node.js, say so before anything else can fail.
import '../runtime/require-supported-node';
import { connectTemporal } from '../temporal/temporal-client';
import { taskQueuesFromEnv } from '../temporal/task-queue';
import { startEventsReceiver } from './events-receiver';
import { eventsReceiverSettingsFromEnv } from './events-receiver-settings';
import { stderrJsonLogger } from './receiver-logger';
import { temporalHandOff } from './temporal-hand-off';

async function main(): Promise<void> {
  // Every setting is read before anything connects, so a misconfiguration fails at once with its own message.
  const settings = eventsReceiverSettingsFromEnv(process.env);
  const { runFeeds } = taskQueuesFromEnv(process.env);
  const session = await connectTemporal(process.env);
  const logger = stderrJsonLogger;
  const receiver = await startEventsReceiver({
    port: settings.port,
    host: settings.host,
    keyHost: settings.keyHost,
    clientId: settings.clientId,
    orgId: settings.orgId,
    deadlineMs: settings.deadlineMs,
    handOff: temporalHandOff({
      client: session.client,
      // A feed the receiver starts looks as often as the worker's would (RUN_FEED_INTERVAL).
      runFeed: {
        taskQueue: runFeeds,
        ...(settings.runFeedIntervalMs !== undefined ? { intervalMs: settings.runFeedIntervalMs } : {}),
      },
      logger,
      gatherMs: settings.gatherMs,
    }),
    logger,
  });
  // The address as it is bound (0.0.0.0: every interface); the URL to register is the public one in front of it.
  const boundHost = settings.host.includes(':') ? `[${settings.host}]` : settings.host;
  logger.info('events receiver listening', {
    listening: `http://${boundHost}:${receiver.port}/events`,
    keyHost: settings.keyHost,
    orgId: settings.orgId,
    status: `http://${boundHost}:${receiver.port}/status`,
    namespace: session.namespace,
    runFeedTaskQueue: runFeeds,
    gatherMs: settings.gatherMs,
  });
  const stop = () => {
    void receiver
      .close()
      .then(() => session.close())
      .finally(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((error: unknown) => {
  process.stderr.write(`events receiver: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
