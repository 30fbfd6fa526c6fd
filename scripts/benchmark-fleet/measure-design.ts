/**
 * One design measured on a fleet: a fresh simulator and Temporal dev server, N dataflows built straight through
 * the AEP client, their monitors started, then a measurement window on a scaled simulator clock. Everything the
 * table reports comes from outside the design: the simulator's request counts, its own record of the runs and of
 * its I/O Events deliveries and key fetches, the workflow histories, the workers' peak memory and an alert
 * webhook (the run feeds' own status is logged, and their push counters and continue-as-new reported, as are the
 * events receiver's key-fetch counters). A worker or receiver that dies is reported in the table, not fatal: the
 * figures then show what its death cost. Nothing assumes a short window, so `--minutes 60` is a soak.
 *
 * W workers share the task queue (./workers.ts). One may be SIGKILLed on purpose inside the window: the table then
 * says how long its workflows took to carry on elsewhere (the feeds' next look, by their status; the first task
 * another worker completed, by the histories: ./carry-on.ts) and the detection latency of the runs that ended just
 * after it. One may be added inside the window: the histories say how many tasks it took.
 */
import { randomBytes } from 'node:crypto';
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
import { carryOnFigures, type CarryOnFigures, type WorkerKill } from './carry-on';
import { createFleet, type FleetDataflow } from './create-fleet';
import { readReceiverStatus, startEventsReceiverProcess, type EventsReceiverProcess } from './events-receiver-process';
import { sendForgedDeliveries, type ForgedDeliveryOutcome } from './forged-deliveries';
import { readHistories } from './histories';
import { deliveryCounts, registerWebhooks } from './io-events-registrations';
import { percentiles, percentilesOf, type Percentiles } from './percentiles';
import { freePort, startChild, startDevServer, waitForOutput, type ChildExit, type ChildService } from './processes';
import {
  generationsBetween,
  pushedTotals,
  readFeedStatuses,
  watchLooksAfter,
  type FeedGenerations,
  type FeedStatuses,
  type LooksAfter,
  type PushedTotals,
} from './run-feed-status';
import { workerPool, type FleetWorker } from './workers';

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
  /** Worker processes started before the monitors, on the same task queue. */
  workers: number;
  /** Minutes into the window at which one worker is SIGKILLed (its process group), on purpose. */
  killOneAtMinutes?: number;
  /** Minutes into the window at which one more worker is started. */
  addOneAtMinutes?: number;
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
  /** The largest single worker's peak. */
  workerPeakRssBytes?: number;
  /** Every worker's own peak, added up (at least their joint peak). */
  workersPeakRssSumBytes?: number;
  /** Each worker, in the order started, with the tasks it took. */
  workers: WorkerFigures[];
  largestPayloadBytes: number;
  latencySeconds: Percentiles | undefined;
  runsUnseen: number;
  failureStreaks: number;
  failureStreaksAlerted: number;
  setupSeconds: number;
  /** `GET /runs/:id` calls: what each pushed event costs. */
  runReadsPerHour: number;
  /** Finished runs a feed handed to their monitor more than once (should be 0). */
  runsHandedOnTwice: number;
  /** Times a worker process ended on its own between starting and being stopped (should be 0); kills aside. */
  workerExits: number;
  /** With `--kill-one-at`. */
  kill?: KillFigures;
  /** The run feeds' continue-as-new inside the window (not for polling); "unknown" when a feed did not answer. */
  feedGenerationsInWindow?: FeedGenerations | 'unknown';
  /** The push design only. */
  push?: PushFigures;
}

export interface WorkerFigures {
  number: number;
  /** Started inside the window. */
  added: boolean;
  /** Minutes into the window it was started at (added workers) or killed at. */
  addedAtWindowMinute?: number;
  killedAtWindowMinute?: number;
  /** Tasks it started over the whole benchmark, by the histories. */
  workflowTasks: number;
  activityTasks: number;
  peakRssBytes?: number;
}

/** A worker SIGKILLed on purpose inside the window, and how its work carried on. */
export interface KillFigures {
  /** Minutes into the window. */
  atWindowMinute: number;
  /** Seconds from the kill to each feed's next finished look (undefined: none seen); undefined for polling. */
  feedsLookedAgainSeconds?: Array<number | undefined>;
  /** Monitors and feeds cached on the killed worker, by the histories. */
  monitors: CarryOnFigures;
  feeds: CarryOnFigures;
  /** Detection latency of the runs that ended in the `afterKillSeconds` after the kill, and of the others. */
  latencyRightAfter: { runs: number; seconds?: Percentiles };
  latencyOthers: { runs: number; seconds?: Percentiles };
}

