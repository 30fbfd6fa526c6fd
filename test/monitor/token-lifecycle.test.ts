/**
 * The OneTrust token's life as the monitor keeps it: expiry noticed and alerted, rotation on request (through the
 * real CLI) proven by later runs, a concurrent change during rotation (412) retried, warnings at the configured
 * lead times, automatic rotation with client credentials, and the token never in plaintext in history or output.
 */
import { simulatorDefaults } from '../../src/simulator/defaults';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import type { SealedSecret } from '../../src/secrets';
import { runRotateToken } from '../../src/cli/rotate-token-command';
import { connectTemporal } from '../../src/temporal/temporal-client';
import { rotateTokenSignal, rotateTokenUpdate } from '../../src/contracts/monitor-messages';
import { provisionWorkflowId } from '../../src/contracts/workflow-ids';
import { getSimulator } from '../harness/simulator';
import { childProcessEnv, testSecretBox } from '../harness/test-worker';
import { spawnTsx } from '../provisioning/spawned-process';
import {
  capturedIo,
  historiesText,
  monitoredDataflow,
  simulatorRequests,
  sleep,
  waitFor,
  type MonitoredDataflow,
} from './monitor-fixtures';

interface SimulatedConnection {
  id: string;
  etag: string;
  description?: string;
  secretFingerprints?: Record<string, string>;
}

function fingerprint(token: string): string {
  return `sha256:${createHash('sha256').update(token).digest('hex').slice(0, 16)}`;
}

async function baseConnection(dataflow: MonitoredDataflow): Promise<SimulatedConnection> {
  const connections = (await dataflow.admin.resources(dataflow.sandbox))
    .connections as unknown as SimulatedConnection[];
  const found = connections.find((connection) => connection.id === dataflow.provisioned.ids.baseConnectionId);
  assert.ok(found, 'the base connection exists');
  return found;
}

/** A well-formed JWT with a year to live that OneTrust never issued. */
function unknownJwt(): string {
  const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const exp = Math.floor(Date.now() / 1000) + 365 * 24 * 3600;
  return `${encode({ alg: 'HS256', typ: 'JWT' })}.${encode({ sub: 'nobody', exp })}.bm90LWEtc2lnbmF0dXJl`;
}

async function requestsSince(dataflow: MonitoredDataflow, since: number) {
  return (await simulatorRequests(dataflow.sandbox)).filter((entry) => Date.parse(entry.time) >= since);
}

