/**
 * One design measured on a fleet: a fresh simulator and Temporal dev server, N dataflows built straight through
 * the AEP client, their monitors started, then a measurement window on a scaled simulator clock. Everything the
 * table reports comes from outside the design: the simulator's request counts, its own record of the runs and of
 * its I/O Events deliveries and key fetches, the workflow histories, the worker's peak memory and an alert
 * webhook (the run feeds' own status is logged, and their push counters and continue-as-new reported, as are the
 * events receiver's key-fetch counters). A worker or receiver that dies is reported in the table, not fatal: the
 * figures then show what its death cost. Nothing assumes a short window, so `--minutes 60` is a soak.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { createAepClient, type AepClient } from '../../src/aep';
import { createSecretBox } from '../../src/secrets';
import { simulatorDefaults } from '../../src/simulator/defaults';
import { registerSearchAttributes } from '../../src/temporal/register-search-attributes';
import type { DataflowDescriptor } from '../../src/contracts/dataflow-types';
import { monitorWorkflowId, runFeedWorkflowId } from '../../src/contracts/workflow-ids';
import type { ReceiverStatus } from '../../src/events/events-receiver';
import { defaultKeyFetchLimits, type KeyFetchLimits } from '../../src/events/public-key-cache';
import type { DeliveryCounts } from '../../src/simulator/io-events/event-registration';
import { signingKeyPathPrefix } from '../../src/simulator/io-events/signing-keys';
import { startAlertCounter } from './alert-receiver';
import { createFleet, type FleetDataflow } from './create-fleet';
import { readReceiverStatus, startEventsReceiverProcess, type EventsReceiverProcess } from './events-receiver-process';
import { sendForgedDeliveries, type ForgedDeliveryOutcome } from './forged-deliveries';
import { readHistories } from './histories';
import { deliveryCounts, registerWebhooks } from './io-events-registrations';
import {
  freePort,
  startChild,
  startDevServer,
  trackPeakRss,
  waitForOutput,
  type ChildExit,
  type ChildService,
} from './processes';
import {
  generationsBetween,
  pushedTotals,
  readFeedStatuses,
  type FeedGenerations,
  type FeedStatuses,
  type PushedTotals,
} from './run-feed-status';

/** polling: every monitor lists its own runs; feed: one run feed per sandbox; push: the feed plus I/O Events. */
export type Design = 'polling' | 'feed' | 'push';

export const designs: readonly Design[] = ['polling', 'feed', 'push'];

export interface FleetOptions {
  dataflows: number;
  sandboxes: number;
  windowMinutes: number;
  warmupMinutes: number;
  timeScale: number;
  failureShare: number;
  feedIntervalSeconds: number;
  pollIntervalSeconds: number;
  /** Forged deliveries sent to the push design's receiver during the window. */
  forged: number;
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
  /** `GET /runs/:id` calls: what each pushed event costs. */
  runReadsPerHour: number;
  /** Finished runs a feed handed to their monitor more than once (should be 0). */
  runsHandedOnTwice: number;
  /** Times the worker process ended on its own between starting and being stopped (should be 0). */
  workerExits: number;
  /** The run feeds' continue-as-new inside the window (not for polling); "unknown" when a feed did not answer. */
  feedGenerationsInWindow?: FeedGenerations | 'unknown';
  /** The push design only. */
  push?: PushFigures;
}

/** What push did over the whole benchmark (set-up, window and settling), by the simulator's and the feeds' counts. */
export interface PushFigures {
  deliveries: DeliveryCounts;
  /** Registrations the simulator no longer calls as active (unstable or disabled). */
  inactiveRegistrations: number;
  feeds: PushedTotals;
  forged: ForgedDeliveryOutcome;
  keys: KeyFetchFigures;
  /** Times the events receiver process ended on its own (should be 0). */
  receiverExits: number;
}

/** Public-key fetches during the window, while the forged deliveries named fresh key paths. */
export interface KeyFetchFigures {
  /** Key requests the key host (the simulator) received. */
  atKeyHost: number;
  /** Fetches the receiver made and fetches its cap refused, by its own counters; undefined if it did not answer. */
  byReceiver: number | undefined;
  refusedByCap: number | undefined;
  /** The receiver's caps (its defaults, which the benchmark does not change). */
  cap: KeyFetchLimits;
  /** The most fetches those caps allow in a window this long. */
  capInWindow: number;
}

