/**
 * How long one provisioning takes against the simulator, end to end through Temporal, next to the same HTTP work
 * done directly: (a) the same idempotent step functions called in sequence without Temporal, and (b) only the
 * seed's bare calls (stats, 8 creates and the explore preview, no look-ups).
 *
 *   npx tsx scripts/benchmark-provisioning.ts [--runs N] [--eager]
 *
 * --eager turns on the server's eager activity execution (dynamic config) for the dev server it starts.
 *
 * Uses TEMPORAL_ADDRESS when set, else starts a throwaway dev server with the Temporal CLI.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode, DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { createActivities } from '../src/activities';
import { createAepClient, type AepClient, type AepSettings } from '../src/aep';
import { toProvisionInput } from '../src/cli/provision-input';
import { resolveDataflowSpec } from '../src/config';
import { defaultMapping } from '../src/dataflow/default-mapping';
import {
  dataLakeConnectionSpec,
  oneTrustConnectionSpec,
  oneTrustFlowSpec,
  xdmFullContentType,
} from '../src/dataflow/platform-ids';
import { fieldGroupBody, schemaBody, withTenant } from '../src/dataflow/target-schema';
import { createSecretBox } from '../src/secrets';
import { startSimulator } from '../src/simulator/server';
import { registerSearchAttributes } from '../src/temporal/register-search-attributes';
import { provisionDataflow } from '../src/workflows/provision-dataflow';

const runs = Number(process.argv[process.argv.indexOf('--runs') + 1]) || 5;

async function main(): Promise<void> {
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  const simulator = await startSimulator({ port: 0 });
  const { clientId, clientSecret, orgId } = simulator.context.settings;
  const settings: AepSettings = {
    platformUrl: simulator.url,
    imsUrl: simulator.url,
    clientId,
    clientSecret,
    orgId,
    scopes: 'openid',
  };
  const temporal = await temporalServer();
  const secrets = createSecretBox(randomBytes(32));
  const aep = createAepClient(settings);
  const connection = await Connection.connect({ address: temporal.address });
  const nativeConnection = await NativeConnection.connect({ address: temporal.address });
  await registerSearchAttributes(connection, 'default');
  const client = new Client({ connection });
  const taskQueue = `benchmark-${randomBytes(3).toString('hex')}`;
  const worker = await Worker.create({
    connection: nativeConnection,
    taskQueue,
    workflowBundle: await bundleWorkflowCode({
      workflowsPath: require.resolve('../src/workflows'),
      logger: new DefaultLogger('ERROR'),
    }),
    activities: createActivities({ aep, secrets }),
  });
  const running = worker.run();

  try {
    const token = async () =>
      (
        (await (
          await fetch(`${simulator.url}/__sim/onetrust/tokens`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ expiresInSeconds: 86_400 * 180 }),
          })
        ).json()) as { access_token: string }
      ).access_token;
    const spec = async (sandbox: string) =>
      resolveDataflowSpec(
        {
          name: 'bench',
          sandbox,
          onetrust: { accessToken: { env: 'TOKEN' } },
          target: { schemaTitle: `Bench ${sandbox}`, datasetName: `Bench ${sandbox}` },
          schedule: { frequency: 'minute', interval: 15 },
        },
        { env: { TOKEN: await token() } },
      );

    // Warm-up: the first workflow pays for the worker's V8 context and the IMS token.
    await client.workflow.execute(provisionDataflow, {
      taskQueue,
      workflowId: `provision:warm-up-${randomBytes(3).toString('hex')}:bench`,
      args: [toProvisionInput(await spec(`w-${randomBytes(3).toString('hex')}`), secrets, { startMonitor: false })],
    });

    const temporalTimes: number[] = [];
    const stepTimes: number[] = [];
    const bareTimes: number[] = [];
    for (let run = 0; run < runs; run += 1) {
      const viaTemporal = await spec(`b-${randomBytes(4).toString('hex')}`);
      const input = toProvisionInput(viaTemporal, secrets);
      let started = performance.now();
      await client.workflow.execute(provisionDataflow, {
        taskQueue,
        workflowId: `provision:${viaTemporal.sandbox}:bench`,
        args: [input],
      });
      temporalTimes.push(performance.now() - started);

      const direct = await spec(`d-${randomBytes(4).toString('hex')}`);
      const directInput = toProvisionInput(direct, secrets);
      started = performance.now();
      await provisionWithoutTemporal(createActivities({ aep, secrets }), directInput);
      stepTimes.push(performance.now() - started);

      const bare = await spec(`r-${randomBytes(4).toString('hex')}`);
      started = performance.now();
      await bareSeedCalls(aep, bare.sandbox, bare.oneTrust.accessToken.reveal(), bare.target);
      bareTimes.push(performance.now() - started);
    }

    const describe = (label: string, times: number[]) => {
      const sorted = [...times].sort((a, b) => a - b);
      const median = sorted[Math.floor(sorted.length / 2)]!;
      const mean = times.reduce((sum, time) => sum + time, 0) / times.length;
      console.log(
        `${label.padEnd(58)} median ${median.toFixed(0).padStart(5)} ms   mean ${mean.toFixed(0).padStart(5)} ms   (n=${times.length})`,
      );
    };
    console.log(`One provisioning against the simulator (${runs} runs each, after one warm-up):`);
    describe('Temporal workflow, end to end (start → result, incl. monitor start)', temporalTimes);
    describe('Same idempotent steps called directly, no Temporal', stepTimes);
    describe("Seed's bare HTTP calls only (no look-ups), no Temporal", bareTimes);
  } finally {
    worker.shutdown();
    await running;
    await aep.close();
    await nativeConnection.close();
    await connection.close();
    await temporal.stop();
    await simulator.close();
  }
}

type Steps = ReturnType<typeof createActivities>;

/** The workflow's sequence, minus Temporal: survey, then each ensure-step in the seed's order. */
async function provisionWithoutTemporal(steps: Steps, input: ReturnType<typeof toProvisionInput>): Promise<void> {
  const dataflow = { sandbox: input.sandbox, name: input.name, ...input.target };
  const description = 'benchmark';
  await steps.findExistingResources({ dataflow });
  const { baseConnectionId } = await steps.ensureBaseConnection({ dataflow, token: input.oneTrust.token, description });
  await steps.checkExplorePreview({
    dataflow,
    baseConnectionId,
    mappingSources: input.mapping.map((rule) => rule.source),
  });
  const { sourceConnectionId } = await steps.ensureSourceConnection({ dataflow, baseConnectionId, description });
  const schema = await steps.ensureTargetSchema({
    dataflow,
    description,
    tenantFields: ['Identifier', 'Language', 'CreatedDate', 'LastUpdatedDate', 'DataElements', 'Purposes'],
    classFields: ['_id'],
  });
  const { datasetId } = await steps.ensureDataset({ dataflow, schemaId: schema.schemaId, description });
  const { targetConnectionId } = await steps.ensureTargetConnection({ dataflow, datasetId, description });
  const mapping = await steps.ensureMappingSet({
    dataflow,
    schemaId: schema.schemaId,
    tenantId: schema.tenantId,
    mapping: input.mapping,
    description,
  });
  await steps.ensureDataflow({
    dataflow,
    description,
    sourceConnectionId,
    targetConnectionId,
    mappingSetId: mapping.mappingSetId,
    mappingVersion: mapping.mappingVersion,
    schedule: input.schedule,
    startTimeIsDefault: true,
  });
}