describe('dataflow monitor: the OneTrust token', function () {
  let dataflow: MonitoredDataflow | undefined;

  afterEach(async function () {
    await dataflow?.dispose();
    dataflow = undefined;
  });

  it('reports an expired token, alerts, and after rotate-token (CLI) runs recover; the token stays sealed', async function () {
    dataflow = await monitoredDataflow({ tokenExpiresInSeconds: 8 });
    const { alerts } = dataflow;
    // The webhook refuses the first delivery: the alert must still arrive, exactly once, by its id.
    alerts.failNext(1);

    const expired = await dataflow.waitForStatus(
      'state token-expired after a run failed on the token',
      (status) =>
        status.state === 'token-expired' &&
        status.lastRuns.some((run) => run.outcome === 'failed' && run.cause === 'token'),
      30_000,
    );
    assert.equal(expired.failureCause, 'token');
    await waitFor('token-expired and run-failed alerts at the webhook', () =>
      alerts.ofKind('token-expired').length > 0 && alerts.ofKind('run-failed').length > 0 ? true : undefined,
    );
    assert.ok(alerts.refused >= 1, 'the first delivery was refused and retried');
    const expiredAlert = alerts.ofKind('token-expired');
    assert.equal(expiredAlert.length, 1, 'the expiry is alerted once');
    const runFailed = alerts.ofKind('run-failed')[0]!;
    assert.equal(runFailed.alert.details.cause, 'token');
    assert.equal(runFailed.alert.details.errorCode, 'CONNECTOR-1001-401');
    for (const { alert, idempotencyKey } of alerts.received) assert.equal(idempotencyKey, alert.id);
    assert.equal(new Set(alerts.received.map((entry) => entry.alert.id)).size, alerts.received.length, 'no duplicates');

    // rotate-token through the real CLI, the token in a file (never on the command line). It lives 90 days:
    // longer than the default 30-day warning, so the dataflow can be healthy again.
    const freshToken = (await dataflow.admin.mintOneTrustToken(90 * 24 * 3600)).access_token;
    const tokenFile = join(mkdtempSync(join(tmpdir(), 'rotate-')), 'token');
    writeFileSync(tokenFile, `${freshToken}\n`, { mode: 0o600 });
    const etagBefore = (await baseConnection(dataflow)).etag;
    const rotationStartedAt = Date.now();
    const cli = spawnTsx(
      'src/client.ts',
      ['rotate-token', dataflow.target, '--token-file', tokenFile],
      await childProcessEnv(dataflow.scenario.taskQueue),
    );
    const exitCode = await cli.exited;
    assert.equal(exitCode, 0, cli.output());
    assert.match(cli.output(), /token rotated on request: expires /);
    assert.ok(!cli.output().includes(freshToken), 'the CLI never prints the token');

    const patches = (await requestsSince(dataflow, rotationStartedAt)).filter(
      (entry) => entry.method === 'PATCH' && entry.path.includes(dataflow!.provisioned.ids.baseConnectionId),
    );
    assert.equal(patches.length, 1, 'exactly one PATCH of the base connection');
    assert.equal(patches[0]!.status, 200);
    assert.equal(patches[0]!.ifMatch, etagBefore, 'with the etag just read as If-Match');
    assert.equal((await baseConnection(dataflow)).secretFingerprints?.accessToken, fingerprint(freshToken));

    const recovered = await dataflow.waitForStatus(
      'a run that succeeds with the new token',
      (status) => status.state === 'healthy' && status.consecutiveFailures === 0,
      20_000,
    );
    assert.ok(Date.parse(recovered.token.expiresAt) > Date.now() + 89 * 24 * 3600 * 1000, 'the new expiry is recorded');
    await waitFor('a recovery alert', () => (alerts.ofKind('recovered').length > 0 ? true : undefined));
    assert.equal(alerts.ofKind('recovered')[0]!.alert.details.previousCause, 'token');
    assert.equal(alerts.ofKind('token-rotated').length, 1);

    const histories =
      (await historiesText(dataflow.handle.workflowId)) +
      (await historiesText(provisionWorkflowId(dataflow.sandbox, dataflow.name)));
    assert.match(histories, /sealed\W+v1\./, 'the histories were read as text (sealed tokens are in them)');
    assert.ok(!histories.includes(freshToken), 'the new token is not in any history');
    assert.ok(!histories.includes(dataflow.token), 'nor is the first one');
  });

  it('retries the PATCH when someone changes the connection between our read and our PATCH (412); also as a signal', async function () {
    dataflow = await monitoredDataflow();
    const { admin } = dataflow;
    const baseConnectionId = dataflow.provisioned.ids.baseConnectionId;
    const simulator = await getSimulator();
    // Hold the monitor's PATCH long enough for a concurrent change to land first.
    await admin.addFault({ method: 'PATCH', path: `/connections/${baseConnectionId}`, delayMs: 1500, times: 1 });
    const freshToken = (await admin.mintOneTrustToken(3600)).access_token;
    const startedAt = Date.now();
    const rotation = dataflow.handle.executeUpdate(rotateTokenUpdate, {
      args: [{ token: testSecretBox().seal(freshToken) }],
    });

    await waitFor(
      'the monitor PATCH to be held by the fault rule',
      async () => {
        const response = await request(`${simulator.url}/__sim/faults`);
        const { items } = (await response.body.json()) as { items: unknown[] };
        return items.length === 0 ? true : undefined;
      },
      20_000,
      50,
    );
    const flowService = dataflow.worker.aep.forSandbox(dataflow.sandbox).flowService;
    const current = await flowService.getConnection(baseConnectionId);
    await flowService.patchConnection(
      baseConnectionId,
      [{ op: 'replace', path: '/description', value: 'changed by someone else meanwhile' }],
      current.etag,
    );

    const outcome = await rotation;
    assert.equal(outcome.ok, true);
    assert.equal(outcome.details.patchAttempts, 2, 'one 412, then success after a re-read');
    const patches = (await requestsSince(dataflow, startedAt)).filter(
      (entry) => entry.method === 'PATCH' && entry.path.includes(baseConnectionId),
    );
    assert.deepEqual(patches.map((entry) => entry.status).sort(), [200, 200, 412]);
    const connection = await baseConnection(dataflow);
    assert.equal(connection.description, 'changed by someone else meanwhile', 'the other change is kept');
    assert.equal(connection.secretFingerprints?.accessToken, fingerprint(freshToken), 'and the token is ours');

    // The same request as a signal: a plaintext token is refused without a call, a sealed one is rotated in.
    const plaintext = 'not-a-sealed-token';
    await dataflow.handle.signal(rotateTokenSignal, { token: plaintext as unknown as SealedSecret });
    const refused = await dataflow.waitForStatus('the plaintext signal refused', (status) =>
      status.recentActions.some((action) => action.summary.startsWith('refused: token: must be a sealed secret')),
    );
    assert.equal(refused.recentActions[0]!.source, 'signal');
    const secondToken = (await admin.mintOneTrustToken(90 * 24 * 3600)).access_token;
    await dataflow.handle.signal(rotateTokenSignal, { token: testSecretBox().seal(secondToken) });
    await dataflow.waitForStatus(
      'the signalled rotation done',
      (status) => status.recentActions[0]?.kind === 'rotateToken' && status.recentActions[0].ok,
    );
    assert.equal((await baseConnection(dataflow)).secretFingerprints?.accessToken, fingerprint(secondToken));
  });

  it('puts the previous token back when OneTrust refuses the new one (rotate-token fails and says so)', async function () {
    dataflow = await monitoredDataflow();
    const before = await dataflow.status();
    const baseConnectionId = dataflow.provisioned.ids.baseConnectionId;
    assert.equal((await baseConnection(dataflow)).secretFingerprints?.accessToken, fingerprint(dataflow.token));
    const badToken = unknownJwt();
    const startedAt = Date.now();

    const io = await capturedIo(dataflow.scenario.taskQueue);
    const code = await runRotateToken(
      dataflow.target,
      { json: false },
      { io, connect: connectTemporal, readStdin: () => Promise.resolve(badToken) },
    );

    assert.equal(code, 1, io.stderr());
    assert.match(io.stderr(), /the new token was refused by OneTrust; the previous token is back in place/);
    assert.match(io.stderr(), /FLOW-1100-400/, 'with the reason AEP gave');
    assert.ok(!io.stderr().includes(badToken) && !io.stdout().includes(badToken), 'the token is never printed');
    const patches = (await requestsSince(dataflow, startedAt)).filter(
      (entry) => entry.method === 'PATCH' && entry.path.includes(baseConnectionId),
    );
    assert.deepEqual(
      patches.map((entry) => entry.status),
      [200, 200],
      'the new token went on, then the previous one went back',
    );
    assert.equal(
      (await baseConnection(dataflow)).secretFingerprints?.accessToken,
      fingerprint(dataflow.token),
      'the base connection holds the previous token again',
    );
    const after = await dataflow.status();
    assert.equal(after.token.expiresAt, before.token.expiresAt, 'the recorded expiry is still the old token’s');
    assert.equal(after.recentActions[0]?.kind, 'rotateToken');
    assert.equal(after.recentActions[0]?.ok, false);

    const refusedAt = Date.now();
    const later = await dataflow.waitForStatus('a run started after the refused rotation that succeeds', (status) =>
      status.lastRuns.some((run) => run.outcome === 'success' && Date.parse(run.startedAt ?? '') > refusedAt),
    );
    assert.equal(later.state, 'healthy');
    assert.equal(later.consecutiveFailures, 0);
    const histories = await historiesText(dataflow.handle.workflowId);
    assert.ok(!histories.includes(badToken), 'the refused token is not in history either');
  });

  it('warns once at each configured lead time before expiry, then reports the token expired', async function () {
    dataflow = await monitoredDataflow({
      tokenExpiresInSeconds: 16,
      monitor: { tokenWarnings: ['10s', '5s'] },
    });
    const { alerts } = dataflow;
    const expiresAt = Date.parse((await dataflow.status()).token.expiresAt);

    const expiring = await dataflow.waitForStatus(
      'the first warning',
      (status) => status.token.warningsSent.length > 0,
    );
    assert.equal(expiring.state, 'token-expiring');
    await waitFor('the expiry alert', () => (alerts.ofKind('token-expired').length > 0 ? true : undefined), 25_000);
    await sleep(1500);

    const warnings = alerts.ofKind('token-expiring');
    assert.deepEqual(
      warnings.map((entry) => entry.alert.details.leadTime),
      ['10s', '5s'],
      'one warning per lead time, longest first',
    );
    // Never early (a timer that fired before its lead time would be a bug); how late depends on the machine's load,
    // so only the order is asserted: each warning before the next, all before the expiry alert.
    const clockSlackMs = 250;
    for (const { alert, receivedAt } of warnings) {
      const dueAt = expiresAt - (alert.details.leadTime === '10s' ? 10_000 : 5_000);
      assert.ok(receivedAt >= dueAt - clockSlackMs, `${alert.details.leadTime} warning ${dueAt - receivedAt} ms early`);
    }
    const expiredAlerts = alerts.ofKind('token-expired');
    assert.equal(expiredAlerts.length, 1);
    assert.ok(expiredAlerts[0]!.receivedAt >= expiresAt - clockSlackMs, 'the expiry alert is not early');
    assert.ok(
      warnings.every(({ receivedAt }) => receivedAt <= expiredAlerts[0]!.receivedAt),
      'warnings come before the expiry alert',
    );
    const status = await dataflow.status();
    assert.equal(status.state, 'token-expired');
    assert.deepEqual(status.token.warningsSent, ['10s', '5s']);
  });

  it('mints and rotates a new token by itself when the spec has client credentials', async function () {
    dataflow = await monitoredDataflow({
      tokenExpiresInSeconds: 16,
      clientCredentials: true,
      monitor: { tokenWarnings: ['10s', '5s'] },
    });
    const { alerts } = dataflow;
    const firstExpiry = Date.parse((await dataflow.status()).token.expiresAt);
    const firstFingerprint = (await baseConnection(dataflow)).secretFingerprints?.accessToken;
    assert.equal(firstFingerprint, fingerprint(dataflow.token));

    const rotated = await dataflow.waitForStatus(
      'an automatic rotation, finished (its alert sent)',
      (status) => status.token.lastRotatedAt !== undefined && status.pendingWork.length === 0,
      25_000,
    );
    const newExpiry = Date.parse(rotated.token.expiresAt);
    assert.ok(
      newExpiry > Date.now() + 300 * 24 * 3600 * 1000,
      'the minted token lives for the credential lifetime (a year)',
    );
    assert.ok(Date.parse(rotated.token.lastRotatedAt!) < firstExpiry, 'before the old token expired');
    assert.notEqual((await baseConnection(dataflow)).secretFingerprints?.accessToken, firstFingerprint);
    assert.equal(rotated.recentActions[0]?.kind, 'autoRotateToken');

    // Past the old token's expiry, runs still succeed: the new token is the one AEP uses.
    await sleep(Math.max(0, firstExpiry - Date.now()) + 500);
    const later = await dataflow.waitForStatus('a successful run started after the old token expired', (status) =>
      status.lastRuns.some((run) => run.outcome === 'success' && Date.parse(run.startedAt ?? '') > firstExpiry),
    );
    assert.equal(later.state, 'healthy');
    assert.equal(later.consecutiveFailures, 0);
    assert.equal(alerts.ofKind('token-rotated').length, 1);
    assert.equal(alerts.ofKind('token-expiring').length, 0, 'nobody was warned: the monitor handled it');
    assert.equal(alerts.ofKind('token-expired').length, 0);

    // Neither the OneTrust client secret nor any token, the one the monitor minted included, is in history.
    const histories = await historiesText(dataflow.handle.workflowId);
    assert.ok(!histories.includes(simulatorDefaults.oneTrustClient.clientSecret), 'the client secret is in history');
    assert.doesNotMatch(histories, /eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\./, 'a token (a JWT) is in history');
  });
});
