/**
 * `provision` converges the OneTrust base URL and client credentials the monitor mints tokens with: a regenerated
 * client secret is applied (and a refused one kept out, saying why), and the next token the monitor mints comes
 * from it; credentials added turn automatic rotation on, removed turn it off; a new base URL is applied. `plan`
 * shows each change first. No client secret reaches a history payload or the CLI's output. Real CLI entry points,
 * the shared Temporal dev server, and the simulator's OneTrust, which records which secret minted each token.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exitCodes } from '../../src/runtime/command-io';
import { planExitCodes, runPlan } from '../../src/cli/plan-command';
import { runProvision } from '../../src/cli/provision-command';
import { connectTemporal } from '../../src/temporal/temporal-client';
import { rotateTokenUpdate } from '../../src/contracts/monitor-messages';
import type { MonitorStatus } from '../../src/contracts/monitor-status';
import { provisionWorkflowId } from '../../src/contracts/workflow-ids';
import { decodedPayloads } from '../harness/history-payloads';
import { getSimulator } from '../harness/simulator';
import { getTemporal } from '../harness/temporal';
import { testSecretBox } from '../harness/test-worker';
import { fastActivityTiming, simulatorAdmin, uniqueName } from '../provisioning/provisioning-fixtures';
import { capturedIo, monitoredDataflow, waitFor, type MonitoredDataflow } from './monitor-fixtures';

const specDirectory = mkdtempSync(join(tmpdir(), 'onetrust-endpoint-specs-'));

interface CliRun {
  exitCode: number;
  stdout: string;
  stderr: string;
}

describe('provision converges the OneTrust base URL and client credentials', function () {
  let dataflow: MonitoredDataflow | undefined;
  /** Every client secret a test used, and everything the CLI printed: the secrets must appear in none of it. */
  let secrets: string[] = [];
  let printed: string[] = [];

  afterEach(async function () {
    await dataflow?.dispose();
    dataflow = undefined;
    secrets = [];
    printed = [];
  });

  function newSecret(label: string): string {
    const secret = `${label}-${randomBytes(16).toString('hex')}`;
    secrets.push(secret);
    return secret;
  }

  /** A OneTrust client of its own for this test, registered with the simulator. */
  async function registeredClient(): Promise<{ clientId: string; clientSecret: string }> {
    const clientId = uniqueName('onetrust-client');
    const clientSecret = newSecret('first-secret');
    await (await simulatorAdmin()).registerOneTrustClient(clientId, clientSecret);
    return { clientId, clientSecret };
  }

  /** The spec with its `onetrust` section changed; `clientCredentials: undefined` leaves them out. */
  function specWith(onetrust: Record<string, unknown>): Record<string, unknown> {
    const spec = dataflow!.scenario.spec;
    const merged = { ...(spec.onetrust as Record<string, unknown>), ...onetrust };
    for (const key of Object.keys(merged)) if (merged[key] === undefined) delete merged[key];
    return { ...spec, onetrust: merged };
  }

  function writeSpec(spec: Record<string, unknown>): string {
    const path = join(specDirectory, `${dataflow!.sandbox}-${randomBytes(4).toString('hex')}.json`);
    writeFileSync(path, JSON.stringify(spec));
    return path;
  }

  async function cliIo(env: NodeJS.ProcessEnv) {
    const io = await capturedIo(dataflow!.scenario.taskQueue);
    return { ...io, env: { ...io.env, ...dataflow!.scenario.env, ...env } };
  }

  async function provisionCli(spec: Record<string, unknown>, env: NodeJS.ProcessEnv = {}): Promise<CliRun> {
    const io = await cliIo(env);
    const exitCode = await runProvision(
      writeSpec(spec),
      { wait: true, json: false },
      {
        io,
        connect: connectTemporal,
        pollIntervalMs: 100,
        inputOverrides: { activityTiming: fastActivityTiming },
      },
    );
    printed.push(io.stdout(), io.stderr());
    return { exitCode, stdout: io.stdout(), stderr: io.stderr() };
  }

  async function planCli(spec: Record<string, unknown>, env: NodeJS.ProcessEnv = {}): Promise<CliRun> {
    const io = await cliIo(env);
    const exitCode = await runPlan([writeSpec(spec)], { json: false }, { io, connect: connectTemporal });
    printed.push(io.stdout(), io.stderr());
    return { exitCode, stdout: io.stdout(), stderr: io.stderr() };
  }

  /**
   * Puts a token with `seconds` to live on the dataflow (the rotate-token path), so a monitor with client
   * credentials has to mint its next one within seconds instead of months. Returns the token's expiry.
   */
  async function shortLivedTokenInUse(seconds: number): Promise<number> {
    const token = (await dataflow!.admin.mintOneTrustToken(seconds)).access_token;
    await dataflow!.handle.executeUpdate(rotateTokenUpdate, { args: [{ token: testSecretBox().seal(token) }] });
    return Date.parse((await dataflow!.status()).token.expiresAt);
  }

  function lastAutomaticRotation(status: MonitorStatus) {
    return status.pendingWork.length === 0 && status.recentActions[0]?.kind === 'autoRotateToken'
      ? status.recentActions[0]
      : undefined;
  }

  /** Which secret version of the client minted the token the base connection holds now. */
  async function secretVersionOfTokenInUse(clientId: string): Promise<number | undefined> {
    const admin = dataflow!.admin;
    const connections = (await admin.resources(dataflow!.sandbox)).connections as Array<{
      id: string;
      secretFingerprints?: Record<string, string>;
    }>;
    const connection = connections.find((entry) => entry.id === dataflow!.provisioned.ids.baseConnectionId);
    const inUse = connection?.secretFingerprints?.accessToken;
    const minted = (await admin.oneTrustClient(clientId)).tokens.find((token) => token.tokenFingerprint === inUse);
    return minted?.secretVersion;
  }

  /** Every history event payload of the dataflow's workflows and of its plans, decoded, as one text. */
  async function everyHistoryPayload(): Promise<string> {
    const { client } = await getTemporal();
    const { sandbox, name } = dataflow!;
    const texts: string[] = [];
    const ids = [provisionWorkflowId(sandbox, name), dataflow!.handle.workflowId];
    for await (const execution of client.workflow.list({ query: `WorkflowType = 'planDataflow'` })) {
      if (execution.workflowId.startsWith(`plan:${sandbox}:`)) ids.push(execution.workflowId);
    }
    assert.ok(ids.length > 2, 'the plans are in the histories searched');
    for (const workflowId of new Set(ids)) {
      for await (const execution of client.workflow.list({ query: `WorkflowId = '${workflowId}'` })) {
        const history = JSON.stringify(await client.workflow.getHandle(workflowId, execution.runId).fetchHistory());
        texts.push(history, decodedPayloads(history));
      }
    }
    return texts.join('\n');
  }

  async function assertNoSecretLeft(): Promise<void> {
    const histories = await everyHistoryPayload();
    assert.match(histories, /"sealed":"v[12]\./, 'the histories do carry sealed secrets');
    for (const secret of secrets) {
      assert.ok(!histories.includes(secret), 'a client secret is in a history payload');
      assert.ok(!printed.join('\n').includes(secret), 'a client secret was printed');
    }
  }

  it('applies a regenerated client secret (a refused one is kept out), and the next token is minted with it', async function () {
    this.timeout(120_000);
    const client = await registeredClient();
    dataflow = await monitoredDataflow({ clientCredentials: client });
    const admin = await simulatorAdmin();
    const { secretVersion } = await admin.registerOneTrustClient(client.clientId, newSecret('regenerated'));
    assert.equal(secretVersion, 2, 'OneTrust regenerated the secret: the first one is refused from now on');
    const regenerated = secrets[secrets.length - 1]!;

    const unchanged = await planCli(dataflow.scenario.spec);
    assert.equal(unchanged.exitCode, planExitCodes.nothingToDo, unchanged.stdout + unchanged.stderr);
    const planned = await planCli(dataflow.scenario.spec, { ONETRUST_CLIENT_SECRET: regenerated });
    assert.equal(planned.exitCode, planExitCodes.changes, planned.stdout + planned.stderr);
    assert.match(
      planned.stdout,
      new RegExp(`~ Monitor: OneTrust client secret replaced \\(client id ${client.clientId}\\)`),
    );

    const typo = await provisionCli(dataflow.scenario.spec, { ONETRUST_CLIENT_SECRET: newSecret('typo') });
    assert.equal(typo.exitCode, exitCodes.ok, typo.stdout + typo.stderr);
    assert.match(
      typo.stdout,
      new RegExp(
        `kept:\\n\\s+- the OneTrust client credentials in use \\(client id ${client.clientId} at .*\\): ` +
          "OneTrust did not mint a token with the spec's: check the OneTrust client credentials: HTTP 401 invalid_client",
      ),
    );

    const applied = await provisionCli(dataflow.scenario.spec, { ONETRUST_CLIENT_SECRET: regenerated });
    assert.equal(applied.exitCode, exitCodes.ok, applied.stdout + applied.stderr);
    assert.match(
      applied.stdout,
      new RegExp(
        `Applied the spec:\\n  changed:\\n    - OneTrust client secret replaced \\(client id ${client.clientId}\\)`,
      ),
    );
    const again = await provisionCli(dataflow.scenario.spec, { ONETRUST_CLIENT_SECRET: regenerated });
    assert.match(
      again.stdout,
      /Nothing to change: the dataflow matches the spec\./,
      'the sealed secrets compare equal',
    );

    const expiresAt = await shortLivedTokenInUse(12);
    const rotation = lastAutomaticRotation(
      await dataflow.waitForStatus('the monitor minting its next token', (status) => !!lastAutomaticRotation(status)),
    );
    assert.equal(rotation?.ok, true, rotation?.summary);
    assert.ok(Date.parse((await dataflow.status()).token.lastRotatedAt!) < expiresAt, 'minted before the expiry');
    assert.equal(await secretVersionOfTokenInUse(client.clientId), 2, 'the token in use came from the new secret');
    assert.equal(dataflow.alerts.ofKind('token-rotation-failed').length, 0);

    await assertNoSecretLeft();
  });

  it('turns automatic rotation on when credentials are added, and off when they are removed', async function () {
    this.timeout(120_000);
    dataflow = await monitoredDataflow({ monitor: { tokenWarnings: ['4s'] } });
    const client = await registeredClient();
    const withCredentials = specWith({
      clientCredentials: { clientId: client.clientId, clientSecret: { env: 'ONETRUST_CLIENT_SECRET' } },
    });
    const env = { ONETRUST_CLIENT_SECRET: client.clientSecret };
    assert.equal((await dataflow.status()).token.automaticRotation, false);

    const planAdd = await planCli(withCredentials, env);
    assert.equal(planAdd.exitCode, planExitCodes.changes, planAdd.stdout + planAdd.stderr);
    assert.match(
      planAdd.stdout,
      new RegExp(
        `~ Monitor: OneTrust client credentials set \\(client id ${client.clientId}\\): automatic token rotation on`,
      ),
    );
    const added = await provisionCli(withCredentials, env);
    assert.equal(added.exitCode, exitCodes.ok, added.stdout + added.stderr);
    assert.match(added.stdout, /- OneTrust client credentials set \(client id .*\): automatic token rotation on/);
    assert.equal((await dataflow.status()).token.automaticRotation, true);

    const firstExpiry = await shortLivedTokenInUse(12);
    const rotation = lastAutomaticRotation(
      await dataflow.waitForStatus(
        'the monitor minting a token by itself',
        (status) => !!lastAutomaticRotation(status),
      ),
    );
    assert.equal(rotation?.ok, true, rotation?.summary);
    assert.ok(Date.parse((await dataflow.status()).token.lastRotatedAt!) < firstExpiry, 'minted before the expiry');
    assert.equal(await secretVersionOfTokenInUse(client.clientId), 1, 'minted with the added credentials');
    assert.equal(dataflow.alerts.ofKind('token-expiring').length, 0, 'nobody was warned: the monitor handled it');

    const planRemove = await planCli(dataflow.scenario.spec);
    assert.match(
      planRemove.stdout,
      new RegExp(
        `~ Monitor: OneTrust client credentials removed \\(client id ${client.clientId}\\): automatic token rotation off`,
      ),
    );
    const removed = await provisionCli(dataflow.scenario.spec);
    assert.equal(removed.exitCode, exitCodes.ok, removed.stdout + removed.stderr);
    assert.match(
      removed.stdout,
      /- OneTrust client credentials removed \(client id .*\): automatic token rotation off/,
    );
    assert.equal((await dataflow.status()).token.automaticRotation, false);

    // Nothing mints a replacement now: people are warned, and the token expires.
    await shortLivedTokenInUse(8);
    await waitFor('the expiry alert', () => dataflow!.alerts.ofKind('token-expired')[0], 30_000);
    const expired = await dataflow.status();
    assert.equal(expired.state, 'token-expired');
    assert.equal(expired.recentActions[0]?.kind, 'rotateToken', 'no automatic rotation after the removal');
    assert.equal(dataflow.alerts.ofKind('token-expiring').length, 1, 'the 4s warning went out');

    await assertNoSecretLeft();
  });

  it('applies a new OneTrust base URL, and mints there', async function () {
    this.timeout(120_000);
    const client = await registeredClient();
    const simulatorUrl = (await getSimulator()).url;
    // Provisioning takes the credentials on trust; the old address has no token endpoint.
    dataflow = await monitoredDataflow({ clientCredentials: client, oneTrustBaseUrl: `${simulatorUrl}/moved-away` });
    const moved = specWith({ baseUrl: simulatorUrl });

    const planned = await planCli(moved);
    assert.equal(planned.exitCode, planExitCodes.changes, planned.stdout + planned.stderr);
    assert.ok(
      planned.stdout.includes(`~ Monitor: OneTrust base URL ${simulatorUrl}/moved-away → ${simulatorUrl}\n`),
      planned.stdout,
    );
    const applied = await provisionCli(moved);
    assert.equal(applied.exitCode, exitCodes.ok, applied.stdout + applied.stderr);
    assert.ok(
      applied.stdout.includes(`- OneTrust base URL ${simulatorUrl}/moved-away → ${simulatorUrl}\n`),
      applied.stdout,
    );

    await shortLivedTokenInUse(12);
    const rotation = lastAutomaticRotation(
      await dataflow.waitForStatus(
        'the monitor minting at the new address',
        (status) => !!lastAutomaticRotation(status),
      ),
    );
    assert.equal(rotation?.ok, true, rotation?.summary);
    assert.equal(await secretVersionOfTokenInUse(client.clientId), 1);

    await assertNoSecretLeft();
  });
});
