import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { simulatorDefaults, startSimulator } from '../../src/simulator';
import { createImsService, imsTokenLifetimeSeconds } from '../../src/simulator/ims';
import { simulatorSettings } from '../../src/simulator/server';
import { Store } from '../../src/simulator/store';

const scope = 'openid,session,AdobeID,read_organizations,additional_info.projectedProductContext';

function credentials(overrides: Record<string, string | undefined> = {}): Record<string, string> {
  const fields: Record<string, string | undefined> = {
    grant_type: 'client_credentials',
    client_id: simulatorDefaults.clientId,
    client_secret: simulatorDefaults.clientSecret,
    scope,
    ...overrides,
  };
  return Object.fromEntries(
    Object.entries(fields).filter((entry): entry is [string, string] => entry[1] !== undefined),
  );
}

async function postForm(baseUrl: string, fields: Record<string, string>, query = '') {
  const response = await fetch(`${baseUrl}/ims/token/v3${query}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(fields).toString(),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

async function listDatasets(baseUrl: string, accessToken: string): Promise<number> {
  const response = await fetch(`${baseUrl}/data/foundation/catalog/dataSets`, {
    headers: {
      authorization: `Bearer ${accessToken}`,
      'x-api-key': simulatorDefaults.clientId,
      'x-gw-ims-org-id': simulatorDefaults.orgId,
      'x-sandbox-name': 'prod',
    },
  });
  await response.arrayBuffer();
  return response.status;
}

// IMS answers errors OAuth-style, {error, error_description} (aep-contract.md §1); invalid_client,
// unsupported_grant_type and invalid_request are the OAuth 2 codes of RFC 6749 §5.2.
describe('simulator Adobe IMS (POST /ims/token/v3)', () => {
  let simulator: Awaited<ReturnType<typeof startSimulator>>;
  before(async () => {
    simulator = await startSimulator({ port: 0 });
  });
  after(() => simulator.close());

  it('issues a 24-hour bearer token for form-encoded client credentials, which the gateway then accepts', async () => {
    const { status, body } = await postForm(simulator.url, credentials());
    assert.equal(status, 200);
    assert.equal(body.token_type, 'bearer');
    assert.equal(body.expires_in, 86399, 'expires_in is in seconds');
    assert.equal(typeof body.access_token, 'string');
    assert.equal(await listDatasets(simulator.url, body.access_token as string), 200);
  });

  it('issues a different token on every request', async () => {
    const first = await postForm(simulator.url, credentials());
    const second = await postForm(simulator.url, credentials());
    assert.notEqual(first.body.access_token, second.body.access_token);
  });

  it('accepts the parameters in the query string, as IMS documents', async () => {
    const query = `?${new URLSearchParams(credentials()).toString()}`;
    const response = await fetch(`${simulator.url}/ims/token/v3${query}`, { method: 'POST' });
    assert.equal(response.status, 200);
    const body = (await response.json()) as { access_token: string };
    assert.equal(await listDatasets(simulator.url, body.access_token), 200);
  });

  it('accepts the client id in the query and the rest in the body', async () => {
    const { status } = await postForm(
      simulator.url,
      credentials({ client_id: undefined }),
      `?client_id=${simulatorDefaults.clientId}`,
    );
    assert.equal(status, 200);
  });

  it('refuses a wrong client secret or client id with 401 invalid_client', async () => {
    const wrongSecret = await postForm(simulator.url, credentials({ client_secret: 'not-the-secret' }));
    assert.equal(wrongSecret.status, 401);
    assert.equal(wrongSecret.body.error, 'invalid_client');
    assert.equal(typeof wrongSecret.body.error_description, 'string');
    assert.ok(!JSON.stringify(wrongSecret.body).includes('not-the-secret'), 'the secret is not echoed');
    const wrongId = await postForm(simulator.url, credentials({ client_id: 'someone-else' }));
    assert.equal(wrongId.status, 401);
    assert.equal(wrongId.body.error, 'invalid_client');
  });

  it('refuses another grant type with 400 unsupported_grant_type', async () => {
    const { status, body } = await postForm(simulator.url, credentials({ grant_type: 'authorization_code' }));
    assert.equal(status, 400);
    assert.equal(body.error, 'unsupported_grant_type');
  });

  it('refuses a request missing a mandatory parameter with 400 invalid_request naming it', async () => {
    const { status, body } = await postForm(simulator.url, credentials({ scope: undefined }));
    assert.equal(status, 400);
    assert.equal(body.error, 'invalid_request');
    assert.match(String(body.error_description), /scope/);
  });
});

describe('simulator IMS token lifetime', () => {
  it('reports issued tokens valid until 86399 s have passed, then expired; others unknown', () => {
    let now = Date.UTC(2026, 0, 1);
    const clock = { now: () => now, scaled: (ms: number) => ms };
    const ims = createImsService({ store: new Store(), clock, settings: simulatorSettings() });
    const token = ims.issueToken(credentials()).access_token;

    assert.deepEqual(ims.checkAccessToken(token), { valid: true });
    now += (imsTokenLifetimeSeconds - 1) * 1000;
    assert.deepEqual(ims.checkAccessToken(token), { valid: true });
    now += 1000;
    assert.deepEqual(ims.checkAccessToken(token), { valid: false, reason: 'expired' });
    assert.deepEqual(ims.checkAccessToken('never-issued'), { valid: false, reason: 'unknown' });
  });

  it('keeps issued tokens valid across a restart from the state file, without storing them in clear', async () => {
    const folder = await mkdtemp(join(tmpdir(), 'ims-state-'));
    const stateFile = join(folder, 'state.json');
    try {
      const first = await startSimulator({ port: 0, stateFile });
      const { body } = await postForm(first.url, credentials());
      const token = body.access_token as string;
      await first.close();

      assert.ok(!(await readFile(stateFile, 'utf8')).includes(token), 'the state file holds no usable token');

      const second = await startSimulator({ port: 0, stateFile });
      try {
        assert.equal(await listDatasets(second.url, token), 200);
      } finally {
        await second.close();
      }
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
  });
});
