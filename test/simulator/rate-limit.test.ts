import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { simulatorDefaults } from '../../src/simulator';
import { RateLimit } from '../../src/simulator/rate-limit';
import { SimulatorAdmin } from '../harness/simulator-admin';
import { listeningUrl, spawnSimulatorProcess, TestPlatform, type ApiResponse, type Json } from './test-platform';

// AEP's own docs declare no 429 (aep-contract.md §6). This body is the adobe.io gateway's throttling answer as
// Adobe's Analytics 2.0 API FAQ documents it (developer.adobe.com/analytics-apis/docs/2.0/guides/faq).
const throttledBody = { error_code: '429050', message: 'Too many requests' };

describe('simulator rate limit (sliding window per organization)', () => {
  let time: number;
  const limitAt = (requestsPerSecond: number) => new RateLimit(requestsPerSecond, () => time);

  beforeEach(() => {
    time = 10_000;
  });

  it('admits N requests in any trailing second, and frees each slot one second after its admission', () => {
    const limit = limitAt(2);
    assert.equal(limit.admit('org'), undefined);
    time += 600;
    assert.equal(limit.admit('org'), undefined);
    time += 100;
    assert.equal(limit.admit('org'), 1, 'full: the first slot frees in 300 ms, rounded up to 1 s');
    time += 299;
    assert.equal(limit.admit('org'), 1);
    time += 1;
    assert.equal(limit.admit('org'), undefined, 'the first admission left the window');
    time += 100;
    assert.equal(limit.admit('org'), 1, 'a sliding window: the second admission still holds its slot');
    time += 500;
    assert.equal(limit.admit('org'), undefined);
  });

  it('does not count rejected requests against the window', () => {
    const limit = limitAt(1);
    assert.equal(limit.admit('org'), undefined);
    for (let attempt = 0; attempt < 9; attempt += 1) {
      time += 100;
      assert.equal(limit.admit('org'), 1);
    }
    time += 100;
    assert.equal(limit.admit('org'), undefined);
  });

  it('keeps one window per organization, starts afresh when the limit changes, and admits all without one', () => {
    const limit = limitAt(1);
    assert.equal(limit.admit('one'), undefined);
    assert.equal(limit.admit('one'), 1);
    assert.equal(limit.admit('two'), undefined);
    limit.set(2);
    assert.equal(limit.admit('one'), undefined);
    assert.equal(limit.admit('one'), undefined);
    assert.equal(limit.admit('one'), 1);
    limit.set(undefined);
    for (let request = 0; request < 100; request += 1) assert.equal(limit.admit('one'), undefined);
    assert.deepEqual(limit.settings(), { requestsPerSecond: null });
    assert.throws(() => limit.set(0), RangeError);
    assert.throws(() => limit.set(1.5), RangeError);
  });
});