/** The tutorial's calls as a person would paste them: no look-ups, no retries. */
async function bareSeedCalls(
  aep: AepClient,
  sandbox: string,
  token: string,
  target: { schemaTitle: string; datasetName: string },
): Promise<void> {
  const api = aep.forSandbox(sandbox);
  const { tenantId } = await api.schemaRegistry.getStats();
  const base = await api.flowService.createConnection({
    name: 'base',
    connectionSpec: { ...oneTrustConnectionSpec },
    auth: { specName: 'OAuth2 Refresh Code', params: { accessToken: token } },
  });
  await api.flowService.exploreConnection(base.id, {
    objectType: 'rest',
    object: 'json',
    fileType: 'json',
    preview: true,
  });
  const source = await api.flowService.createSourceConnection({
    name: 'source',
    baseConnectionId: base.id,
    connectionSpec: { ...oneTrustConnectionSpec },
    data: { format: 'json' },
    params: {},
  });
  const fieldGroup = await api.schemaRegistry.createFieldGroup(
    fieldGroupBody({ tenantId, title: `${target.schemaTitle} fields`, description: 'bench' }),
  );
  const schema = await api.schemaRegistry.createSchema(
    schemaBody({ title: target.schemaTitle, description: 'bench', fieldGroupId: fieldGroup.$id }),
  );
  const datasetId = await api.catalog.createDataset({
    name: target.datasetName,
    schemaRef: { id: schema.$id, contentType: xdmFullContentType },
  });
  const targetConnection = await api.flowService.createTargetConnection({
    name: 'target',
    connectionSpec: { ...dataLakeConnectionSpec },
    data: { format: 'json' },
    params: { dataSetId: datasetId },
  });
  const mapping = await api.dataPrep.createMappingSet({
    outputSchema: { schemaRef: { id: schema.$id, contentType: xdmFullContentType } },
    mappings: defaultMapping.map((rule) => ({ ...rule, destination: withTenant(rule.destination, tenantId) })),
  });
  await api.flowService.createFlow({
    name: 'flow',
    flowSpec: { ...oneTrustFlowSpec },
    sourceConnectionIds: [source.id],
    targetConnectionIds: [targetConnection.id],
    transformations: [{ name: 'Mapping', params: { mappingId: mapping.id, mappingVersion: mapping.version } }],
    scheduleParams: { startTime: String(Math.floor(Date.now() / 1000) + 60), frequency: 'minute', interval: 15 },
  });
}

async function temporalServer(): Promise<{ address: string; stop(): Promise<void> }> {
  if (process.env.TEMPORAL_ADDRESS) return { address: process.env.TEMPORAL_ADDRESS, stop: async () => {} };
  const port = await freePort();
  const dataDir = mkdtempSync(join(tmpdir(), 'temporal-bench-'));
  const cli = process.env.TEMPORAL_CLI_PATH ?? join(__dirname, '../.tools/bin/temporal');
  const child: ChildProcess = spawn(
    cli,
    [
      'server',
      'start-dev',
      '--ip',
      '127.0.0.1',
      '--port',
      String(port),
      '--headless',
      '--db-filename',
      join(dataDir, 'db.sqlite'),
      '--log-level',
      'error',
      // Lets a workflow task hand its activity straight to this worker, saving a poll round trip per step.
      ...(process.argv.includes('--eager')
        ? ['--dynamic-config-value', 'system.enableActivityEagerExecution=true']
        : []),
    ],
    { stdio: 'ignore' },
  );
  const address = `127.0.0.1:${port}`;
  for (const deadline = Date.now() + 60_000; ;) {
    try {
      const probe = await Connection.connect({ address, connectTimeout: 1_000 });
      await probe.close();
      break;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
  return {
    address,
    async stop() {
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
