import assert from 'node:assert/strict';
import { OneTrustError, readJwtExpiry, requestOneTrustToken } from '../../src/onetrust';
import { simulatorDefaults } from '../../src/simulator/defaults';
import { rejectionOf, SimulatorFixture } from '../aep/simulator-fixture';

describe('OneTrust token client', () => {
  let fixture: SimulatorFixture;
  const credentials = simulatorDefaults.oneTrustClient;

  before(async () => {
    fixture = await SimulatorFixture.start();
  });
  afterEach(async () => {
    await fixture.clearFaults();
  });
  after(async () => {
    await fixture?.close();
  });

  it('mints a token with the credential lifetime, and its JWT exp agrees', async () => {
    const before = Date.now();
    const token = await requestOneTrustToken({
      baseUrl: fixture.url,
      clientId: credentials.clientId,
      clientSecret: credentials.clientSecret,
    });
    assert.ok(token.accessToken.length > 20);
    const expectedExpiry = before + credentials.tokenLifetimeSeconds * 1000;
    assert.ok(Math.abs(token.expiresAt.getTime() - expectedExpiry) < 5_000, token.expiresAt.toISOString());
    const claimed = readJwtExpiry(token.accessToken);
    assert.ok(claimed && Math.abs(claimed.getTime() - token.expiresAt.getTime()) < 2_000);
  });

  it('reads the expiry of a token minted through the admin API', async () => {
    const minted = await fixture.mintOneTrustToken(3600);
    assert.equal(readJwtExpiry(minted.access_token)?.toISOString(), new Date(minted.expires_at).toISOString());
  });

  it('reads no expiry from something that is not a JWT', () => {
    assert.equal(readJwtExpiry('opaque-token'), undefined);
    assert.equal(readJwtExpiry('a.!!!.c'), undefined);
    const withoutExp = `x.${Buffer.from(JSON.stringify({ sub: 'me' })).toString('base64url')}.y`;
    assert.equal(readJwtExpiry(withoutExp), undefined);
  });

  it('refuses bad credentials with a non-retryable OneTrustError that does not echo the secret', async () => {
    const refused = await rejectionOf(
      requestOneTrustToken({ baseUrl: fixture.url, clientId: credentials.clientId, clientSecret: 'wrong-secret-123' }),
    );
    assert.ok(refused instanceof OneTrustError);
    assert.equal(refused.status, 401);
    assert.equal(refused.retryable, false);
    assert.ok(refused.code);
    assert.doesNotMatch(refused.message, /wrong-secret-123/);
  });

  it('classifies 429 with Retry-After and 503 as retryable', async () => {
    await fixture.addFault({ path: 'oauth/token', status: 429, retryAfter: 12, times: 1 });
    const throttled = await rejectionOf(
      requestOneTrustToken({
        baseUrl: fixture.url,
        clientId: credentials.clientId,
        clientSecret: credentials.clientSecret,
      }),
    );
    assert.ok(throttled instanceof OneTrustError);
    assert.equal(throttled.retryable, true);
    assert.equal(throttled.retryAfterMs, 12_000);

    await fixture.addFault({ path: 'oauth/token', status: 503, times: 1 });
    const unavailable = await rejectionOf(
      requestOneTrustToken({
        baseUrl: fixture.url,
        clientId: credentials.clientId,
        clientSecret: credentials.clientSecret,
      }),
    );
    assert.ok(unavailable instanceof OneTrustError);
    assert.equal(unavailable.status, 503);
    assert.equal(unavailable.retryable, true);
  });

  it('classifies an unreachable server as retryable', async () => {
    const unreachable = await rejectionOf(
      requestOneTrustToken({ baseUrl: 'http://127.0.0.1:9', clientId: 'id', clientSecret: 'secret', timeoutMs: 2_000 }),
    );
    assert.ok(unreachable instanceof OneTrustError);
    assert.equal(unreachable.status, undefined);
    assert.equal(unreachable.retryable, true);
  });
});
