/**
 * One design measured on a fleet: a fresh simulator and Temporal dev server, N dataflows built straight through
 * the AEP client, their monitors started, then a measurement window on a scaled simulator clock. Everything the
 * table reports comes from outside the design: the simulator's request counts and its own record of the runs,
 * the workflow histories, the worker's peak memory and an alert webhook.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { createAepClient, type AepClient } from '../../src/aep';
import { createSecretBox } from '../../src/secrets';
import { simulatorDefaults } from '../../src/simulator/defaults';
import { registerSearchAttributes } from '../../src/temporal/register-search-attributes';
import type { DataflowDescriptor } from '../../src/workflows/dataflow-types';
import { monitorWorkflowId, runFeedWorkflowId } from '../../src/workflows/workflow-ids';
import { startAlertCounter } from './alert-receiver';
import { createFleet, type FleetDataflow } from './create-fleet';
import { readHistories } from './histories';
import { freePort, peakRssBytes, startChild, startDevServer, waitForOutput } from './processes';

export type Design = 'polling' | 'feed';

export interface FleetOptions {
  dataflows: number;
  sandboxes: number;
  windowMinutes: number;
  warmupMinutes: number;
  timeScale: number;
  failureShare: number;
  feedIntervalSeconds: number;
  pollIntervalSeconds: number;
  temporalCli: string;
  projectRoot: string;
  /** Where the design's worker runs from (the polling design: a checkout of the commit before the feed). */
  designRoot: string;
}

export interface DesignFigures {
  design: Design;
  dataflows: number;
  windowHours: number;
  runsFinishedInWindow: number;
  runListingCallsPerHour: number;
  aepCallsPerHour: number;
  workflowTasksPerHour: number;
  historyEventsPerHour: number;
  historyEventsPerFinishedRun: number;
  workerPeakRssBytes?: number;
  largestPayloadBytes: number;
  latencySeconds: { p50: number; p95: number; max: number } | undefined;
  runsUnseen: number;
  failureStreaks: number;
  failureStreaksAlerted: number;
  setupSeconds: number;
}

interface SimulatorRun {
  id: string;
  flowId: string;
  status: string;
  startedAtUTC: number;
  completedAtUTC?: number;
}