describe('simulator rate limit and latency over HTTP', () => {
  let platform: TestPlatform;
  let admin: SimulatorAdmin;
  before(async () => {
    platform = await TestPlatform.start();
    admin = new SimulatorAdmin(platform.url);
  });
  afterEach(async () => {
    await admin.setRateLimit(undefined);
    await admin.setLatency(undefined);
    await admin.clearFaults();
  });
  after(() => platform.close());

  const listConnections = (headers: Record<string, string | undefined> = {}) =>
    platform.flowService('GET', '/connections', { headers });
  const imsToken = () =>
    fetch(`${platform.url}/ims/token/v3`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: simulatorDefaults.clientId,
        client_secret: simulatorDefaults.clientSecret,
        scope: 'openid',
      }).toString(),
    });
  const statuses = (responses: Array<ApiResponse<Json>>) => responses.map((response) => response.status).sort();

  it('answers exactly the excess of a burst with 429, Retry-After and the gateway body, and counts both', async () => {
    await admin.clearRequestCounts();
    assert.deepEqual(await admin.setRateLimit(5), { requestsPerSecond: 5 });
    const burst = await Promise.all(Array.from({ length: 8 }, () => listConnections()));
    assert.deepEqual(statuses(burst), [200, 200, 200, 200, 200, 429, 429, 429]);
    for (const throttled of burst.filter((response) => response.status === 429)) {
      assert.deepEqual(throttled.body, throttledBody);
      assert.equal(throttled.headers.get('retry-after'), '1');
    }

    const counts = await admin.requestCountsByOrganization();
    assert.deepEqual(counts.platformCalls, { admitted: 5, throttled: 3 });
    assert.deepEqual(counts.organizations, { [simulatorDefaults.orgId]: { admitted: 5, throttled: 3 } });
    assert.deepEqual(counts.routes, { 'GET /connections': 8 }, 'routes count every request received');
    assert.deepEqual(await admin.requestCounts(), { 'GET /connections': 8 }, 'the plain answer is unchanged');
    const logged = await admin.requests();
    assert.ok(logged.filter((entry) => entry.status === 429).length >= 3, 'the request log shows the 429s');
  });

  it('admits a request again once the window has moved past the earlier admissions', async () => {
    await admin.setRateLimit(2);
    assert.deepEqual(statuses([await listConnections(), await listConnections()]), [200, 200]);
    const throttled = await listConnections();
    assert.equal(throttled.status, 429);
    await new Promise((resolve) => setTimeout(resolve, Number(throttled.headers.get('retry-after')) * 1000 + 50));
    assert.equal((await listConnections()).status, 200);
  });

  it('limits each organization on its own, and only AEP calls', async () => {
    await admin.clearRequestCounts();
    await admin.setRateLimit(1);
    assert.equal((await listConnections()).status, 200);
    assert.equal((await listConnections()).status, 429);
    // Not throttled: the gateway sees it and refuses the organization this integration is not entitled to.
    const otherOrganization = await listConnections({ 'x-gw-ims-org-id': 'ANOTHER@AdobeOrg' });
    assert.equal(otherOrganization.status, 403);
    // 403025 "Profile is not valid": help/landing/troubleshooting.md (aep-contract.md §1).
    assert.equal(otherOrganization.body.error_code, '403025');

    for (let request = 0; request < 3; request += 1) assert.equal((await imsToken()).status, 200);
    const oneTrustToken = await platform.mintOneTrustToken(60);
    for (let request = 0; request < 3; request += 1) {
      const profiles = await fetch(`${platform.url}/api/consentmanager/v1/datasubjects/profiles`, {
        headers: { authorization: `Bearer ${oneTrustToken}` },
      });
      assert.equal(profiles.status, 200);
    }
    for (let request = 0; request < 3; request += 1) await admin.rateLimit();

    const counts = await admin.requestCountsByOrganization();
    assert.deepEqual(counts.organizations, {
      'ANOTHER@AdobeOrg': { admitted: 1, throttled: 0 },
      [simulatorDefaults.orgId]: { admitted: 1, throttled: 1 },
    });
    assert.deepEqual(counts.platformCalls, { admitted: 2, throttled: 1 });
  });

  it('throttles before the gateway checks credentials, and after fault rules (a fault answer takes no slot)', async () => {
    await admin.setRateLimit(1);
    await admin.addFault({ path: '/flowservice/connections$', status: 503, times: 1 });
    assert.equal((await listConnections()).status, 503);
    assert.equal((await listConnections({ authorization: undefined })).status, 403, 'admitted, then refused');
    assert.equal((await listConnections()).status, 429, 'the refused call took the slot');
  });

  it('delays every AEP and IMS answer by the latency, 429s included, but not the admin API', async () => {
    assert.deepEqual(await admin.setLatency(150), { ms: 150 });
    const timed = async (call: () => Promise<unknown>) => {
      const started = performance.now();
      await call();
      return performance.now() - started;
    };
    assert.ok((await timed(() => listConnections())) >= 145);
    assert.ok((await timed(imsToken)) >= 145);
    await admin.setRateLimit(1);
    await listConnections();
    const throttled = await timed(async () => assert.equal((await listConnections()).status, 429));
    assert.ok(throttled >= 145, `a 429 took ${throttled} ms`);
    assert.ok((await timed(() => admin.latency())) < 145);

    assert.deepEqual(await admin.setLatency(undefined), { ms: 0 });
    assert.ok((await timed(() => listConnections())) < 145);
  });

  it('refuses invalid settings with a 400 that names the field, and keeps the setting in force', async () => {
    await admin.setRateLimit(7);
    for (const body of [{}, { requestsPerSecond: 0 }, { requestsPerSecond: 1.5 }, { requestsPerSecond: '5' }]) {
      const answer = await platform.admin<{ error: string }>('PUT', '/rate-limit', body);
      assert.equal(answer.status, 400, JSON.stringify(body));
      assert.match(answer.body.error, /requestsPerSecond/);
    }
    const extraField = await platform.admin<{ error: string }>('PUT', '/rate-limit', {
      requestsPerSecond: 3,
      org: 'x',
    });
    assert.equal(extraField.status, 400);
    assert.match(extraField.body.error, /org/);
    assert.equal((await platform.admin('PUT', '/rate-limit')).status, 400, 'no body');
    assert.deepEqual(await admin.rateLimit(), { requestsPerSecond: 7 });

    for (const body of [{}, { ms: -1 }, { ms: 2.5 }, { ms: 600_001 }, { milliseconds: 5 }]) {
      const answer = await platform.admin<{ error: string }>('PUT', '/latency', body);
      assert.equal(answer.status, 400, JSON.stringify(body));
      assert.match(answer.body.error, /\bms\b/);
    }
    assert.deepEqual(await admin.latency(), { ms: 0 });
    assert.equal((await platform.admin('GET', '/request-counts?by=route')).status, 400);

    assert.deepEqual(await admin.setRateLimit(undefined), { requestsPerSecond: null });
    assert.deepEqual(await admin.rateLimit(), { requestsPerSecond: null });
  });
});