/** Runs that ended this long after a kill are reported apart. */
export const afterKillSeconds = 120;

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
    const pool = workerPool({
      designRoot: options.designRoot,
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
      label: `the ${design}`,
      onUnexpectedExit: (worker, exit) =>
        reportCrash(design, `worker ${worker.number}`, worker.service, exit, setupStarted),
    });
    stops.unshift(() => pool.stopAll());
    await Promise.all(Array.from({ length: options.workers }, () => pool.add({ added: false })));
    log(
      `${design}: ${options.workers} worker(s) running (${pool
        .workers()
        .map((worker) => `${worker.number}: ${worker.identity}`)
        .join(', ')}); starting ${fleet.length} monitors`,
    );

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
    const readFeeds = async (brief: boolean): Promise<FeedStatuses | undefined> => {
      if (design === 'polling') return undefined;
      // Without a worker nobody answers a query: each would only wait for its timeout.
      if (!pool.anyAlive()) return new Map(sandboxes.map((sandbox) => [sandbox, undefined]));
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
    // Into the window: one worker killed, one added; each says what it did, or why it could not.
    let looksAfterKill: LooksAfter | undefined;
    const killed =
      options.killOneAtMinutes === undefined
        ? undefined
        : atWindowMinute(windowFrom, options.killOneAtMinutes, `${design}: killing a worker`, async () => {
            const victim = await pool.killOne();
            if (!victim?.killedAtMs) throw new Error('no worker left to kill');
            log(`${design}: worker ${victim.number} (${victim.identity}) SIGKILLed with its process group`);
            if (design !== 'polling') looksAfterKill = watchLooksAfter(client, sandboxes, victim.killedAtMs);
            return victim;
          });
    const added =
      options.addOneAtMinutes === undefined
        ? undefined
        : atWindowMinute(windowFrom, options.addOneAtMinutes, `${design}: adding a worker`, async () => {
            const worker = await pool.add({ added: true });
            log(`${design}: worker ${worker.number} (${worker.identity}) added`);
            return worker;
          });
    await waitForWindow(windowEndsAt, async () => {
      const rss = pool.peakRss();
      const receiverNow = receiver ? await readReceiverStatus(receiver.baseUrl) : undefined;
      const alive = pool
        .workers()
        .filter((worker) => worker.service.unexpectedExit() === undefined && !worker.killedAtMs);
      log(
        `${design}: ${((Date.now() - windowFrom) / 60_000).toFixed(0)} of ${options.windowMinutes} min; ` +
          `${alive.length} of ${pool.workers().length} worker(s) alive, peak RSS ${mebibytes(rss.largestBytes)} ` +
          `(all: ${mebibytes(rss.sumBytes)})` +
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
    const victim = await killed;
    const addedWorker = await added;
    await looksAfterKill?.stop();
    const feedsAfterSettling = await readFeeds(false);
    const feeds = feedsAfterSettling ? pushedTotals(feedsAfterSettling) : undefined;
    // A dead worker's output is logged when it died.
    if (feeds && feeds.silentFeeds > 0) {
      for (const worker of pool.workers().filter((each) => !each.killedAtMs && !each.service.unexpectedExit()))
        log(`${design}: worker ${worker.number}'s last output:\n${worker.service.output().slice(-3000)}`);
    }
    const delivery = design === 'push' ? await deliveryCounts(simulatorUrl, registrationIds) : undefined;
    const workersPeakRss = pool.peakRss();
    const workerPeaks = new Map(pool.workers().map((worker) => [worker, worker.peakRssBytes()]));
    const workerExits = pool.unexpectedExits();
    const receiverExits = receiver?.service.unexpectedExit() ? 1 : 0;
    const workersStoppedAt = Date.now();
    await pool.stopAll();

    log(`${design}: reading workflow histories`);
    const kill: WorkerKill | undefined =
      victim?.killedAtMs !== undefined ? { identity: victim.identity, atMs: victim.killedAtMs } : undefined;
    const histories = await readHistories(
      client,
      taskQueue,
      { fromMs: windowFrom, toMs: windowTo },
      (done) => log(`${design}: ${done} histories read`),
      // A task due in the last half minute before the workers stopped is not "waiting" yet.
      kill ? { ...kill, waitingUntilMs: workersStoppedAt - 30_000 } : undefined,
    );
    const runs = (await Promise.all(sandboxes.map((sandbox) => simulatorRuns(simulatorUrl, sandbox)))).flat();

    const windowHours = (windowTo - windowFrom) / 3_600_000;
    const inWindow = runs.filter(
      (run) => run.completedAtUTC !== undefined && run.completedAtUTC >= windowFrom && run.completedAtUTC <= windowTo,
    );
    const latencies: number[] = [];
    const rightAfterKill = { runs: 0, latencies: [] as number[] };
    const otherRuns = { runs: 0, latencies: [] as number[] };
    let runsUnseen = 0;
    for (const run of inWindow) {
      const learned = histories.learned.get(run.id);
      const completedAt = run.completedAtUTC ?? 0;
      const latency = learned ? (learned.learnedAtMs - completedAt) / 1000 : undefined;
      if (latency === undefined) runsUnseen += 1;
      else latencies.push(latency);
      if (kill) {
        const group =
          completedAt >= kill.atMs && completedAt <= kill.atMs + afterKillSeconds * 1000 ? rightAfterKill : otherRuns;
        group.runs += 1;
        if (latency !== undefined) group.latencies.push(latency);
      }
    }
    const workers: WorkerFigures[] = pool
      .workers()
      .map((worker) =>
        workerFigures(worker, windowFrom, workerPeaks.get(worker), histories.tasksByWorker.get(worker.identity)),
      );
    if (addedWorker) {
      const figures = workers.find((worker) => worker.number === addedWorker.number);
      log(
        `${design}: the added worker took ${figures?.workflowTasks ?? 0} workflow task(s) and ${figures?.activityTasks ?? 0} activity task(s)`,
      );
    }
    const feedWorkflowIds = new Set(sandboxes.map(runFeedWorkflowId));
    const killFigures: KillFigures | undefined = kill
      ? {
          atWindowMinute: (kill.atMs - windowFrom) / 60_000,
          ...(looksAfterKill
            ? {
                feedsLookedAgainSeconds: [...looksAfterKill.lookedAt().values()].map((at) =>
                  at === undefined ? undefined : (at - kill.atMs) / 1000,
                ),
              }
            : {}),
          monitors: carryOnFigures(
            histories.cachedOnKilled.filter((workflow) => !feedWorkflowIds.has(workflow.workflowId)),
            kill,
          ),
          feeds: carryOnFigures(
            histories.cachedOnKilled.filter((workflow) => feedWorkflowIds.has(workflow.workflowId)),
            kill,
          ),
          latencyRightAfter: latencyGroup(rightAfterKill),
          latencyOthers: latencyGroup(otherRuns),
        }
      : undefined;
    if (killFigures) log(`${design}: after the kill: ${JSON.stringify(killFigures)}`);
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
      ...(workersPeakRss.largestBytes !== undefined ? { workerPeakRssBytes: workersPeakRss.largestBytes } : {}),
      ...(workersPeakRss.sumBytes !== undefined ? { workersPeakRssSumBytes: workersPeakRss.sumBytes } : {}),
      workers,
      largestPayloadBytes: histories.largestPayloadBytes,
      latencySeconds: percentilesOf(latencies),
      runsUnseen,
      failureStreaks: streakStarts.length,
      failureStreaksAlerted: streakStarts.filter((run) => alerts.failedRunIds.has(run.id)).length,
      setupSeconds,
      runReadsPerHour: calls('GET /runs/:id') / windowHours,
      runsHandedOnTwice: histories.runsHandedOnTwice,
      workerExits,
      ...(killFigures ? { kill: killFigures } : {}),
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

function latencyGroup(group: { runs: number; latencies: number[] }): { runs: number; seconds?: Percentiles } {
  return group.latencies.length > 0
    ? { runs: group.runs, seconds: percentiles(group.latencies) }
    : { runs: group.runs };
}

function workerFigures(
  worker: FleetWorker,
  windowFrom: number,
  peakRssBytes: number | undefined,
  tasks: { workflowTasks: number; activityTasks: number } | undefined,
): WorkerFigures {
  const minute = (atMs: number) => (atMs - windowFrom) / 60_000;
  return {
    number: worker.number,
    added: worker.added,
    ...(worker.added ? { addedAtWindowMinute: minute(worker.startedAtMs) } : {}),
    ...(worker.killedAtMs !== undefined ? { killedAtWindowMinute: minute(worker.killedAtMs) } : {}),
    workflowTasks: tasks?.workflowTasks ?? 0,
    activityTasks: tasks?.activityTasks ?? 0,
    ...(peakRssBytes !== undefined ? { peakRssBytes } : {}),
  };
}

/**
 * Runs `action` that many minutes into the window. Its failure is logged and read as undefined, not thrown: the
 * window goes on, and the table shows what did not happen.
 */
function atWindowMinute<T>(
  windowFrom: number,
  minutes: number,
  what: string,
  action: () => Promise<T>,
): Promise<T | undefined> {
  const waitMs = Math.max(0, windowFrom + minutes * 60_000 - Date.now());
  return new Promise((resolve) => setTimeout(resolve, waitMs))
    .then(() => {
      log(what);
      return action();
    })
    .catch((error: unknown) => {
      log(`${what} FAILED: ${error instanceof Error ? error.message : String(error)}`);
      return undefined;
    });
}

function mebibytes(bytes: number | undefined): string {
  return bytes === undefined ? '?' : `${(bytes / 2 ** 20).toFixed(0)} MiB`;
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