const log = (text: string) => process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${text}\n`);

export async function measureDesign(design: Design, options: FleetOptions): Promise<DesignFigures> {
  const setupStarted = Date.now();
  const simulatorPort = await freePort();
  const simulator = startChild(
    process.execPath,
    [
      '--import',
      'tsx',
      'src/simulator/main.ts',
      '--port',
      String(simulatorPort),
      '--time-scale',
      String(options.timeScale),
      '--onetrust-subjects',
      '3',
      '--run-failure-share',
      String(options.failureShare),
    ],
    { cwd: options.projectRoot, env: process.env },
  );
  const stops: Array<() => Promise<void>> = [() => simulator.stop()];
  try {
    await waitForOutput(simulator, /listening on/, 60_000, 'the simulator');
    const simulatorUrl = `http://127.0.0.1:${simulatorPort}`;
    const temporal = await startDevServer(options.temporalCli);
    stops.unshift(() => temporal.stop());
    const connection = await Connection.connect({ address: temporal.address });
    stops.unshift(() => connection.close());
    await registerSearchAttributes(connection, 'default');
    const client = new Client({ connection });

    const aep = createAepClient({
      platformUrl: simulatorUrl,
      imsUrl: simulatorUrl,
      clientId: simulatorDefaults.clientId,
      clientSecret: simulatorDefaults.clientSecret,
      orgId: simulatorDefaults.orgId,
      scopes: 'openid',
    });
    stops.unshift(() => aep.close());
    const token = await mintToken(simulatorUrl);
    const sandboxes = Array.from({ length: options.sandboxes }, (_, index) => `bench-${design}-${index + 1}`);
    const fleet = await buildFleet(aep, sandboxes, options.dataflows, token);

    const secretsKey = randomBytes(32).toString('base64');
    const secrets = createSecretBox(Buffer.from(secretsKey, 'base64'));
    const alerts = await startAlertCounter();
    stops.unshift(() => alerts.close());
    const taskQueue = `benchmark-${design}-${randomBytes(3).toString('hex')}`;
    const worker = startChild(process.execPath, ['--import', 'tsx', join(options.designRoot, 'src', 'worker.ts')], {
      cwd: options.designRoot,
      env: {
        ...process.env,
        TEMPORAL_ADDRESS: temporal.address,
        TEMPORAL_NAMESPACE: 'default',
        TASK_QUEUE: taskQueue,
        AEP_PLATFORM_URL: simulatorUrl,
        AEP_IMS_URL: simulatorUrl,
        AEP_CLIENT_ID: simulatorDefaults.clientId,
        AEP_CLIENT_SECRET: simulatorDefaults.clientSecret,
        AEP_ORG_ID: simulatorDefaults.orgId,
        DATAFLOW_SECRETS_KEY: secretsKey,
        RUN_FEED_INTERVAL: `${options.feedIntervalSeconds}s`,
        LOG_LEVEL: 'INFO',
      },
    });
    stops.unshift(() => worker.stop());
    await waitForOutput(worker, /worker started/, 120_000, `the ${design} worker`);
    log(`${design}: worker running (pid ${worker.process.pid}); starting ${fleet.length} monitors`);

    if (design === 'feed') {
      for (const sandbox of sandboxes) {
        await client.workflow.start('sandboxRunFeed', {
          workflowId: runFeedWorkflowId(sandbox),
          taskQueue,
          args: [{ sandbox, intervalMs: options.feedIntervalSeconds * 1000 }],
        });
      }
    }
    const sealedToken = secrets.seal(token);
    const tokenExpiresAt = new Date(Date.now() + 180 * 86_400_000).toISOString();
    await forEach(fleet, 32, async (dataflow) => {
      const descriptor: DataflowDescriptor = {
        sandbox: dataflow.sandbox,
        name: dataflow.name,
        ids: {
          baseConnectionId: dataflow.baseConnectionId,
          sourceConnectionId: dataflow.sourceConnectionId,
          fieldGroupId: dataflow.fieldGroupId ?? '',
          schemaId: dataflow.schemaId,
          schemaAltId: dataflow.schemaAltId ?? '',
          datasetId: dataflow.datasetId,
          targetConnectionId: dataflow.targetConnectionId,
          mappingSetId: dataflow.mappingSetId,
          mappingVersion: dataflow.mappingVersion,
          flowId: dataflow.flowId,
        },
        schedule: { frequency: 'minute', interval: 15, startTime: dataflow.startTime },
        oneTrust: { baseUrl: simulatorUrl, token: sealedToken, tokenExpiresAt },
        alerts: { webhookUrl: alerts.url },
        // The polling design looks at each dataflow's runs at the same freshness the feed gives all of them.
        ...(design === 'polling' ? { monitor: { pollInterval: `${options.pollIntervalSeconds}s` } } : {}),
      };
      await client.workflow.start('dataflowMonitor', {
        workflowId: monitorWorkflowId(dataflow.sandbox, dataflow.name),
        taskQueue,
        args: [{ dataflow: descriptor }],
      });
    });
    const setupSeconds = (Date.now() - setupStarted) / 1000;
    log(`${design}: ${fleet.length} monitors started after ${setupSeconds.toFixed(0)} s; warming up`);

    await sleepMinutes(options.warmupMinutes);
    const windowFrom = Date.now();
    const countsBefore = await requestCounts(simulatorUrl);
    log(`${design}: measuring for ${options.windowMinutes} min`);
    await sleepMinutes(options.windowMinutes);
    const windowTo = Date.now();
    const countsAfter = await requestCounts(simulatorUrl);
    if (worker.process.exitCode !== null || worker.process.signalCode !== null) {
      throw new Error(`the ${design} worker died during the measurement:\n${worker.output().slice(-4000)}`);
    }
    // Runs that finished just before the window closed are still detected, and their latency counted.
    const settleSeconds = 2 * Math.max(options.feedIntervalSeconds, options.pollIntervalSeconds) + 30;
    log(`${design}: window closed; letting the last runs reach their monitors (${settleSeconds} s)`);
    await new Promise((resolve) => setTimeout(resolve, settleSeconds * 1000));
    if (design === 'feed') {
      for (const sandbox of sandboxes) {
        try {
          const feed = await client.workflow
            .getHandle(runFeedWorkflowId(sandbox))
            .query<Record<string, unknown>>('status');
          log(`${design}: feed of ${sandbox}: ${JSON.stringify(feed)}`);
        } catch (error) {
          log(`${design}: the feed of ${sandbox} does not answer: ${String(error)}\n${worker.output().slice(-3000)}`);
        }
      }
    }
    const workerPeakRssBytes = worker.process.pid ? peakRssBytes(worker.process.pid) : undefined;
    await worker.stop();

    log(`${design}: reading workflow histories`);
    const histories = await readHistories(client, taskQueue, { fromMs: windowFrom, toMs: windowTo }, (done) =>
      log(`${design}: ${done} histories read`),
    );
    const runs = (await Promise.all(sandboxes.map((sandbox) => simulatorRuns(simulatorUrl, sandbox)))).flat();

    const windowHours = (windowTo - windowFrom) / 3_600_000;
    const inWindow = runs.filter(
      (run) => run.completedAtUTC !== undefined && run.completedAtUTC >= windowFrom && run.completedAtUTC <= windowTo,
    );
    const latencies: number[] = [];
    let runsUnseen = 0;
    for (const run of inWindow) {
      const learned = histories.learned.get(run.id);
      if (!learned) runsUnseen += 1;
      else latencies.push((learned.learnedAtMs - (run.completedAtUTC ?? 0)) / 1000);
    }
    const streakStarts = failureStreakStarts(runs).filter((run) => inWindow.includes(run));
    const runListingCalls = (countsAfter['GET /runs'] ?? 0) - (countsBefore['GET /runs'] ?? 0);
    const aepCalls = sum(countsAfter) - sum(countsBefore);
    return {
      design,
      dataflows: fleet.length,
      windowHours,
      runsFinishedInWindow: inWindow.length,
      runListingCallsPerHour: runListingCalls / windowHours,
      aepCallsPerHour: aepCalls / windowHours,
      workflowTasksPerHour: histories.workflowTasksInWindow / windowHours,
      historyEventsPerHour: histories.eventsInWindow / windowHours,
      historyEventsPerFinishedRun: inWindow.length > 0 ? histories.eventsInWindow / inWindow.length : 0,
      ...(workerPeakRssBytes !== undefined ? { workerPeakRssBytes } : {}),
      largestPayloadBytes: histories.largestPayloadBytes,
      latencySeconds: latencies.length > 0 ? percentiles(latencies) : undefined,
      runsUnseen,
      failureStreaks: streakStarts.length,
      failureStreaksAlerted: streakStarts.filter((run) => alerts.failedRunIds.has(run.id)).length,
      setupSeconds,
    };
  } finally {
    for (const stop of stops) {
      try {
        await stop();
      } catch {
        // Stopping is best effort.
      }
    }
  }
}

