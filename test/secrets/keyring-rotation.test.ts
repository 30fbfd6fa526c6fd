/**
 * Rotating from one keyring key to the next, end to end, with the real worker program: a dataflow's OneTrust token,
 * client secret and alert webhook URL are sealed to key A; `npm run secrets -- rotate-key` adds key B; after a
 * worker restart the monitor re-seals all three to B at its next continue-as-new; A leaves the keyring, the worker
 * restarts again, and everything still opens (rotate-token, a minted token, alerts, runs). And when A goes too
 * early: the monitor keeps running, and one alert and a status line name the key and the fix.
 */
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultPayloadConverter } from '@temporalio/common';
import type { WorkflowHandle } from '@temporalio/client';
import { toProvisionInput } from '../../src/cli/provision-input';
import { resolveDataflowSpec } from '../../src/config';
import { loadSecretSealer, splitSealedSecret, type SealedSecret } from '../../src/secrets';
import { runKeyringCommand } from '../../src/secrets/keyring-command';
import { readKeyringFile, replaceKeyringFile } from '../../src/secrets/keyring-file';
import { simulatorDefaults } from '../../src/simulator';
import { dataflowMonitor } from '../../src/workflows/dataflow-monitor';
import { statusQuery, type DataflowMonitorInput } from '../../src/contracts/monitor-messages';
import type { MonitorStatus } from '../../src/contracts/monitor-status';
import { monitorWorkflowId, runFeedWorkflowId } from '../../src/contracts/workflow-ids';
import { getSimulator } from '../harness/simulator';
import { getTemporal } from '../harness/temporal';
import { childProcessEnv } from '../harness/test-worker';
import { startAlertReceiver, waitFor, type AlertReceiver } from '../monitor/monitor-fixtures';
import {
  fastActivityTiming,
  mintOneTrustToken,
  newScenario,
  provision,
  type Scenario,
} from '../provisioning/provisioning-fixtures';
import { spawnTsx, workflowBundleFile, type SpawnedProcess } from '../provisioning/spawned-process';

/** `npm run secrets -- <verb> --keyring <file> --json`, as an operator runs it; its JSON answer. */
async function secretsCommand(verb: string, keyringFile: string, ...more: string[]): Promise<{ keyId: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const io = { out: (text: string) => out.push(text), err: (text: string) => err.push(text), env: {} };
  const exitCode = await runKeyringCommand([verb, '--keyring', keyringFile, '--json', ...more], io);
  assert.equal(exitCode, 0, [...out, ...err].join('\n'));
  return JSON.parse(out.join('\n')) as { keyId: string };
}

/** Takes a key out of the keyring file (what an operator does by hand once nothing is sealed with it). */
function removeKey(keyringFile: string, keyId: string): void {
  replaceKeyringFile(
    keyringFile,
    readKeyringFile(keyringFile).filter((key) => key.keyId !== keyId),
  );
}

function keyIdOf(secret: SealedSecret | string | undefined): string | undefined {
  return typeof secret === 'object' ? splitSealedSecret(secret)?.keyId : undefined;
}

interface CarriedKeys {
  token?: string;
  clientSecret?: string;
  webhookUrl?: string;
}

/** The keys the newest monitor run was started with (its input: the state carried over by continue-as-new). */
async function carriedKeys(handle: WorkflowHandle<typeof dataflowMonitor>): Promise<CarriedKeys> {
  const history = await handle.fetchHistory();
  const started = history.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0];
  const input = defaultPayloadConverter.fromPayload<DataflowMonitorInput>(started!);
  const dataflow = input.carriedState?.dataflow ?? input.dataflow;
  return {
    token: keyIdOf(dataflow.oneTrust.token),
    clientSecret: keyIdOf(dataflow.oneTrust.clientCredentials?.clientSecret),
    webhookUrl: keyIdOf(dataflow.alerts?.webhookUrl),
  };
}

const allSealedWith = (keyId: string): CarriedKeys => ({ token: keyId, clientSecret: keyId, webhookUrl: keyId });

/** One dataflow, its monitor, the webhook, and the worker processes it has been served by. */
class RotationScenario {
  readonly workers: SpawnedProcess[] = [];
  handle!: WorkflowHandle<typeof dataflowMonitor>;
  scenario!: Scenario;
  alerts!: AlertReceiver;
  env!: NodeJS.ProcessEnv;

