/**
 * `npm run client -- provision <spec.json>`: prints the workflow id and the Web UI link, follows the steps live,
 * ends with the ids (exit 0) or with the failing step, HTTP status, AEP code and message (exit 1); a dataflow that
 * already exists and is watched is reported as such with its ids; one whose monitor is gone is provisioned again.
 * Losing Temporal while following is "unavailable" (exit 3).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runProvision, type ProvisionOptions } from '../../src/cli/provision-command';
import { exitCodes } from '../../src/runtime/command-io';
import { connectTemporal } from '../../src/temporal/temporal-client';
import { monitorWorkflowId, provisionWorkflowId } from '../../src/contracts/workflow-ids';
import { encodePublicKey, generateSecretsKeyPair } from '../../src/secrets';
import { getTemporal } from '../harness/temporal';
import { childProcessEnv, startTestWorker, type TestWorker } from '../harness/test-worker';
import {
  exactlyOneOfEach,
  fastActivityTiming,
  newScenario,
  resourceCounts,
  resourcesOf,
  simulatorAdmin,
  uniqueName,
  type Scenario,
} from './provisioning-fixtures';

const specDirectory = mkdtempSync(join(tmpdir(), 'cli-specs-'));

describe('the provision command', function () {
  const taskQueue = uniqueName('provision-cli');
  let worker: TestWorker;
  let scenario: Scenario;

  before(async function () {
    this.timeout(120_000);
    worker = await startTestWorker({ taskQueue });
    scenario = { ...(await newScenario()), taskQueue };
  });

  afterEach(async () => {
    await (await simulatorAdmin()).clearFaults();
  });

  after(async () => {
    await worker?.stop();
  });

  async function runCli(
    target: Scenario,
    options: Partial<ProvisionOptions> = {},
    envOverrides: NodeJS.ProcessEnv = {},
  ) {
    const path = join(specDirectory, `${target.sandbox}.json`);
    writeFileSync(path, JSON.stringify(target.spec));
    const stdout: string[] = [];
    const stderr: string[] = [];
    const env = { ...(await childProcessEnv(taskQueue)), ...target.env, ...envOverrides };
    const exitCode = await runProvision(
      path,
      { wait: true, json: false, ...options },
      {
        io: { out: (text) => stdout.push(text), err: (text) => stderr.push(text), env },
        connect: connectTemporal,
        pollIntervalMs: 100,
        inputOverrides: { activityTiming: fastActivityTiming },
      },
    );
    return { exitCode, stdout: stdout.join('\n'), stderr: stderr.join('\n') };
  }

  it('starts provisioning, links the Web UI, shows each step and ends with the ids', async () => {
    const { exitCode, stdout, stderr } = await runCli(scenario);

    assert.equal(exitCode, exitCodes.ok, stderr);
    const workflowId = `provision:${scenario.sandbox}:consent`;
    const { uiUrl } = await getTemporal();
    assert.match(stdout, new RegExp(`^Started ${workflowId}$`, 'm'));
    assert.ok(
      stdout.includes(`Web UI: ${uiUrl}/namespaces/default/workflows/${encodeURIComponent(workflowId)}`),
      stdout,
    );
    assert.match(stdout, /\[1\/8\] Base connection: created baseConnectionId=\S+/);
    assert.match(stdout, /\[2\/8\] Explore preview: checked format=hierarchical/);
    assert.match(stdout, /\[8\/8\] Dataflow: created flowId=\S+/);
    assert.match(stdout, new RegExp(`Dataflow consent is provisioned in sandbox ${scenario.sandbox}`));

    const [flow] = (await resourcesOf(scenario.sandbox)).flows!;
    assert.match(stdout, new RegExp(`Dataflow\\s+${flow!.id}`));
    assert.deepEqual(await resourceCounts(scenario.sandbox), exactlyOneOfEach);
  });

  it('says a dataflow already exists, prints its ids and creates nothing', async () => {
    const { exitCode, stdout } = await runCli(scenario);
    assert.equal(exitCode, exitCodes.ok);
    assert.match(stdout, new RegExp(`Dataflow consent already exists in sandbox ${scenario.sandbox}`));
    const [flow] = (await resourcesOf(scenario.sandbox)).flows!;
    assert.match(stdout, new RegExp(`Dataflow\\s+${flow!.id}`));
    assert.deepEqual(await resourceCounts(scenario.sandbox), exactlyOneOfEach);

    const json = await runCli(scenario, { json: true });
    const report = JSON.parse(json.stdout) as {
      ok: boolean;
      status: string;
      ids: { flowId: string };
      created?: unknown;
      alreadyExisted?: unknown;
    };
    // The shape of every provision result (README): this run created nothing, so it lists nothing as created.
    assert.equal(report.status, 'already-existed');
    assert.equal(report.ids.flowId, flow!.id);
    assert.equal(report.created, undefined);
    assert.equal(report.alreadyExisted, undefined);
  });

  it('provisions again when the monitor was terminated: reuses every resource and starts a new monitor', async () => {
    const { client } = await getTemporal();
    const monitor = client.workflow.getHandle(monitorWorkflowId(scenario.sandbox, scenario.name));
    const deadRun = (await monitor.describe()).runId;
    await monitor.terminate('test: the monitor died');
    const before = await resourcesOf(scenario.sandbox);

    const { exitCode, stdout, stderr } = await runCli(scenario);

    assert.equal(exitCode, exitCodes.ok, stderr);
    assert.match(stdout, new RegExp(`^Started ${provisionWorkflowId(scenario.sandbox, scenario.name)}$`, 'm'));
    assert.match(stdout, /\[8\/8\] Dataflow: already there/);
    assert.match(
      stdout,
      new RegExp(`Dataflow consent already exists in sandbox ${scenario.sandbox}; nothing was created`),
    );
    const after = await resourcesOf(scenario.sandbox);
    for (const kind of Object.keys(exactlyOneOfEach)) {
      assert.deepEqual(
        after[kind]!.map((resource) => resource.id),
        before[kind]!.map((resource) => resource.id),
        `${kind} reused`,
      );
    }
    const newMonitor = await client.workflow.getHandle(monitorWorkflowId(scenario.sandbox, scenario.name)).describe();
    assert.equal(newMonitor.status.name, 'RUNNING');
    assert.notEqual(newMonitor.runId, deadRun);
  });

  it('keeps another dataflow’s schema and dataset on rollback, saying whose, and labels only AEP’s words as AEP’s', async () => {
    // Another dataflow of the same sandbox, on consent's schema title and dataset name; its token sealed to a key
    // no worker holds, so it fails at the base connection, after the schema branch found consent's schema.
    const sharing = { ...scenario, name: 'consent-sharing', spec: { ...scenario.spec, name: 'consent-sharing' } };
    const strangerKey = encodePublicKey(generateSecretsKeyPair().publicKey);

    const failed = await runCli(sharing, {}, { DATAFLOW_SECRETS_PUBLIC_KEY: strangerKey });

    assert.equal(failed.exitCode, exitCodes.failed, failed.stdout + failed.stderr);
    const owner = `belongs to ${scenario.sandbox}/consent`;
    assert.match(failed.stdout, new RegExp(`^ +\\[4/8\\] Target schema: kept \\(${owner}\\) `, 'm'));
    assert.doesNotMatch(failed.stdout, /Target schema: rolled back|Dataset: rolled back/);
    assert.match(failed.stderr, /^ {2}cause {8}cannot open the sealed secret: /m);
    assert.doesNotMatch(failed.stderr, /AEP (message|code)/);
    assert.match(failed.stderr, new RegExp(`^Kept: target schema \\S+ \\(${owner}\\)`, 'm'));
    assert.deepEqual(await resourceCounts(scenario.sandbox), exactlyOneOfEach, 'consent’s resources are all there');

    // With the worker's key it builds on them, and says it reused them rather than only "nothing to change".
    const built = await runCli(sharing);

    assert.equal(built.exitCode, exitCodes.ok, built.stderr);
    const [schema] = (await resourcesOf(scenario.sandbox)).schemas!;
    assert.match(
      built.stdout,
      new RegExp(
        `^Reused what was already there: target schema ${escaped(String(schema!.$id))}; dataset \\S+\\. Nothing else to change`,
        'm',
      ),
    );
  });

  it('exits 3 (unavailable) when Temporal goes away while it follows provisioning', async function () {
    this.timeout(120_000);
    const stranded = { ...(await newScenario()), taskQueue: uniqueName('no-worker') };
    const temporal = await getTemporal();
    const proxy = await startTcpProxy(temporal.address);
    const workflowId = provisionWorkflowId(stranded.sandbox, stranded.name);
    try {
      // No worker polls this queue, so the command is still following when the connection goes.
      const running = runCli(stranded, {}, { TEMPORAL_ADDRESS: proxy.address, TASK_QUEUE: stranded.taskQueue });
      await waitUntil(() =>
        temporal.client.workflow
          .getHandle(workflowId)
          .describe()
          .then(
            () => true,
            () => false,
          ),
      );
      await proxy.cut();

      const { exitCode, stderr } = await running;

      assert.equal(exitCode, exitCodes.unavailable, stderr);
      assert.match(stderr, new RegExp(`^Lost Temporal while following ${workflowId}: `, 'm'));
      assert.match(stderr, /run this command again to follow it/);
    } finally {
      await proxy.cut();
      await temporal.client.workflow
        .getHandle(workflowId)
        .terminate('test over')
        .catch(() => undefined);
    }
  });

  it('exits non-zero naming the failing step, HTTP status, AEP code and message', async () => {
    const failing = { ...(await newScenario()), taskQueue };
    await (
      await simulatorAdmin()
    ).addFault({ method: 'POST', path: '/data/foundation/flowservice/flows(\\?|$)', status: 400, times: 1 });

    const { exitCode, stdout, stderr } = await runCli(failing);

    assert.equal(exitCode, exitCodes.failed);
    // Every step change is printed once, in the order it happened: built, failed, then rolled back.
    const stepLines = stdout.split('\n').filter((line) => /^\s+\[\d\/8\]/.test(line));
    const position = (pattern: RegExp) => stepLines.findIndex((line) => pattern.test(line));
    assert.ok(position(/\[1\/8\] Base connection: created/) >= 0, stdout);
    assert.ok(position(/\[1\/8\] Base connection: created/) < position(/\[8\/8\] Dataflow: FAILED/), stdout);
    assert.ok(position(/\[8\/8\] Dataflow: FAILED/) < position(/\[7\/8\] Mapping set: rolled back/), stdout);
    assert.ok(
      position(/\[7\/8\] Mapping set: rolled back/) < position(/\[1\/8\] Base connection: rolled back/),
      stdout,
    );
    assert.match(stderr, /^Provisioning failed at step 8 of 8 \(Dataflow\): HTTP 400 FLOW-\d+-400: /m);
    assert.match(stderr, /HTTP status\s+400/);
    assert.match(stderr, /AEP code\s+FLOW-\d+-400/);
    assert.match(stderr, /AEP message\s+\S+/);
    assert.match(stderr, /Rolled back: .*base connection/);
    assert.deepEqual(Object.values(await resourceCounts(failing.sandbox)), [0, 0, 0, 0, 0, 0, 0, 0]);
  });

  it('returns at once with --no-wait, printing the workflow id and link', async () => {
    const later = { ...(await newScenario()), taskQueue };
    const { exitCode, stdout } = await runCli(later, { wait: false, json: true });
    assert.equal(exitCode, exitCodes.ok);
    const report = JSON.parse(stdout) as { status: string; workflowId: string; uiUrl: string };
    assert.equal(report.status, 'started');
    assert.equal(report.workflowId, `provision:${later.sandbox}:consent`);
    // Let it finish so nothing of this test is still running when the next one starts.
    const { client } = await getTemporal();
    await client.workflow.getHandle(report.workflowId).result();
  });
});

/** A TCP relay to Temporal that the test can cut, as a network drop or a server crash would. */
async function startTcpProxy(target: string): Promise<{ address: string; cut(): Promise<void> }> {
  const [host, port] = [target.slice(0, target.lastIndexOf(':')), Number(target.slice(target.lastIndexOf(':') + 1))];
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = connect(port, host);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => socket.destroy());
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port: proxyPort } = server.address() as { port: number };
  let closed: Promise<void> | undefined;
  return {
    address: `127.0.0.1:${proxyPort}`,
    cut() {
      closed ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      });
      return closed;
    },
  };
}

function escaped(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

async function waitUntil(condition: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
