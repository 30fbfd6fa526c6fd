/**
 * Records the golden histories (run by `npm run record-histories`, not by `npm test`): real runs of every
 * workflow on the test Temporal server and simulator, saved under test/histories/<label>/ (label: the package
 * version and git commit, or HISTORY_LABEL). Each scenario drives one workflow through the paths a release must
 * keep replaying: provisioning that succeeds, rolls back and is cancelled; a monitor through every message type,
 * alerts, reconciles and continue-as-new; token warnings and expiry; automatic rotation; the run feed; a spec
 * applied and drift noticed; a spec changing the OneTrust client credentials and base URL; runs pushed by I/O
 * Events; the journal reader; a teardown that fails past its retry window, then finishes; a re-seal that fails because
 * the worker lost the key; a plan.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import { createAepClient } from '../../../src/aep';
import { applySpecRequest } from '../../../src/cli/apply-spec';
import { runPlan } from '../../../src/cli/plan-command';
import { connectTemporal } from '../../../src/temporal/temporal-client';
import { startEventsJournal } from '../../../src/events/events-journal-start';
import { startEventsReceiver } from '../../../src/events/events-receiver';
import { temporalHandOff } from '../../../src/events/temporal-hand-off';
import { createKeyringSecretBox, generateSecretsKeyPair } from '../../../src/secrets';
import { eventsJournalStatusQuery } from '../../../src/contracts/events-journal-messages';
import {
  applySpecUpdate,
  pauseSignal,
  pauseUpdate,
  refreshUpdate,
  resumeSignal,
  resumeUpdate,
  rotateTokenSignal,
  rotateTokenUpdate,
  teardownSignal,
  teardownUpdate,
  updateDataflowSignal,
  updateDataflowUpdate,
} from '../../../src/contracts/monitor-messages';
import { progressQuery } from '../../../src/contracts/provisioning-messages';
import { runFeedWorkflowId } from '../../../src/contracts/workflow-ids';
import { randomBytes } from 'node:crypto';
import { getTemporal } from '../../harness/temporal';
import { getSimulator } from '../../harness/simulator';
import { simulatorAepSettings, startTestWorker, testSecretBox, type TestWorker } from '../../harness/test-worker';
import { capturedIo, monitoredDataflow, waitFor, type MonitoredDataflow } from '../../monitor/monitor-fixtures';
import {
  mintOneTrustToken,
  newScenario,
  provision,
  simulatorAdmin,
  startProvisioning,
  uniqueName,
  workflowInput,
} from '../../provisioning/provisioning-fixtures';
import { sandboxFleet, type SandboxFleet } from '../../run-feed/sandbox-fleet';
import { saveRecordedHistory } from '../history-files';

const projectRoot = join(__dirname, '..', '..', '..');
const version = (JSON.parse(readFileSync(join(projectRoot, 'package.json'), 'utf8')) as { version: string }).version;
const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: projectRoot, encoding: 'utf8' }).trim();
const label = process.env.HISTORY_LABEL?.trim() || `${version}-${commit}`;

/** Saves every generation (continue-as-new) of a workflow id, oldest first. */
async function saveAll(scenario: string, fileStem: string, workflowId: string): Promise<void> {
  const { client } = await getTemporal();
  const executions: Array<{ runId: string; startTime: Date; type: string }> = [];
  for await (const execution of client.workflow.list({ query: `WorkflowId = '${workflowId}'` })) {
    executions.push({ runId: execution.runId, startTime: execution.startTime, type: execution.type });
  }
  executions.sort((a, b) => a.startTime.getTime() - b.startTime.getTime());
  for (const [generation, execution] of executions.entries()) {
    const history = await client.workflow.getHandle(workflowId, execution.runId).fetchHistory();
    saveRecordedHistory(label, `${fileStem}-${generation}`, {
      scenario,
      workflowType: execution.type,
      workflowId,
      generation,
      recordedWith: { version, commit, at: new Date().toISOString() },
      history,
    });
  }
}