  constructor(readonly keyringFile: string) {}

  get target(): string {
    return `${this.scenario.sandbox}/${this.scenario.name}`;
  }

  get worker(): SpawnedProcess {
    return this.workers[this.workers.length - 1]!;
  }

  /** Provisions a dataflow whose secrets the CLI sealed with the keyring's newest public key, and monitors it. */
  async provision(): Promise<void> {
    const simulator = await getSimulator();
    this.alerts = await startAlertReceiver();
    const client = simulatorDefaults.oneTrustClient;
    this.scenario = await newScenario({
      onetrust: {
        baseUrl: simulator.url,
        accessToken: { env: 'ONETRUST_ACCESS_TOKEN' },
        clientCredentials: { clientId: client.clientId, clientSecret: { env: 'ONETRUST_CLIENT_SECRET' } },
      },
      alerts: { webhookUrl: this.alerts.url },
    });
    const { DATAFLOW_SECRETS_KEY: _legacyKey, ...env } = await childProcessEnv(this.scenario.taskQueue);
    this.env = { ...env, WORKFLOW_BUNDLE_PATH: await workflowBundleFile(), LOG_LEVEL: 'INFO' };
    await this.restartWorker();

    const spec = resolveDataflowSpec(this.scenario.spec, {
      env: { ONETRUST_ACCESS_TOKEN: this.scenario.token, ONETRUST_CLIENT_SECRET: client.clientSecret },
    });
    const cli = loadSecretSealer({ DATAFLOW_SECRETS_KEYRING_FILE: this.keyringFile });
    const input = toProvisionInput(spec, cli, { activityTiming: fastActivityTiming, startMonitor: false });
    const provisioned = await provision(this.scenario, input);
    const { client: temporal } = await getTemporal();
    // Started here rather than by provisioning: a small event budget makes it continue as new every few seconds.
    this.handle = await temporal.workflow.start(dataflowMonitor, {
      workflowId: monitorWorkflowId(this.scenario.sandbox, this.scenario.name),
      taskQueue: this.scenario.taskQueue,
      args: [
        {
          dataflow: {
            sandbox: this.scenario.sandbox,
            name: this.scenario.name,
            ids: provisioned.ids,
            schedule: provisioned.schedule,
            oneTrust: input.oneTrust,
            ...(input.alerts ? { alerts: input.alerts } : {}),
          },
          continueAsNewAfterEvents: 40,
        },
      ],
    });
  }

  /** Stops the running worker (SIGTERM) and starts the worker program again: it reads the keyring at start. */
  async restartWorker(): Promise<void> {
    await this.workers[this.workers.length - 1]?.stop();
    const worker = spawnTsx('src/worker.ts', [], { ...this.env, DATAFLOW_SECRETS_KEYRING_FILE: this.keyringFile });
    this.workers.push(worker);
    await worker.waitForOutput(/worker started/, 60_000);
  }

  status(): Promise<MonitorStatus> {
    return this.handle.query(statusQuery);
  }

  waitForStatus(description: string, predicate: (status: MonitorStatus) => boolean, timeoutMs = 120_000) {
    return waitFor(
      description,
      async () => {
        const status = await this.status();
        return predicate(status) ? status : undefined;
      },
      timeoutMs,
    );
  }

  /** Waits until the newest monitor run carries its secrets sealed as `expected`. */
  async waitForCarriedKeys(expected: CarriedKeys): Promise<void> {
    let carried: CarriedKeys | undefined;
    try {
      await waitFor(
        `a monitor run carrying ${JSON.stringify(expected)}`,
        async () => {
          carried = await carriedKeys(this.handle);
          return JSON.stringify(carried) === JSON.stringify(expected) ? carried : undefined;
        },
        60_000,
      );
    } catch (error) {
      throw new Error(`${(error as Error).message}; the newest run carries ${JSON.stringify(carried)}`);
    }
  }

