import assert from 'node:assert/strict';
import { simulatorDefaults } from '../../src/simulator';
import { TestPlatform } from './test-platform';

// The gateway's {error_code, message} bodies asserted here (403010, 401013, 403000, 403003, 400003, 403025) and
// the BadRequestError body are quoted in help/landing/troubleshooting.md (aep-contract.md §1 "Gateway header
// errors"). FLOW-2105-400, FLOW-2100-404 and FLOW-1101-404 are in help/sources/errors/flow-service-errors.md
// (aep-contract.md §2). IMS's invalid_client is the OAuth 2 code of RFC 6749 §5.2 (IMS errors are OAuth-style,
// aep-contract.md §1).
describe('simulator gateway (every /data/foundation call)', () => {
  let platform: TestPlatform;
  before(async () => {
    platform = await TestPlatform.start();
  });
  after(() => platform.close());

  const listConnections = (headers: Record<string, string | undefined>) =>
    platform.flowService('GET', '/connections', { headers });

  it('accepts a call with every header the seed lists', async () => {
    const response = await listConnections({});
    assert.equal(response.status, 200);
    assert.deepEqual(response.body.items, []);
  });

  it('answers 403010 without an Authorization header', async () => {
    const response = await listConnections({ authorization: undefined });
    assert.equal(response.status, 403);
    assert.deepEqual(response.body, { error_code: '403010', message: 'Oauth token is missing.' });
  });

  it('answers 401013 for a token IMS never issued', async () => {
    const response = await listConnections({ authorization: 'Bearer not-an-issued-token' });
    assert.equal(response.status, 401);
    assert.deepEqual(response.body, { error_code: '401013', message: 'Oauth token is not valid' });
  });

  it('answers 401013 for an Authorization header that is not a bearer token', async () => {
    const response = await listConnections({ authorization: `Basic ${platform.accessToken}` });
    assert.equal(response.status, 401);
    assert.equal(response.body.error_code, '401013');
  });

  it('requires the API key and checks it is the client id', async () => {
    const missing = await listConnections({ 'x-api-key': undefined });
    assert.equal(missing.status, 403);
    assert.deepEqual(missing.body, { error_code: '403000', message: 'Api Key is required' });
    const wrong = await listConnections({ 'x-api-key': 'someone-else' });
    assert.equal(wrong.status, 403);
    assert.deepEqual(wrong.body, { error_code: '403003', message: 'Api Key is invalid' });
  });

  it('requires the organization header and refuses another organization', async () => {
    const missing = await listConnections({ 'x-gw-ims-org-id': undefined });
    assert.equal(missing.status, 400);
    assert.deepEqual(missing.body, { error_code: '400003', message: 'Missing header' });
    const wrong = await listConnections({ 'x-gw-ims-org-id': 'ANOTHER@AdobeOrg' });
    assert.equal(wrong.status, 403);
    assert.deepEqual(wrong.body, { error_code: '403025', message: 'Profile is not valid' });
  });

  it('requires a sandbox header (FLOW-2105-400) naming a valid sandbox (FLOW-2100-404)', async () => {
    const missing = await listConnections({ 'x-sandbox-name': undefined });
    assert.equal(missing.status, 400);
    assert.equal(missing.body.type, 'https://ns.adobe.com/aep/errors/FLOW-2105-400');
    const invalid = await listConnections({ 'x-sandbox-name': 'Not A Sandbox!' });
    assert.equal(invalid.status, 404);
    assert.equal(invalid.body.type, 'https://ns.adobe.com/aep/errors/FLOW-2100-404');
  });

  it('applies the same rules to the other platform APIs', async () => {
    const response = await platform.call('GET', '/data/foundation/catalog/dataSets', {
      headers: { 'x-api-key': undefined },
    });
    assert.equal(response.status, 403);
    assert.equal(response.body.error_code, '403000');
  });

  it('requires a JSON content type on a request with a body', async () => {
    const response = await platform.flowService('POST', '/connections', {
      rawBody: JSON.stringify({ name: 'x' }),
      headers: { 'content-type': 'text/plain' },
    });
    assert.equal(response.status, 400);
    assert.deepEqual(response.body, {
      type: '/placeholder/type/uri',
      status: 400,
      title: 'BadRequestError',
      detail: 'A valid content-type must be specified',
    });
    const withoutType = await platform.flowService('POST', '/connections', { rawBody: JSON.stringify({ name: 'x' }) });
    assert.equal(withoutType.status, 400);
    assert.equal(withoutType.body.title, 'BadRequestError');
  });

  it('leaves IMS and OneTrust to their own authentication', async () => {
    const response = await fetch(`${platform.url}/ims/token/v3`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `grant_type=client_credentials&client_id=${simulatorDefaults.clientId}&client_secret=wrong&scope=openid`,
    });
    assert.equal(response.status, 401);
    assert.equal(((await response.json()) as { error: string }).error, 'invalid_client');
  });

  it('answers an unknown Flow Service path with FLOW-1101-404 once the gateway has passed it', async () => {
    const response = await platform.flowService('GET', '/noSuchCollection');
    assert.equal(response.status, 404);
    assert.equal(response.body.type, 'https://ns.adobe.com/aep/errors/FLOW-1101-404');
  });
});