describe('simulator rate limit and latency settings at start', () => {
  it('starts with the rateLimit and latencyMs options', async () => {
    const platform = await TestPlatform.start({ rateLimit: 3, latencyMs: 20 });
    try {
      const admin = new SimulatorAdmin(platform.url);
      assert.deepEqual(await admin.rateLimit(), { requestsPerSecond: 3 });
      assert.deepEqual(await admin.latency(), { ms: 20 });
      const burst = await Promise.all(Array.from({ length: 4 }, () => platform.flowService('GET', '/connections')));
      assert.deepEqual(burst.map((response) => response.status).sort(), [200, 200, 200, 429]);
    } finally {
      await platform.close();
    }
  });

  it('`npm run simulator -- --rate-limit N --latency-ms M` starts with them, and refuses a limit of 0', async () => {
    const child = spawnSimulatorProcess(['--port', '0', '--rate-limit', '12', '--latency-ms', '5']);
    try {
      const admin = new SimulatorAdmin(await listeningUrl(child));
      assert.deepEqual(await admin.rateLimit(), { requestsPerSecond: 12 });
      assert.deepEqual(await admin.latency(), { ms: 5 });
    } finally {
      child.kill('SIGTERM');
      await once(child, 'exit');
    }

    const refused = spawn(process.execPath, ['--import', 'tsx', 'src/simulator/main.ts', '--rate-limit', '0'], {
      cwd: join(__dirname, '..', '..'),
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let errors = '';
    refused.stderr.on('data', (chunk: Buffer) => (errors += chunk.toString()));
    const [code] = (await once(refused, 'exit')) as [number | null];
    assert.notEqual(code, 0);
    assert.match(errors, /rate-limit.*expected an integer from 1 to 100000/);
  });
});