  /** The real CLI: `npm run client -- rotate-token <target> --token-file F`, sealing with the given public key. */
  async rotateToken(token: string, publicKeyFile: string): Promise<SpawnedProcess> {
    const tokenFile = join(mkdtempSync(join(tmpdir(), 'rotation-token-')), 'token');
    writeFileSync(tokenFile, token, { mode: 0o600 });
    const client = spawnTsx('src/client.ts', ['rotate-token', this.target, '--token-file', tokenFile], {
      ...this.env,
      DATAFLOW_SECRETS_PUBLIC_KEY_FILE: publicKeyFile,
    });
    await client.closed;
    return client;
  }

  /** Everything the worker processes printed. */
  workerOutput(): string {
    return this.workers.map((worker) => worker.output()).join('\n');
  }

  async dispose(): Promise<void> {
    const { client } = await getTemporal();
    if (this.scenario) {
      for (const workflowId of [this.handle?.workflowId, runFeedWorkflowId(this.scenario.sandbox)]) {
        if (!workflowId) continue;
        try {
          const running = client.workflow.getHandle(workflowId);
          if ((await running.describe()).status.name === 'RUNNING') await running.terminate('test finished');
        } catch {
          // Never started, or already gone.
        }
      }
    }
    for (const worker of this.workers) await worker.stop();
    await this.alerts?.close();
  }
}

