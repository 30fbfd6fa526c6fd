/**
 * The demo's worker (`npm run worker`'s program), pointed at the simulator with the simulator's built-in AEP
 * credentials. The client secret travels in the environment, never in arguments. A worker left running by an
 * earlier demo (its pid file is data/demo-pids/worker.pid) is reused.
 */
import { temporal } from '@temporalio/proto';
import { simulatorDefaults } from '../../src/simulator/defaults';
import { taskQueueFromEnv } from '../../src/temporal/task-queue';
import type { DemoContext } from './demo-context';
import { startManagedProcess, type ManagedProcess } from './managed-process';
import { runningDemoProcess } from './pid-files';
import type { DemoSimulator } from './simulator';
import type { DemoTemporal } from './temporal-server';
import { isPortOpen, waitUntil } from './waiting';

export interface DemoWorker {
  pid: number;
  metricsUrl?: string;
  startedHere?: ManagedProcess;
}

export async function ensureWorker(
  context: DemoContext,
  temporalServer: DemoTemporal,
  simulator: DemoSimulator,
): Promise<DemoWorker> {
  const previous = runningDemoProcess(context.dataDirectory, 'worker');
  if (previous !== undefined && (await isPolling(temporalServer, previous))) {
    context.report('Worker', `reusing the worker started by an earlier demo (pid ${previous})`);
    return { pid: previous };
  }

  const metricsPort = context.ports.metricsPort;
  const metricsFree = !(await isPortOpen(metricsPort));
  const startedHere = startManagedProcess({
    name: 'worker',
    command: process.execPath,
    args: ['--import', 'tsx', 'src/worker.ts'],
    cwd: context.projectRoot,
    logDirectory: context.logDirectory,
    env: {
      ...process.env,
      TEMPORAL_ADDRESS: temporalServer.address,
      TEMPORAL_NAMESPACE: temporalServer.namespace,
      AEP_PLATFORM_URL: simulator.baseUrl,
      AEP_IMS_URL: simulator.baseUrl,
      AEP_CLIENT_ID: simulatorDefaults.clientId,
      AEP_CLIENT_SECRET: simulatorDefaults.clientSecret,
      AEP_ORG_ID: simulatorDefaults.orgId,
      ...(metricsFree && { METRICS_PORT: String(metricsPort) }),
      // The simulated clock runs 300× fast (a run every 3 s): the sandbox's run feed looks every 10 s, not every minute.
      RUN_FEED_INTERVAL: process.env.RUN_FEED_INTERVAL ?? '10s',
      LOG_LEVEL: process.env.LOG_LEVEL ?? 'INFO',
    },
    echo: warningsAndErrors,
  });
  context.track(startedHere);

  await waitUntil('the worker', () => isPolling(temporalServer, startedHere.pid), {
    timeoutMs: 120_000,
    intervalMs: 1_000,
    stopEarly: startedHere.exited,
  });
  const metricsUrl = metricsFree ? `http://127.0.0.1:${metricsPort}/metrics` : undefined;
  context.report(
    'Worker',
    `polling task queue ${taskQueueFromEnv()} (pid ${startedHere.pid})` +
      `${metricsUrl ? `, metrics ${metricsUrl}` : ''}, log ${context.relative(startedHere.logFile)}`,
  );
  return { pid: startedHere.pid, metricsUrl, startedHere };
}

/** True once a poller with this process's identity (`<pid>@<host>`, the SDK's default) polls for workflow tasks. */
async function isPolling(temporalServer: DemoTemporal, pid: number): Promise<boolean> {
  const described = await temporalServer.connection.workflowService.describeTaskQueue({
    namespace: temporalServer.namespace,
    taskQueue: { name: taskQueueFromEnv(), kind: temporal.api.enums.v1.TaskQueueKind.TASK_QUEUE_KIND_NORMAL },
    taskQueueType: temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
  });
  return (described.pollers ?? []).some((poller) => poller.identity?.startsWith(`${pid}@`));
}

/** The worker logs JSON lines; the console shows only its warnings and errors, briefly. */
function warningsAndErrors(line: string): string | undefined {
  try {
    const entry = JSON.parse(line) as { level?: string; message?: string; workflowId?: string; activityType?: string };
    if (entry.level !== 'warn' && entry.level !== 'error') return undefined;
    const context = [entry.workflowId, entry.activityType].filter(Boolean).join(' ');
    return `${entry.level.toUpperCase()} ${entry.message ?? ''}${context ? ` (${context})` : ''}`;
  } catch {
    return line.trim() ? line : undefined;
  }
}