async function buildFleet(
  aep: AepClient,
  sandboxes: string[],
  dataflows: number,
  token: string,
): Promise<FleetDataflow[]> {
  const fleet: FleetDataflow[] = [];
  for (const [index, sandbox] of sandboxes.entries()) {
    const count = Math.floor(dataflows / sandboxes.length) + (index < dataflows % sandboxes.length ? 1 : 0);
    const started = Date.now();
    fleet.push(
      ...(await createFleet({
        aep,
        sandbox,
        count,
        namePrefix: 'consent',
        scheduleIntervalMinutes: 15,
        oneTrustToken: token,
        onProgress: (done) => {
          if (done % 1000 === 0) log(`${sandbox}: ${done} of ${count} dataflows created`);
        },
      })),
    );
    log(`${sandbox}: ${count} dataflows created in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  }
  return fleet;
}

/** Failed runs whose flow's previous finished run succeeded (or that are its first): each must raise an alert. */
function failureStreakStarts(runs: SimulatorRun[]): SimulatorRun[] {
  const byFlow = new Map<string, SimulatorRun[]>();
  for (const run of runs) {
    if (run.status === 'inProgress') continue;
    byFlow.set(run.flowId, [...(byFlow.get(run.flowId) ?? []), run]);
  }
  const starts: SimulatorRun[] = [];
  for (const flowRuns of byFlow.values()) {
    flowRuns.sort((a, b) => a.startedAtUTC - b.startedAtUTC);
    flowRuns.forEach((run, index) => {
      if (run.status === 'failed' && (index === 0 || flowRuns[index - 1]!.status !== 'failed')) starts.push(run);
    });
  }
  return starts;
}

async function mintToken(simulatorUrl: string): Promise<string> {
  const response = await fetch(`${simulatorUrl}/__sim/onetrust/tokens`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ expiresInSeconds: 180 * 86_400 }),
  });
  return ((await response.json()) as { access_token: string }).access_token;
}

async function requestCounts(simulatorUrl: string): Promise<Record<string, number>> {
  return (await (await fetch(`${simulatorUrl}/__sim/request-counts`)).json()) as Record<string, number>;
}

async function simulatorRuns(simulatorUrl: string, sandbox: string): Promise<SimulatorRun[]> {
  const runs: SimulatorRun[] = [];
  let cursor: string | undefined;
  do {
    const query = new URLSearchParams({ sandbox, limit: '50000', ...(cursor ? { cursor } : {}) });
    const page = (await (await fetch(`${simulatorUrl}/__sim/runs?${query.toString()}`)).json()) as {
      items: SimulatorRun[];
      nextCursor?: string;
    };
    runs.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor);
  return runs;
}

function sum(counts: Record<string, number>): number {
  return Object.values(counts).reduce((total, count) => total + count, 0);
}

function percentiles(values: number[]): { p50: number; p95: number; max: number } {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (share: number) => sorted[Math.min(sorted.length - 1, Math.floor(share * sorted.length))]!;
  return { p50: at(0.5), p95: at(0.95), max: sorted[sorted.length - 1]! };
}

async function forEach<T>(items: T[], concurrency: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, items.length) }, async () => {
      for (let index = next++; index < items.length; index = next++) await work(items[index]!);
    }),
  );
}

function sleepMinutes(minutes: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, minutes * 60_000));
}