describe('rotating the secrets keyring from one key to the next', function () {
  this.timeout(240_000);
  let rotation: RotationScenario | undefined;

  afterEach(async () => {
    await rotation?.dispose();
    rotation = undefined;
  });

  it('moves token, client secret and webhook URL from key A to key B; with A gone, everything still opens', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'keyring-rotation-'));
    const keyringFile = join(folder, 'keyring.json');
    const keyA = (await secretsCommand('create-key', keyringFile)).keyId;
    rotation = new RotationScenario(keyringFile);
    await rotation.provision();
    await rotation.waitForCarriedKeys(allSealedWith(keyA));
    const sealedWithA = await rotation.waitForStatus('a continue-as-new on key A', (s) => s.continuedAsNew >= 1);
    assert.equal(sealedWithA.resealTrouble, undefined);

    // The operator rotates: a new key, every worker restarted with the keyring, the CLI given the new public key.
    const keyB = (await secretsCommand('rotate-key', keyringFile)).keyId;
    assert.notEqual(keyB, keyA);
    const publicKeyB = join(folder, 'public.key');
    assert.equal((await secretsCommand('public-key', keyringFile, '--out', publicKeyB)).keyId, keyB);
    await rotation.restartWorker();
    assert.match(rotation.worker.output(), new RegExp(`secretsKeyringKeyIds.{0,4}${keyA},${keyB}`));
    await rotation.waitForCarriedKeys(allSealedWith(keyB));

    // Nothing is sealed with A any more: it leaves the keyring, and the worker restarts without it.
    removeKey(keyringFile, keyA);
    await rotation.restartWorker();
    assert.match(rotation.worker.output(), new RegExp(`secretsKeyringKeyIds.{0,4}${keyB}\\b`));
    const restarted = (await rotation.status()).continuedAsNew;
    const movedOn = await rotation.waitForStatus(
      'a continue-as-new on the keyring without A',
      (s) => s.continuedAsNew > restarted,
    );
    assert.equal(movedOn.resealTrouble, undefined);
    await rotation.waitForCarriedKeys(allSealedWith(keyB));

    // rotate-token from the CLI (sealed to B): a short-lived token, so the monitor soon mints the next one itself
    // with the client secret; both rotations are alerted through the webhook, whose URL the worker must open.
    const shortLived = await mintOneTrustToken(20);
    const rotated = await rotation.rotateToken(shortLived, publicKeyB);
    assert.equal(await rotated.closed, 0, rotated.output());
    assert.ok(!rotated.output().includes(shortLived), 'the token is in the CLI output');
    const minted = await rotation.waitForStatus('a token minted with the client secret', (s) =>
      s.recentActions.some((action) => action.kind === 'autoRotateToken' && action.ok),
    );
    assert.ok(Date.parse(minted.token.expiresAt) > Date.now() + 300 * 24 * 3600 * 1000, 'a year-long minted token');
    await waitFor('both rotations alerted through the webhook', () =>
      rotation!.alerts.ofKind('token-rotated').length >= 2 ? true : undefined,
    );
    const mintedAt = Date.parse(minted.token.lastRotatedAt!);
    const afterMint = await rotation.waitForStatus('a successful run started after the minted token went in', (s) =>
      s.lastRuns.some((run) => run.outcome === 'success' && Date.parse(run.startedAt ?? '') > mintedAt),
    );
    assert.equal(afterMint.state, 'healthy');
    assert.equal(rotation.alerts.ofKind('token-rotation-failed').length, 0);

    const output = rotation.workerOutput();
    for (const secret of [rotation.scenario.token, shortLived, simulatorDefaults.oneTrustClient.clientSecret]) {
      assert.ok(!output.includes(secret), 'a secret is in the worker output');
    }
  });

  it('when A leaves before the re-seal: the monitor runs on, one alert and a status line name A and the fix', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'keyring-rotation-'));
    const keyringFile = join(folder, 'keyring.json');
    const keyA = (await secretsCommand('create-key', keyringFile)).keyId;
    rotation = new RotationScenario(keyringFile);
    await rotation.provision();
    await rotation.waitForCarriedKeys(allSealedWith(keyA));

    // The mistake: B added and A removed in one go, before any monitor re-sealed.
    const keyB = (await secretsCommand('rotate-key', keyringFile)).keyId;
    const backup = join(folder, 'keyring-backup.json');
    copyFileSync(keyringFile, backup);
    removeKey(keyringFile, keyA);
    await rotation.restartWorker();
    const troubled = await rotation.waitForStatus(
      'the re-seal trouble in the status, and its alert',
      (s) => !!s.resealTrouble && s.lastAlert?.kind === 'secrets-reseal-failed',
    );
    const expected =
      `re-seal with the newest key: the OneTrust token is sealed with key ${keyA}, which this worker's keyring ` +
      `does not hold (it holds ${keyB}): put key ${keyA}'s private key back into every worker's keyring ` +
      `(DATAFLOW_SECRETS_KEYRING_FILE, from its backup) and restart the workers; the next continue-as-new ` +
      `re-seals it with ${keyB}, and only then can ${keyA} be removed`;
    assert.equal(troubled.resealTrouble?.problem, expected);
    assert.equal(troubled.lastAlert?.kind, 'secrets-reseal-failed');
    assert.equal(troubled.lastAlert?.message, `${rotation.target}: ${expected}`);
    // The webhook URL is sealed with A too: the alert cannot reach it, so the worker's log carries it.
    assert.equal(troubled.lastAlert?.delivery, 'failed');
    await rotation.worker.waitForOutput(
      new RegExp(
        `"dataflow alert: ${rotation.target}: re-seal with the newest key: the OneTrust token is sealed with key ${keyA}`,
      ),
      20_000,
    );

    // Not a crash loop, not an alert per generation: it keeps continuing as new, and said it once.
    const since = troubled.resealTrouble.since;
    const later = await rotation.waitForStatus(
      'two more continue-as-new with the trouble',
      (s) => s.continuedAsNew >= troubled.continuedAsNew + 2,
    );
    assert.equal(later.resealTrouble?.since, since, 'the same trouble, not a new one');
    assert.equal(later.state, 'healthy', 'runs go on (AEP holds the token)');
    const alertLines = rotation.worker.output().match(/dataflow alert: [^\n]*re-seal with the newest key/g) ?? [];
    assert.equal(alertLines.length, 1, alertLines.join('\n'));

    // The fix the message names: A back in the keyring from the backup, the worker restarted; the next re-seal
    // moves everything to B.
    replaceKeyringFile(keyringFile, readKeyringFile(backup));
    await rotation.restartWorker();
    await rotation.waitForCarriedKeys(allSealedWith(keyB));
    const fixed = await rotation.waitForStatus('the trouble cleared', (s) => s.resealTrouble === undefined);
    assert.equal(fixed.state, 'healthy');

    const output = rotation.workerOutput();
    for (const secret of [
      rotation.scenario.token,
      simulatorDefaults.oneTrustClient.clientSecret,
      rotation.alerts.url,
    ]) {
      assert.ok(!output.includes(secret), 'a secret is in the worker output');
    }
  });
});