/** The simulator's key route, as its request counts name it: the key host, not AEP. */
const keyHostRoute = `GET ${signingKeyPathPrefix}:file`;
/** Lines of a dead process's stderr shown in the log. */
const crashLines = 30;
/** How often a long window says how it is going. */
const progressEveryMs = 5 * 60_000;

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
    // Everything on one queue (the histories are found by it), whatever the caller's environment says.
    const temporalEnv: NodeJS.ProcessEnv = {
      TEMPORAL_ADDRESS: temporal.address,
      TEMPORAL_NAMESPACE: 'default',
      TASK_QUEUE: taskQueue,
      MONITOR_TASK_QUEUE: taskQueue,
      RUN_FEED_TASK_QUEUE: taskQueue,
      WORKER_TASK_QUEUES: '',
    };
    const worker = startChild(process.execPath, ['--import', 'tsx', join(options.designRoot, 'src', 'worker.ts')], {
      cwd: options.designRoot,
      env: {
        ...process.env,
        ...temporalEnv,
        AEP_PLATFORM_URL: simulatorUrl,
        AEP_IMS_URL: simulatorUrl,
        AEP_CLIENT_ID: simulatorDefaults.clientId,
        AEP_CLIENT_SECRET: simulatorDefaults.clientSecret,
        AEP_ORG_ID: simulatorDefaults.orgId,
        DATAFLOW_SECRETS_KEY: secretsKey,
        RUN_FEED_INTERVAL: `${options.feedIntervalSeconds}s`,
        LOG_LEVEL: 'INFO',
      },
      onUnexpectedExit: (exit) => reportCrash(design, 'worker', worker, exit, setupStarted),
    });
    stops.unshift(() => worker.stop());
    await waitForOutput(worker, /worker started/, 120_000, `the ${design} worker`);
    const workerRss = trackPeakRss(worker.process.pid);
    log(`${design}: worker running (pid ${worker.process.pid}); starting ${fleet.length} monitors`);

    if (design !== 'polling') {
      for (const sandbox of sandboxes) {
        await client.workflow.start('sandboxRunFeed', {
          workflowId: runFeedWorkflowId(sandbox),
          taskQueue,
          args: [{ sandbox, intervalMs: options.feedIntervalSeconds * 1000 }],
        });
      }
    }
    let receiver: EventsReceiverProcess | undefined;
    const receiverService = () => receiver?.service;
    let registrationIds: string[] = [];
    if (design === 'push') {
      receiver = await startEventsReceiverProcess({
        projectRoot: options.projectRoot,
        simulatorUrl,
        temporalEnv,
        onUnexpectedExit: (exit) => reportCrash(design, 'events receiver', receiverService(), exit, setupStarted),
      });
      const { service } = receiver;
      stops.unshift(() => service.stop());
      registrationIds = await registerWebhooks(simulatorUrl, receiver.webhookUrl, sandboxes);
      log(`${design}: events receiver at ${receiver.webhookUrl} registered for ${sandboxes.length} sandbox(es)`);
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
    const workerAlive = () => worker.unexpectedExit() === undefined;
    const readFeeds = async (brief: boolean): Promise<FeedStatuses | undefined> => {
      if (design === 'polling') return undefined;
      // Without a worker nobody answers a query: each would only wait for its timeout.
      if (!workerAlive()) return new Map(sandboxes.map((sandbox) => [sandbox, undefined]));
      return readFeedStatuses(client, sandboxes, (text) => log(`${design}: ${text}`), brief);
    };
    const feedsAtStart = await readFeeds(true);
    const receiverAtStart = receiver ? await readReceiverStatus(receiver.baseUrl) : undefined;
    const windowFrom = Date.now();
    const windowEndsAt = windowFrom + options.windowMinutes * 60_000;
    const countsBefore = await requestCounts(simulatorUrl);
    log(`${design}: measuring for ${options.windowMinutes} min`);
    const forgedDuringWindow =
      receiver && fleet[0]
        ? sendForgedDeliveries({
            receiverUrl: receiver.webhookUrl,
            simulatorUrl,
            sandbox: fleet[0].sandbox,
            flowId: fleet[0].flowId,
            count: options.forged,
            untilMs: windowEndsAt,
          })
        : undefined;
    await waitForWindow(windowEndsAt, async () => {
      const rss = workerRss.peakBytes();
      const receiverNow = receiver ? await readReceiverStatus(receiver.baseUrl) : undefined;
      log(
        `${design}: ${((Date.now() - windowFrom) / 60_000).toFixed(0)} of ${options.windowMinutes} min; worker ` +
          `${workerAlive() ? 'alive' : 'DEAD'}, peak RSS ${rss ? `${(rss / 2 ** 20).toFixed(0)} MiB` : '?'}` +
          (receiverNow
            ? `; receiver: ${receiverNow.eventsHandedOff} events handed off, ${receiverNow.unverifiedDeliveries} ` +
              `refused unverified, ${receiverNow.keys.keyFetches} key fetches, ${receiverNow.keys.keyFetchesRefusedByCap} refused by the cap`
            : ''),
      );
    });
    const windowTo = Date.now();
    const countsAfter = await requestCounts(simulatorUrl);
    const receiverAtEnd = receiver ? await readReceiverStatus(receiver.baseUrl) : undefined;
    const feedsAtEnd = await readFeeds(true);
    const forged = await forgedDuringWindow;
    if (forged) log(`${design}: forged deliveries answered ${JSON.stringify(forged.statuses)}`);
    // Runs that finished just before the window closed are still detected, and their latency counted.
    const settleSeconds = 2 * Math.max(options.feedIntervalSeconds, options.pollIntervalSeconds) + 30;
    log(`${design}: window closed; letting the last runs reach their monitors (${settleSeconds} s)`);
    await new Promise((resolve) => setTimeout(resolve, settleSeconds * 1000));
    const feedsAfterSettling = await readFeeds(false);
    const feeds = feedsAfterSettling ? pushedTotals(feedsAfterSettling) : undefined;
    // A dead worker's output is logged when it died.
    if (feeds && feeds.silentFeeds > 0 && workerAlive())
      log(`${design}: the worker's last output:\n${worker.output().slice(-3000)}`);
    const delivery = design === 'push' ? await deliveryCounts(simulatorUrl, registrationIds) : undefined;
    const workerPeakRssBytes = workerRss.peakBytes();
    const workerExits = worker.unexpectedExit() ? 1 : 0;
    const receiverExits = receiver?.service.unexpectedExit() ? 1 : 0;
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
    const calls = (route: string) => (countsAfter[route] ?? 0) - (countsBefore[route] ?? 0);
    const runListingCalls = calls('GET /runs');
    // Key fetches go to I/O Events' key host, not AEP.
    const aepCalls = sum(countsAfter) - sum(countsBefore) - calls(keyHostRoute);
    // The table shows totals; the log says which routes they came from.
    const byRoute = Object.keys(countsAfter)
      .map((route) => [route, calls(route)] as const)
      .filter(([, count]) => count > 0)
      .sort((a, b) => b[1] - a[1]);
    log(
      `${design}: simulator calls in the window by route: ${byRoute.map(([route, count]) => `${route} ${count}`).join(', ')}`,
    );
    const feedGenerationsInWindow =
      feedsAtStart && feedsAtEnd ? (generationsBetween(feedsAtStart, feedsAtEnd) ?? 'unknown') : undefined;
    const receiverCount = (read: (status: ReceiverStatus) => number): number | undefined =>
      receiverAtStart && receiverAtEnd ? read(receiverAtEnd) - read(receiverAtStart) : undefined;
    const keys: KeyFetchFigures = {
      atKeyHost: calls(keyHostRoute),
      byReceiver: receiverCount((status) => status.keys.keyFetches),
      refusedByCap: receiverCount((status) => status.keys.keyFetchesRefusedByCap),
      cap: defaultKeyFetchLimits,
      capInWindow:
        defaultKeyFetchLimits.maxPerWindow * (Math.floor((windowTo - windowFrom) / defaultKeyFetchLimits.windowMs) + 1),
    };
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
      runReadsPerHour: calls('GET /runs/:id') / windowHours,
      runsHandedOnTwice: histories.runsHandedOnTwice,
      workerExits,
      ...(feedGenerationsInWindow ? { feedGenerationsInWindow } : {}),
      ...(feeds && delivery && forged
        ? {
            push: {
              deliveries: delivery.counts,
              inactiveRegistrations: delivery.inactive,
              feeds,
              forged,
              keys,
              receiverExits,
            },
          }
        : {}),
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

/** A child that died on its own: said at once, with the end of its stderr, and counted in the table. */
function reportCrash(
  design: Design,
  what: string,
  service: ChildService | undefined,
  exit: ChildExit,
  setupStarted: number,
): void {
  const after = ((exit.atMs - setupStarted) / 60_000).toFixed(1);
  log(
    `${design}: the ${what} EXITED (code ${exit.code}, signal ${exit.signal}) ${after} min after the set-up began; ` +
      `the last ${crashLines} lines of its stderr:\n${service?.stderrTail(crashLines) ?? '(none)'}`,
  );
}

/** Waits until the window's end, saying how it goes every few minutes. */
async function waitForWindow(endsAt: number, progress: () => Promise<void>): Promise<void> {
  for (let now = Date.now(); now < endsAt; now = Date.now()) {
    const nextReport = endsAt - now > progressEveryMs;
    await new Promise((resolve) => setTimeout(resolve, Math.min(progressEveryMs, endsAt - now)));
    if (nextReport) await progress();
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
