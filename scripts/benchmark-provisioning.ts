/**
 * How fast and how politely provisioning runs, in one table (issue 12):
 *  - one provisioning when every AEP and IMS call takes +50 ms, end to end through Temporal (workflow start to
 *    close, monitor start included), next to the seed's bare calls in sequence on the same simulator, with the AEP
 *    calls each makes, and where its time goes along the critical path (benchmark-provisioning/critical-path.ts);
 *  - bulk: N dataflows started at once behind the simulator's per-organisation limit, with the worker's pacing on
 *    and, for comparison, off (retrying through 429s as before).
 *
 *   npm run benchmark:provisioning -- [--runs 7] [--latency-ms 50] [--bulk 30,200] [--rate-limit 20] [--unpaced 30]
 *     [--timeline] [--workers 1,3,6 [--pacing shared,off] [--admission on,off] [--kill-one] [--add-one]]
 *
 * --unpaced lists the bulk sizes also measured with pacing off (the baseline: retrying through 429s); --timeline
 * prints the history events and AEP calls of the last single provisioning, in milliseconds from its start, with the
 * worker's side of each workflow task and activity start (the SDK's own logs: core's at DEBUG, which cost a little
 * time in every single provisioning of the run).
 *
 * --workers runs each bulk size on W worker processes (the worker program, `src/worker.ts`) for each W listed,
 * instead of on the in-process worker (--unpaced then does not apply), all W on one fresh task queue; --pacing says
 * how they share AEP's limit (TASK_QUEUE_PACING: `shared`, the default, or `off`; both when listed); --kill-one adds,
 * for each W ≥ 2 and the pacing listed first, a run in which one worker is SIGKILLed once half of the run's AEP calls
 * have been admitted, and --add-one one in which one more worker is started then; --admission on,off repeats the
 * runs with the workers taking activity tasks by free slots alone (ACTIVITY_ADMISSION=off) after those by the pace
 * of their AEP calls (the default). The workers' logs are kept in a temporary directory, named at the end.
 *
 * The simulator runs as its own process; Temporal is TEMPORAL_ADDRESS when set (e.g. the PostgreSQL-backed server
 * of `npm run temporal:production`), else a fresh dev server (TEMPORAL_CLI_PATH, eager activities on as
 * scripts/temporal.sh has them); without --workers the worker runs in this process so each measurement gets a fresh
 * AEP client.
 */