async function ended(handle: WorkflowHandle): Promise<void> {
  await waitFor('the workflow to close', async () => (await handle.describe()).status.name !== 'RUNNING', 60_000);
}

describe(`recording golden histories into test/histories/${label}/`, function () {
  this.timeout(180_000);
  let worker: TestWorker | undefined;
  let fleet: SandboxFleet | undefined;
  let dataflow: MonitoredDataflow | undefined;

  afterEach(async () => {
    await fleet?.dispose();
    fleet = undefined;
    await dataflow?.dispose();
    dataflow = undefined;
    await worker?.stop();
    worker = undefined;
    await (await simulatorAdmin()).clearFaults();
  });

  it('provisioning that succeeds, rolls back, and is cancelled', async () => {
    const taskQueue = uniqueName('record');
    worker = await startTestWorker({ taskQueue });
    const succeeded = { ...(await newScenario()), taskQueue };
    await provision(succeeded, workflowInput(succeeded, { startMonitor: false }));
    await saveAll('provisioning that succeeds', 'provisioning-succeeded', `provision:${succeeded.sandbox}:consent`);

    const monitored = { ...(await newScenario()), taskQueue };
    await provision(monitored);
    await saveAll(
      'provisioning that succeeds, its monitor started beside the dataflow’s create',
      'provisioning-succeeded-with-monitor',
      `provision:${monitored.sandbox}:consent`,
    );
    await saveAll(
      'a monitor started beside its dataflow’s create and told the flow by the create’s activity',
      'monitor-told-its-flow',
      `dataflow:${monitored.sandbox}:consent`,
    );

    const admin = await simulatorAdmin();
    const rolledBack = { ...(await newScenario()), taskQueue };
    await admin.addFault({ method: 'POST', path: '/data/foundation/flowservice/flows(\\?|$)', status: 400, times: 1 });
    await (await startProvisioning(rolledBack)).result().catch(() => undefined);
    await saveAll(
      'provisioning that fails at its last step and rolls back',
      'provisioning-rolled-back',
      `provision:${rolledBack.sandbox}:consent`,
    );
    const client = (await getTemporal()).client;
    await ended(client.workflow.getHandle(`dataflow:${rolledBack.sandbox}:consent`));
    await saveAll(
      'a monitor started beside its dataflow’s create, stood down by the rollback',
      'monitor-stood-down',
      `dataflow:${rolledBack.sandbox}:consent`,
    );

    const cancelled = { ...(await newScenario()), taskQueue };
    await admin.addFault({
      method: 'POST',
      path: '/data/foundation/catalog/dataSets(\\?|$)',
      delayMs: 3_000,
      times: 1,
    });
    const handle = await startProvisioning(cancelled);
    await waitFor('the dataset step to run', async () =>
      (await handle.query(progressQuery)).steps.some((step) => step.key === 'dataset' && step.state === 'running'),
    );
    await handle.cancel();
    await handle.result().catch(() => undefined);
    await saveAll('provisioning cancelled while AEP creates its dataset', 'provisioning-cancelled', handle.workflowId);
  });

  it('a monitor through every message type, alerts, reconciles and continue-as-new, with its run feed', async () => {
    const taskQueue = uniqueName('record');
    worker = await startTestWorker({ taskQueue });
    fleet = await sandboxFleet({
      taskQueue,
      dataflows: 1,
      runFeedInput: { intervalMs: 1_000, continueAsNewAfterEvents: 60 },
      monitorInput: { continueAsNewAfterEvents: 80, reconcileIntervalMs: 3_000 },
    });
    const member = fleet.members[0]!;
    const { handle } = member;
    await waitFor('runs handed over', async () => (await member.status()).counts.runsLearned >= 3);
    await fleet.admin.failRuns(fleet.sandbox, 1);
    await waitFor('a failure streak', async () => (await member.status()).consecutiveFailures >= 2);
    await fleet.admin.failRuns(fleet.sandbox, 0);
    await waitFor('recovery', async () => (await member.status()).consecutiveFailures === 0, 30_000);
    await waitFor('a reconcile', async () => (await member.status()).counts.reconciles >= 1);

    await handle.executeUpdate(refreshUpdate);
    await handle.executeUpdate(updateDataflowUpdate, { args: [{ description: 'changed by an update' }] });
    await handle.signal(updateDataflowSignal, { description: 'changed by a signal' });
    await handle.executeUpdate(pauseUpdate);
    await handle.signal(resumeSignal);
    await handle.signal(pauseSignal);
    await handle.executeUpdate(resumeUpdate);
    const sealed = testSecretBox().seal(await mintOneTrustToken());
    await handle.executeUpdate(rotateTokenUpdate, { args: [{ token: sealed }] });
    await handle.signal(rotateTokenSignal, { token: testSecretBox().seal(await mintOneTrustToken()) });
    await waitFor(
      'work done and a continue-as-new',
      async () => {
        const status = await member.status();
        return status.pendingWork.length === 0 && status.continuedAsNew >= 1;
      },
      90_000,
    );
    await waitFor('the feed to continue as new', async () => (await fleet!.feed()).continuedAsNew >= 1, 90_000);
    await handle.executeUpdate(teardownUpdate, { args: [{}] });
    await ended(handle);

    await saveAll('a monitor through every message type', 'monitor-every-message', handle.workflowId);
    await saveAll('the run feed of that monitor', 'run-feed', runFeedWorkflowId(fleet.sandbox));
  });

  it('a monitor warning of token expiry, then reporting it expired', async () => {
    dataflow = await monitoredDataflow({ tokenExpiresInSeconds: 16, monitor: { tokenWarnings: ['10s', '5s'] } });
    await waitFor('the expiry alert', () => dataflow!.alerts.ofKind('token-expired')[0], 30_000);
    await dataflow.handle.signal(teardownSignal, { keepData: true });
    await ended(dataflow.handle);
    await saveAll(
      'a monitor warning of token expiry, then reporting it expired',
      'monitor-token-expiry',
      dataflow.handle.workflowId,
    );
  });

  it('a monitor applying a spec and noticing drift, its run feed handed pushed runs, the journal reader', async () => {
    dataflow = await monitoredDataflow({ runFeed: { intervalMs: 2_000 } });
    const { handle, admin } = dataflow;
    const inAep = createAepClient(await simulatorAepSettings());
    try {
      await inAep.forSandbox(dataflow.sandbox).flowService.flowAction(dataflow.provisioned.ids.flowId, 'disable');
    } finally {
      await inAep.close();
    }
    await handle.executeUpdate(refreshUpdate);
    await dataflow.waitForStatus('drift', (status) => status.state === 'drifted');
    const input = workflowInput(dataflow.scenario);
    const changed = { ...input, schedule: { ...input.schedule, interval: 30 } };
    await handle.executeUpdate(applySpecUpdate, { args: [applySpecRequest(changed, true)] });
    await dataflow.waitForStatus('drift resolved', (status) => status.state === 'healthy');

    // Push: the receiver in front of Temporal, and a journal reader for a registration without a webhook.
    const [simulator, temporal] = await Promise.all([getSimulator(), getTemporal()]);
    const receiver = await startEventsReceiver({
      port: 0,
      keyHost: simulator.url,
      clientId: simulator.context.settings.clientId,
      orgId: simulator.context.settings.orgId,
      handOff: temporalHandOff({
        client: temporal.client,
        runFeed: { taskQueue: dataflow.scenario.taskQueue },
        logger: { info: () => undefined, warn: () => undefined, error: () => undefined },
      }),
    });
    try {
      await admin.registerWebhook({ url: `${receiver.url}/events`, sandboxName: dataflow.sandbox });
      const journal = await admin.registerWebhook({ sandboxName: dataflow.sandbox });
      const journalWorkflowId = await startEventsJournal(temporal.client, {
        journalUrl: await admin.journalUrl(journal.id),
        taskQueue: dataflow.scenario.taskQueue,
        longestEmptyWaitMs: 200,
      });
      const run = await admin.startRun(dataflow.provisioned.ids.flowId);
      await dataflow.waitForStatus('the pushed run', (status) => status.lastRuns.some((seen) => seen.id === run.id));
      const reader = temporal.client.workflow.getHandle(journalWorkflowId);
      await waitFor('the journal read', async () => (await reader.query(eventsJournalStatusQuery)).counts.reads >= 3);
      await reader.terminate('recorded');
      await saveAll('the I/O Events journal reader', 'events-journal', journalWorkflowId);
    } finally {
      await receiver.close();
    }
    await handle.executeUpdate(teardownUpdate, { args: [{}] });
    await ended(handle);
    await saveAll('a monitor applying a spec and noticing drift', 'monitor-apply-and-drift', handle.workflowId);
    await saveAll('a run feed handed pushed runs', 'run-feed-pushed', runFeedWorkflowId(dataflow.sandbox));
  });

  it('a monitor applying specs that change its OneTrust client credentials and base URL', async () => {
    const admin = await simulatorAdmin();
    const clientId = uniqueName('record-client');
    const secret = () => randomBytes(16).toString('hex');
    const first = secret();
    await admin.registerOneTrustClient(clientId, first);
    dataflow = await monitoredDataflow({ clientCredentials: { clientId, clientSecret: first } });
    const { handle, scenario } = dataflow;
    const onetrust = scenario.spec.onetrust as Record<string, unknown>;
    const baseUrl = String(onetrust.baseUrl);
    const credentials = { clientId, clientSecret: { env: 'ONETRUST_CLIENT_SECRET' } };
    /** The spec with these OneTrust settings, applied as `provision` applies it. */
    const apply = (settings: Record<string, unknown>, clientSecret: string) =>
      handle.executeUpdate(applySpecUpdate, {
        args: [
          applySpecRequest(
            workflowInput({
              ...scenario,
              spec: { ...scenario.spec, onetrust: { accessToken: onetrust.accessToken, ...settings } },
              env: { ...scenario.env, ONETRUST_CLIENT_SECRET: clientSecret },
            }),
            false,
          ),
        ],
      });

    const regenerated = secret();
    await admin.registerOneTrustClient(clientId, regenerated);
    const elsewhere = baseUrl.replace('127.0.0.1', 'localhost'); // the same simulator under another name
    const steps: Array<[Record<string, unknown>, string, RegExp]> = [
      [{ baseUrl, clientCredentials: credentials }, secret(), /kept: the OneTrust client credentials in use/],
      [{ baseUrl, clientCredentials: credentials }, regenerated, /changed: OneTrust client secret replaced/],
      [{ baseUrl }, regenerated, /changed: OneTrust client credentials removed/],
      [{ baseUrl, clientCredentials: credentials }, regenerated, /changed: OneTrust client credentials set/],
      [{ baseUrl: `${baseUrl}/moved`, clientCredentials: credentials }, regenerated, /kept: the OneTrust client/],
      [{ baseUrl: elsewhere, clientCredentials: credentials }, regenerated, /changed: OneTrust base URL/],
      [{ baseUrl: elsewhere, clientCredentials: credentials }, regenerated, /^changed: +kept: *$/],
    ];
    for (const [settings, clientSecret, expected] of steps) {
      const { details } = await apply(settings, clientSecret);
      const said = `changed: ${String(details.changed ?? '')} kept: ${String(details.kept ?? '')}`;
      if (!expected.test(said)) throw new Error(`applying ${JSON.stringify(settings)}: ${said}`);
    }
    await handle.executeUpdate(teardownUpdate, { args: [{}] });
    await ended(handle);
    await saveAll(
      'a monitor applying specs that change its OneTrust client credentials and base URL',
      'monitor-apply-onetrust-endpoint',
      handle.workflowId,
    );
  });

  it('a monitor rotating its token by itself with client credentials', async () => {
    dataflow = await monitoredDataflow({
      tokenExpiresInSeconds: 16,
      clientCredentials: true,
      monitor: { tokenWarnings: ['10s', '5s'] },
    });
    await dataflow.waitForStatus('an automatic rotation', (status) => status.token.lastRotatedAt !== undefined, 30_000);
    await dataflow.handle.executeUpdate(teardownUpdate, { args: [{}] });
    await ended(dataflow.handle);
    await saveAll('a monitor rotating its token by itself', 'monitor-automatic-rotation', dataflow.handle.workflowId);
  });

  it('a plan, then a monitor whose teardown fails past its retry window and a second teardown that finishes', async () => {
    dataflow = await monitoredDataflow({
      monitorInput: {
        teardownTiming: {
          initialInterval: '100ms',
          maximumInterval: '500ms',
          retryTimeout: '3s',
          startToCloseTimeout: '5s',
        },
      },
    });
    const { handle, admin, scenario, sandbox } = dataflow;

    // `plan` as an operator runs it: the CLI starts planDataflow on the worker.
    const specFile = join(mkdtempSync(join(tmpdir(), 'record-plan-')), 'spec.json');
    writeFileSync(specFile, JSON.stringify(scenario.spec));
    const io = await capturedIo(scenario.taskQueue);
    const planned = await runPlan(
      [specFile],
      { json: false },
      {
        io: { ...io, env: { ...io.env, ...scenario.env } },
        connect: connectTemporal,
      },
    );
    if (planned !== 0) throw new Error(`plan exited ${planned}: ${io.stdout()}${io.stderr()}`);
    const { client } = await getTemporal();
    const planWorkflowId = await waitFor('the plan in the visibility store', async () => {
      for await (const execution of client.workflow.list({ query: `WorkflowType = 'planDataflow'` })) {
        if (execution.workflowId.startsWith(`plan:${sandbox}:`)) return execution.workflowId;
      }
      return undefined;
    });
    await saveAll('a plan of a provisioned dataflow that nothing would change', 'plan', planWorkflowId);

    const datasetId = dataflow.provisioned.ids.datasetId;
    await admin.addFault({ method: 'DELETE', path: `/dataSets/${datasetId}(\\?|$)`, status: 503, delayMs: 1_000 });
    const failed = await handle.executeUpdate(teardownUpdate, { args: [{}] }).then(
      () => undefined,
      (error: unknown) => error,
    );
    if (failed === undefined) throw new Error('the teardown finished although its dataset could not be deleted');
    await dataflow.waitForStatus('teardown-failed', (status) => status.state === 'teardown-failed');
    await admin.clearFaults();
    await handle.executeUpdate(teardownUpdate, { args: [{}] });
    await ended(handle);
    await saveAll(
      'a monitor whose teardown fails past its retry window, then a second teardown that finishes',
      'monitor-teardown-failed',
      handle.workflowId,
    );
  });

  it('a monitor that cannot re-seal its secrets at continue-as-new because its worker lost the key', async () => {
    dataflow = await monitoredDataflow({ monitorInput: { continueAsNewAfterEvents: 60 } });
    const { handle, scenario } = dataflow;
    // The secrets are sealed with the legacy key; the worker that takes over holds only a keyring key.
    await dataflow.worker.stop();
    worker = await startTestWorker({
      taskQueue: scenario.taskQueue,
      secrets: createKeyringSecretBox({ keyring: [generateSecretsKeyPair()] }),
    });
    await dataflow.waitForStatus(
      'the re-seal trouble alerted',
      (status) => status.resealTrouble !== undefined && status.continuedAsNew >= 1,
      90_000,
    );
    await handle.executeUpdate(teardownUpdate, { args: [{}] });
    await ended(handle);
    await saveAll(
      'a monitor that cannot re-seal its secrets because its worker lost the key',
      'monitor-reseal-failed',
      handle.workflowId,
    );
  });
});