import { randomBytes } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { bundleWorkflowCode, DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { createActivities, recordAttemptStart } from '../src/activities';
import { createAepClient, type AepClient, type AepSettings } from '../src/aep';
import { toProvisionInput } from '../src/cli/provision-input';
import { resolveDataflowSpec, type ResolvedDataflowSpec } from '../src/config';
import { createSecretBox, type SecretBox } from '../src/secrets';
import { simulatorDefaults } from '../src/simulator/defaults';
import { registerSearchAttributes } from '../src/temporal/register-search-attributes';
import { workerTuningFromEnv } from '../src/worker';
import { provisionDataflow } from '../src/workflows/provision-dataflow';
import { monitorWorkflowId } from '../src/contracts/workflow-ids';
import { SimulatorAdmin } from '../test/harness/simulator-admin';
import { freePort, startChild, startDevServer, waitForOutput } from './benchmark-fleet/processes';
import {
  provisionOnWorkerProcesses,
  type MidwayChange,
  type QueuePacing,
  type WorkerProcessesFigures,
} from './benchmark-provisioning/bulk-on-worker-processes';
import { provisionInBulk, type BulkFigures } from './benchmark-provisioning/bulk-provisioning';
import { seedCallsInSequence } from './benchmark-provisioning/seed-calls';
import { criticalPathSegments, eventMillis, measureCriticalPath } from './benchmark-provisioning/critical-path';
import { WorkerSideLog, type WorkerSideLine } from './benchmark-provisioning/worker-side-log';

function option(name: string, fallback: string): string {
  const index = process.argv.indexOf(`--${name}`);
  return index >= 0 ? (process.argv[index + 1] ?? fallback) : fallback;
}

const runs = Number(option('runs', '7'));
const latencyMs = Number(option('latency-ms', '50'));
const bulkSizes = option('bulk', '30,200').split(',').filter(Boolean).map(Number);
const rateLimit = Number(option('rate-limit', '20'));
const unpacedSizes = option('unpaced', '30').split(',').filter(Boolean).map(Number);
const showTimeline = process.argv.includes('--timeline');
const workerSideLog = new WorkerSideLog();
const workerCounts = option('workers', '').split(',').filter(Boolean).map(workerCount);
const pacings = option('pacing', 'shared').split(',').filter(Boolean).map(queuePacing);
const admissions = option('admission', 'on').split(',').filter(Boolean).map(activityAdmission);
const midwayChanges: MidwayChange[] = [
  ...(process.argv.includes('--kill-one') ? (['kill-one'] as const) : []),
  ...(process.argv.includes('--add-one') ? (['add-one'] as const) : []),
];

function workerCount(text: string): number {
  const count = Number(text);
  if (!Number.isInteger(count) || count < 1) throw new Error(`--workers takes counts such as 1,3,6 (got "${text}")`);
  return count;
}

function activityAdmission(text: string): 'on' | 'off' {
  if (text === 'on' || text === 'off') return text;
  throw new Error(`--admission takes "on", "off" or both (got "${text}")`);
}

function queuePacing(text: string): QueuePacing {
  if (text === 'shared' || text === 'off') return text;
  throw new Error(`--pacing takes "shared", "off" or both (got "${text}")`);
}

interface Harness {
  settings: AepSettings;
  admin: SimulatorAdmin;
  client: Client;
  connection: Connection;
  temporalAddress: string;
  simulatorUrl: string;
  /** The legacy shared key `secrets` seals with, for worker processes to open with (DATAFLOW_SECRETS_KEY). */
  secretsKey: Buffer;
  secrets: SecretBox;
  workflowBundle: Awaited<ReturnType<typeof bundleWorkflowCode>>;
  nativeConnection: NativeConnection;
  spec: (sandbox: string, name?: string) => ResolvedDataflowSpec;
}

async function main(): Promise<void> {
  Runtime.install(showTimeline ? workerSideLog.runtimeOptions() : { logger: new DefaultLogger('ERROR') });
  const simulatorPort = await freePort();
  const simulator = startChild(
    process.execPath,
    ['--import', 'tsx', 'src/simulator/main.ts', '--port', String(simulatorPort), '--onetrust-subjects', '3'],
    { cwd: process.cwd(), env: process.env },
  );
  await waitForOutput(simulator, /listening on/, 60_000, 'the simulator');
  const simulatorUrl = `http://127.0.0.1:${simulatorPort}`;
  const temporal = process.env.TEMPORAL_ADDRESS
    ? { address: process.env.TEMPORAL_ADDRESS, stop: async () => {} }
    : await startDevServer(process.env.TEMPORAL_CLI_PATH ?? '.tools/bin/temporal');
  const connection = await Connection.connect({ address: temporal.address });
  const nativeConnection = await NativeConnection.connect({ address: temporal.address });
  await registerSearchAttributes(connection, 'default');
  const admin = new SimulatorAdmin(simulatorUrl);
  const settings: AepSettings = {
    platformUrl: simulatorUrl,
    imsUrl: simulatorUrl,
    clientId: simulatorDefaults.clientId,
    clientSecret: simulatorDefaults.clientSecret,
    orgId: simulatorDefaults.orgId,
    scopes: 'openid',
  };
  const { access_token: token } = await admin.mintOneTrustToken(86_400 * 180);
  const secretsKey = randomBytes(32);
  const harness: Harness = {
    settings,
    admin,
    client: new Client({ connection }),
    connection,
    temporalAddress: temporal.address,
    simulatorUrl,
    secretsKey,
    secrets: createSecretBox(secretsKey),
    workflowBundle: await bundleWorkflowCode({
      workflowsPath: require.resolve('../src/workflows'),
      logger: new DefaultLogger('ERROR'),
    }),
    nativeConnection,
    spec: (sandbox, name = 'consent') =>
      resolveDataflowSpec(
        {
          name,
          sandbox,
          onetrust: { accessToken: { env: 'TOKEN' } },
          target: { schemaTitle: `Consent ${sandbox} ${name}`, datasetName: `Consent ${sandbox} ${name}` },
          schedule: { frequency: 'minute', interval: 15 },
        },
        { env: { TOKEN: token } },
      ),
  };

  try {
    await admin.setLatency(latencyMs);
    const single = await measureOneProvisioning(harness);
    await admin.setLatency(undefined);

    await admin.setRateLimit(rateLimit);
    const bulk: BulkRow[] = [];
    if (workerCounts.length > 0) {
      bulk.push(...(await measureBulkOnWorkerProcesses(harness)));
    }
    for (const size of workerCounts.length > 0 ? [] : bulkSizes) {
      for (const paced of unpacedSizes.includes(size) ? [true, false] : [true]) {
        const figures = await withWorker(harness, { paced }, (taskQueue) =>
          provisionInBulk({
            client: harness.client,
            admin,
            taskQueue,
            secrets: harness.secrets,
            dataflows: size,
            dataflowsPerSandbox: 10,
            rateLimit,
            spec: harness.spec,
          }),
        );
        bulk.push({
          label: `${size} dataflows at once, ${paced ? 'paced (AIMD)' : 'unpaced (retry on 429)'}`,
          figures,
        });
      }
    }
    await admin.setRateLimit(undefined);
    printTable(single, bulk);
    printCriticalPath(single);
  } finally {
    await nativeConnection.close();
    await connection.close();
    await temporal.stop();
    await simulator.stop();
  }
}

interface BulkRow {
  label: string;
  figures: BulkFigures | WorkerProcessesFigures;
}

/** Each bulk size on W worker processes, for each W, pacing and change mid-way asked for. */
async function measureBulkOnWorkerProcesses(harness: Harness): Promise<BulkRow[]> {
  const directory = mkdtempSync(join(tmpdir(), 'benchmark-provisioning-'));
  // Bundled once (the single measurement's bundle): W workers start in seconds instead of each running webpack.
  const workflowBundlePath = join(directory, 'workflow-bundle.js');
  writeFileSync(workflowBundlePath, harness.workflowBundle.code);
  const rows: BulkRow[] = [];
  for (const size of bulkSizes) {
    for (const [pacing, admission] of pacings.flatMap((pacing) =>
      admissions.map((admission) => [pacing, admission] as const),
    )) {
      for (const workers of workerCounts) {
        // Killing the only worker would leave nobody to finish; workers lost and added are measured with the pacing
        // listed first (the one under test), not again with the baseline.
        const midway = pacing === pacings[0] ? midwayChanges : [];
        const changes = [undefined, ...midway.filter((change) => change !== 'kill-one' || workers >= 2)];
        for (const midway of changes) {
          const figures = await provisionOnWorkerProcesses({
            projectRoot: process.cwd(),
            temporalAddress: harness.temporalAddress,
            connection: harness.connection,
            client: harness.client,
            simulatorUrl: harness.simulatorUrl,
            secretsKey: harness.secretsKey,
            sealer: harness.secrets,
            workflowBundlePath,
            logDirectory: directory,
            workers,
            pacing,
            admission,
            ...(midway ? { midway } : {}),
            bulk: {
              client: harness.client,
              admin: harness.admin,
              secrets: harness.secrets,
              dataflows: size,
              dataflowsPerSandbox: 10,
              rateLimit,
              spec: harness.spec,
            },
          });
          const change =
            midway === 'kill-one'
              ? ', one SIGKILLed mid-way'
              : midway === 'add-one'
                ? ', one more started mid-way'
                : '';
          rows.push({
            label:
              `${size} dataflows at once, ${workers} worker${workers === 1 ? '' : 's'}${change}, ` +
              (pacing === 'shared' ? 'shared pacing' : 'pacing per process') +
              (admission === 'off' ? ', tasks taken by free slots' : ''),
            figures,
          });
        }
      }
    }
  }
  console.log(`Worker logs: ${directory}`);
  return rows;
}

interface SingleFigures {
  /** Workflow start to close, from the history's own timestamps (the server's clock). */
  temporalTimes: number[];
  /** From the start request to the result, as the caller (the CLI) waits: the above plus two round trips. */
  waitedTimes: number[];
  seedTimes: number[];
  temporalCalls: number[];
  seedCalls: number[];
  /** Each run's critical path, segment by segment. */
  criticalPaths: Array<Record<string, number>>;
}

async function measureOneProvisioning(harness: Harness): Promise<SingleFigures> {
  const figures: SingleFigures = {
    temporalTimes: [],
    waitedTimes: [],
    seedTimes: [],
    temporalCalls: [],
    seedCalls: [],
    criticalPaths: [],
  };
  await withWorker(harness, { paced: true }, async (taskQueue, aep) => {
    const provision = async (sandbox: string) => {
      const spec = harness.spec(sandbox);
      const started = performance.now();
      await harness.client.workflow.execute(provisionDataflow, {
        taskQueue,
        workflowId: `provision:${sandbox}:${spec.name}`,
        args: [toProvisionInput(spec, harness.secrets)],
      });
      const waited = performance.now() - started;
      return { waited, startToClose: await startToClose(harness.client, `provision:${sandbox}:${spec.name}`) };
    };
    // Warm-up: the first workflow pays for the worker's V8 context and the IMS token.
    await provision(`warm-${randomBytes(3).toString('hex')}`);
    for (let run = 0; run < runs; run += 1) {
      const viaTemporal = `t-${randomBytes(4).toString('hex')}`;
      const timed = showTimeline && run === runs - 1;
      if (timed) workerSideLog.record();
      const { waited, startToClose } = await provision(viaTemporal);
      // Core's log lines come in batches: those of the provisioning's last moments arrive a little later.
      if (timed) await delay(1_500);
      const workerSide = timed
        ? workerSideLog.stop([`provision:${viaTemporal}:consent`, monitorWorkflowId(viaTemporal, 'consent')])
        : [];
      figures.temporalTimes.push(startToClose);
      figures.waitedTimes.push(waited);
      figures.temporalCalls.push(await provisioningCalls(harness.admin, viaTemporal));
      figures.criticalPaths.push(
        await measureCriticalPath(harness.client, harness.admin, `provision:${viaTemporal}:consent`, viaTemporal),
      );

      const seed = harness.spec(`s-${randomBytes(4).toString('hex')}`);
      const started = performance.now();
      await seedCallsInSequence(aep, seed.sandbox, seed.oneTrust.accessToken.reveal(), seed.target);
      figures.seedTimes.push(performance.now() - started);
      figures.seedCalls.push(await provisioningCalls(harness.admin, seed.sandbox));
      if (timed) await printTimeline(harness, viaTemporal, workerSide);
    }
  });
  return figures;
}

/**
 * Where the time of one provisioning went (`--timeline`): every history event, every AEP call and the worker's side
 * of each workflow task and activity start, in milliseconds from the workflow's start, so the critical path and the
 * cost of each hop can be read off.
 */
async function printTimeline(harness: Harness, sandbox: string, workerSide: WorkerSideLine[]): Promise<void> {
  const { events } = await harness.client.workflow.getHandle(`provision:${sandbox}:consent`).fetchHistory();
  const origin = eventMillis(events?.[0]);
  const lines: Array<{ at: number; text: string }> = [];
  const activityNames = new Map<string, string>();
  for (const event of events ?? []) {
    const scheduled = event.activityTaskScheduledEventAttributes;
    if (scheduled) activityNames.set(String(event.eventId), scheduled.activityType?.name ?? '?');
    const of =
      event.activityTaskStartedEventAttributes?.scheduledEventId ??
      event.activityTaskCompletedEventAttributes?.scheduledEventId ??
      event.activityTaskFailedEventAttributes?.scheduledEventId;
    const name = scheduled?.activityType?.name ?? (of ? activityNames.get(String(of)) : undefined);
    const type = (temporal.api.enums.v1.EventType[event.eventType ?? 0] ?? '?').replace('EVENT_TYPE_', '');
    lines.push({ at: eventMillis(event) - origin, text: `history  ${type}${name ? ` ${name}` : ''}` });
  }
  for (const request of await harness.admin.requests(sandbox)) {
    lines.push({ at: Date.parse(request.time) - origin, text: `aep      ${request.method} ${request.path}` });
  }
  for (const line of workerSide) lines.push({ at: line.atMs - origin, text: `worker   ${line.text}` });
  lines.sort((a, b) => a.at - b.at);
  console.log(`\nTimeline of provision:${sandbox}:consent (ms from the workflow's start):`);
  for (const line of lines) console.log(`${line.at.toFixed(0).padStart(6)}  ${line.text}`);
}

/** Milliseconds from the workflow's first history event to its last (its close). */
async function startToClose(client: Client, workflowId: string): Promise<number> {
  const { events } = await client.workflow.getHandle(workflowId).fetchHistory();
  return eventMillis(events?.at(-1)) - eventMillis(events?.[0]);
}

/** AEP calls into the sandbox that built it: the run feed's and monitor's run listings are not provisioning. */
async function provisioningCalls(admin: SimulatorAdmin, sandbox: string): Promise<number> {
  return (await admin.requests(sandbox)).filter((entry) => !entry.path.includes('/flowservice/runs')).length;
}

/** A worker with a fresh AEP client (so a fresh pacer) on its own task queue, for the length of `work`. */
async function withWorker<T>(
  harness: Harness,
  options: { paced: boolean },
  work: (taskQueue: string, aep: AepClient) => Promise<T>,
): Promise<T> {
  const aep = createAepClient(harness.settings, { adaptivePacing: options.paced });
  const taskQueue = `benchmark-${randomBytes(3).toString('hex')}`;
  const worker = await Worker.create({
    connection: harness.nativeConnection,
    taskQueue,
    workflowBundle: harness.workflowBundle,
    activities: createActivities({ aep, secrets: harness.secrets }),
    interceptors: { activity: [recordAttemptStart] },
    // The worker program's own tuning (cache size, concurrency, MAX_TASK_QUEUE_ACTIVITIES_PER_SECOND …).
    ...workerTuningFromEnv(process.env),
  });
  const running = worker.run();
  try {
    return await work(taskQueue, aep);
  } finally {
    worker.shutdown();
    await running;
    await aep.close();
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

/** Where one provisioning's time went, segment by segment along its critical path (medians over the runs). */
function printCriticalPath(single: SingleFigures): void {
  const runs = single.criticalPaths.length;
  if (runs === 0) return;
  const rows = criticalPathSegments.map(({ key, label }) => [
    label,
    `${median(single.criticalPaths.map((path) => path[key]!)).toFixed(1)} ms`,
  ]);
  const width = Math.max(...rows.map(([label]) => label!.length));
  console.log(`\nOne provisioning's critical path, segment by segment (median of ${runs}; medians do not add up):`);
  console.log(`| ${'Segment'.padEnd(width)} | Time     |`);
  console.log(`|${'-'.repeat(width + 2)}|----------|`);
  for (const [label, time] of rows) console.log(`| ${label!.padEnd(width)} | ${time!.padEnd(8)} |`);
}

function printTable(single: SingleFigures, bulk: BulkRow[]): void {
  const seedMedian = median(single.seedTimes);
  const temporalMedian = median(single.temporalTimes);
  const rows: string[][] = [
    ['Measurement', 'Time', 'Ratio', 'AEP calls', 'Limit used', '429s per admitted call', 'Failures'],
    [
      `Seed's calls in sequence, +${latencyMs} ms per call (median of ${single.seedTimes.length})`,
      `${seedMedian.toFixed(0)} ms`,
      '1.00',
      String(median(single.seedCalls)),
      '',
      '',
      '',
    ],
    [
      `One provisioning through Temporal, +${latencyMs} ms per call, workflow start to close (median of ${single.temporalTimes.length})`,
      `${temporalMedian.toFixed(0)} ms`,
      (temporalMedian / seedMedian).toFixed(2),
      String(median(single.temporalCalls)),
      '',
      '',
      '',
    ],
    [
      `The same, start request to result as its caller waits (median of ${single.waitedTimes.length})`,
      `${median(single.waitedTimes).toFixed(0)} ms`,
      (median(single.waitedTimes) / seedMedian).toFixed(2),
      '',
      '',
      '',
      '',
    ],
    ...bulk.map(({ label, figures }) => [
      `${label}, limit ${rateLimit}/s`,
      `${(figures.elapsedMs / 1000).toFixed(1)} s`,
      '',
      `${figures.admitted} (${(figures.admitted / figures.dataflows).toFixed(1)} each)`,
      figures.limitUsed.toFixed(2),
      `${figures.throttledPerAdmitted.toFixed(3)} (${figures.throttled})`,
      `${figures.failures}${figures.wrongResourceCounts || 'decreases' in figures ? `; ${figures.wrongResourceCounts} without exactly one of each` : ''}`,
    ]),
  ];
  // With worker processes: where the queue's shared limit ended, and what the workers did to it.
  if (bulk.some(({ figures }) => 'decreases' in figures)) {
    rows[0]!.push('Shared limit at the end (429 estimate; decreases, lowest)');
    const firstBulkRow = rows.length - bulk.length;
    rows.forEach((row, index) => {
      if (index === 0) return;
      const figures = bulk[index - firstBulkRow]?.figures;
      row.push(figures && 'decreases' in figures ? sharedLimitCell(figures) : '');
    });
  }
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  const line = (row: string[]) => `| ${row.map((cell, column) => cell.padEnd(widths[column]!)).join(' | ')} |`;
  console.log(line(rows[0]!));
  console.log(`|${widths.map((width) => '-'.repeat(width + 2)).join('|')}|`);
  for (const row of rows.slice(1)) console.log(line(row));
  for (const { label, figures } of bulk) {
    if (figures.firstFailure) console.log(`${label}: first failure: ${figures.firstFailure}`);
    if (figures.midwayAtMs !== undefined) {
      console.log(
        `${label}: half of the AEP calls had been admitted ${seconds(figures.midwayAtMs)} into the ` +
          `${seconds(figures.elapsedMs)} run`,
      );
    }
    const { phases } = figures;
    console.log(
      `${label}: ` +
        (phases.firstThrottledAtMs !== undefined
          ? `first 429 at ${seconds(phases.firstThrottledAtMs)} (${phases.callsPerSecondBeforeFirstThrottled!.toFixed(1)} calls/s before it); `
          : 'no 429; ') +
        `limit used from 20 % to 80 % of the run ${phases.middleLimitUsed.toFixed(2)}; ` +
        `last ${seconds(phases.tailMs)} below three quarters of the limit`,
    );
    if (phases.afterMidwayLimitUsed) {
      console.log(
        `${label}: limit used in each 5 s from the mid-way point ` +
          phases.afterMidwayLimitUsed.map((used) => used.toFixed(2)).join(', '),
      );
    }
    if ('decreases' in figures && figures.activities) {
      const { of, retriedAfterTimeout, addedWorkerRan } = figures.activities;
      console.log(
        `${label}: ${of} activities, ${retriedAfterTimeout} of them run again after a timed-out attempt` +
          (addedWorkerRan !== undefined ? `, ${addedWorkerRan} run by the added worker` : ''),
      );
    }
    if ('decreases' in figures && figures.addedWorkerReady) {
      const { afterMidwayMs, afterEndMs } = figures.addedWorkerReady;
      console.log(
        `${label}: the added worker was ready ${seconds(afterMidwayMs)} after the mid-way point, ` +
          `${seconds(Math.abs(afterEndMs))} ${afterEndMs < 0 ? 'before' : 'after'} the last dataflow finished`,
      );
    }
    if ('decreases' in figures && figures.decreasesPutBack > 0) {
      console.log(
        `${label}: ${figures.decreasesPutBack} decrease(s) put back after a write from an older read undid them`,
      );
    }
    if ('decreases' in figures && figures.pacingErrors > 0) {
      console.log(`${label}: ${figures.pacingErrors} warning(s) that the shared rate could not be read or set`);
    }
  }
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

function sharedLimitCell(figures: WorkerProcessesFigures): string {
  // The server keeps the rate as a float32: 33.93 comes back as 33.93000030517578.
  const perSecond = (rate: number) => `${Number(rate.toFixed(2))}/s`;
  const rate = figures.finalRate === undefined ? 'none' : perSecond(figures.finalRate);
  const estimate = figures.finalLimitEstimate === undefined ? '' : ` (${perSecond(figures.finalLimitEstimate)})`;
  const lowest = figures.lowestRate === undefined ? '' : `, lowest ${perSecond(figures.lowestRate)}`;
  return `${rate}${estimate}; ${figures.decreases}${lowest}`;
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
