import assert from 'node:assert/strict';
import { AepError } from '../../src/aep';
import { AepRequester, HttpTransport } from '../../src/aep/http';
import { ImsTokenProvider } from '../../src/aep/ims-token';
import { z } from 'zod';
import { simulatorDefaults } from '../../src/simulator/defaults';
import { collect, freshSandbox, rejectionOf, SimulatorFixture } from './simulator-fixture';
import { baseConnectionBody } from './onetrust-resources';

const connectionsPath = '/data/foundation/flowservice/connections';

// The gateway codes asserted here, 403003 "Api Key is invalid" and 401013 "Oauth token is not valid", are quoted in
// help/landing/troubleshooting.md (aep-contract.md §1); IMS's invalid_client is the OAuth 2 code of RFC 6749 §5.2.
describe('AEP client: retries and IMS tokens', () => {
  let fixture: SimulatorFixture;

  before(async () => {
    fixture = await SimulatorFixture.start();
  });
  afterEach(async () => {
    await fixture.clearFaults();
  });
  after(async () => {
    await fixture?.close();
  });

  async function imsCalls(): Promise<number> {
    return (await fixture.requests()).filter((entry) => entry.path === '/ims/token/v3').length;
  }

  describe('retry classification', () => {
    it('reports 429 with Retry-After as retryable and carries the wait once in-process retries are spent', async () => {
      // A 429'd write is resent in process (see pacing.test.ts); with one attempt the caller sees the 429 itself.
      const client = fixture.client({ retries: { maxAttempts: 1 } });
      try {
        const { flowService } = client.forSandbox(freshSandbox('throttled'));
        await fixture.addFault({ method: 'POST', path: 'flowservice/connections$', status: 429, retryAfter: 7 });
        await fixture.clearRequests();
        const throttled = await rejectionOf(flowService.createConnection(baseConnectionBody('throttled')));
        assert.ok(throttled instanceof AepError);
        assert.equal(throttled.status, 429);
        assert.equal(throttled.retryable, true);
        assert.equal(throttled.retryAfterMs, 7000);
        const posts = (await fixture.requests()).filter(
          (entry) => entry.method === 'POST' && entry.path === connectionsPath,
        );
        assert.equal(posts.length, 1, 'maxAttempts 1: sent once');
      } finally {
        await client.close();
      }
    });

    it('reads Retry-After given as an HTTP date', async () => {
      const client = fixture.client({ retries: { maxAttempts: 1 } });
      try {
        const { flowService } = client.forSandbox(freshSandbox('datethrottle'));
        const inThirtySeconds = new Date(Date.now() + 30_000).toUTCString();
        await fixture.addFault({
          method: 'GET',
          path: 'flowservice/connections',
          status: 429,
          retryAfter: inThirtySeconds,
        });
        const throttled = await rejectionOf(collect(flowService.listConnections()));
        assert.ok(throttled instanceof AepError);
        assert.ok(
          throttled.retryAfterMs !== undefined && throttled.retryAfterMs > 25_000 && throttled.retryAfterMs <= 30_000,
        );
      } finally {
        await client.close();
      }
    });

    it('reports 503 as retryable and 400 as not', async () => {
      const client = fixture.client({ retries: { maxAttempts: 1 } });
      try {
        const { flowService } = client.forSandbox(freshSandbox('classify'));
        await fixture.addFault({ method: 'POST', path: 'flowservice/connections$', status: 503, times: 1 });
        const unavailable = await rejectionOf(flowService.createConnection(baseConnectionBody('unavailable')));
        assert.ok(unavailable instanceof AepError);
        assert.equal(unavailable.status, 503);
        assert.equal(unavailable.retryable, true);

        const badBody = { ...baseConnectionBody('bad'), connectionSpec: undefined };
        const invalid = await rejectionOf(flowService.createConnection(badBody as never));
        assert.ok(invalid instanceof AepError);
        assert.equal(invalid.status, 400);
        assert.equal(invalid.retryable, false);
      } finally {
        await client.close();
      }
    });

    it('retries a GET after a transient 503 and succeeds', async () => {
      const client = fixture.client();
      try {
        const { flowService } = client.forSandbox(freshSandbox('transient'));
        const created = await flowService.createConnection(baseConnectionBody('transient'));
        await fixture.addFault({ method: 'GET', path: `connections/${created.id}$`, status: 503, times: 1 });
        await fixture.clearRequests();
        const read = await flowService.getConnection(created.id);
        assert.equal(read.id, created.id);
        const gets = (await fixture.requests()).filter((entry) => entry.path === `${connectionsPath}/${created.id}`);
        assert.deepEqual(
          gets.map((entry) => entry.status),
          [503, 200],
        );
      } finally {
        await client.close();
      }
    });

    it('gives up on a GET after maxAttempts and reports the last failure', async () => {
      const client = fixture.client({ retries: { maxAttempts: 2, initialDelayMs: 1 } });
      try {
        const { flowService } = client.forSandbox(freshSandbox('persistent'));
        await fixture.addFault({ method: 'GET', path: 'flowservice/connections', status: 500 });
        await fixture.clearRequests();
        const failed = await rejectionOf(collect(flowService.listConnections()));
        assert.ok(failed instanceof AepError);
        assert.equal(failed.status, 500);
        const gets = (await fixture.requests()).filter((entry) => entry.path === connectionsPath);
        assert.equal(gets.length, 2);
      } finally {
        await client.close();
      }
    });

    it('reports a connection dropped after commit as a retryable network error', async () => {
      const client = fixture.client({ retries: { maxAttempts: 1 } });
      try {
        const { flowService } = client.forSandbox(freshSandbox('dropped'));
        await fixture.addFault({ method: 'POST', path: 'flowservice/connections$', dropAfterCommit: true, times: 1 });
        const dropped = await rejectionOf(flowService.createConnection(baseConnectionBody('dropped')));
        assert.ok(dropped instanceof AepError);
        assert.equal(dropped.status, undefined);
        assert.equal(dropped.retryable, true);
        assert.match(dropped.message, /^POST \/data\/foundation\/flowservice\/connections failed: /);
        // The create happened even though the answer was lost: that is why writes are left to the activity layer.
        assert.equal((await collect(flowService.listConnections({ property: ['name==dropped'] }))).length, 1);
      } finally {
        await client.close();
      }
    });

    it('reports a timeout as a retryable network error', async () => {
      const client = fixture.client({ timeoutMs: 200, retries: { maxAttempts: 1 } });
      try {
        const { flowService } = client.forSandbox(freshSandbox('slow'));
        await fixture.addFault({ method: 'GET', path: 'flowservice/connections', delayMs: 3000, times: 1 });
        const slow = await rejectionOf(collect(flowService.listConnections()));
        assert.ok(slow instanceof AepError);
        assert.equal(slow.status, undefined);
        assert.equal(slow.retryable, true);
        assert.match(slow.message, /timed out/);
      } finally {
        await client.close();
      }
    });
  });

  describe('gateway errors', () => {
    it('reports an API key that does not match the token as 403003', async () => {
      const transport = new HttpTransport();
      try {
        const settings = fixture.settings();
        const tokens = new ImsTokenProvider(transport, settings);
        const requester = new AepRequester(
          transport,
          tokens,
          { platformUrl: settings.platformUrl, clientId: 'someone-elses-key', orgId: settings.orgId },
          freshSandbox('apikey'),
        );
        const refused = await rejectionOf(
          requester.send({ method: 'GET', path: connectionsPath, schema: z.unknown() }),
        );
        assert.ok(refused instanceof AepError);
        assert.equal(refused.status, 403);
        assert.equal(refused.code, '403003');
        assert.equal(refused.retryable, false);
        assert.equal(refused.message, `GET ${connectionsPath} failed: HTTP 403 403003: Api Key is invalid`);
      } finally {
        await transport.close();
      }
    });

    it('reports wrong IMS credentials as invalid_client without echoing the secret', async () => {
      const client = fixture.client({}, { clientSecret: 'definitely-wrong-secret' });
      try {
        const refused = await rejectionOf(client.forSandbox(freshSandbox('badims')).schemaRegistry.getStats());
        assert.ok(refused instanceof AepError);
        assert.equal(refused.status, 401);
        assert.equal(refused.code, 'invalid_client');
        assert.equal(refused.retryable, false);
        assert.equal(refused.path, '/ims/token/v3');
        assert.doesNotMatch(refused.message, /definitely-wrong-secret/);
      } finally {
        await client.close();
      }
    });
  });

  describe('IMS token cache', () => {
    it('mints one token for many requests', async () => {
      const client = fixture.client();
      try {
        await fixture.clearRequests();
        const { schemaRegistry } = client.forSandbox(freshSandbox('cache'));
        for (let index = 0; index < 5; index++) await schemaRegistry.getStats();
        await client.forSandbox(freshSandbox('cache2')).schemaRegistry.getStats();
        assert.equal(await imsCalls(), 1);
        assert.equal(client.tokens.tokensIssued, 1);
      } finally {
        await client.close();
      }
    });

    it('shares one renewal between concurrent callers', async () => {
      const client = fixture.client();
      try {
        await fixture.clearRequests();
        // A slow IMS makes sure all callers arrive while the first renewal is still in flight.
        await fixture.addFault({ path: '^/ims/token/v3', delayMs: 300, times: 1 });
        const { schemaRegistry } = client.forSandbox(freshSandbox('concurrent'));
        const answers = await Promise.all(Array.from({ length: 20 }, () => schemaRegistry.getStats()));
        assert.equal(answers.length, 20);
        assert.equal(await imsCalls(), 1);
      } finally {
        await client.close();
      }
    });

    it('renews the token once the renewal margin is reached', async () => {
      const transport = new HttpTransport();
      try {
        let now = Date.now();
        // IMS tokens live 86399 s; with a 1-hour margin the token must be renewed after 86399 - 3600 s.
        const tokens = new ImsTokenProvider(transport, fixture.settings(), {
          renewalMarginMs: 3600_000,
          now: () => now,
        });
        const first = await tokens.accessToken();
        now += (86399 - 3600 - 1) * 1000;
        assert.equal(await tokens.accessToken(), first, 'still inside the lifetime minus the margin');
        now += 2000;
        const second = await tokens.accessToken();
        assert.notEqual(second, first);
        assert.equal(tokens.tokensIssued, 2);
      } finally {
        await transport.close();
      }
    });

    it('renews before expiry through the client option tokenRenewalMarginMs', async () => {
      // A margin longer than the token's lifetime means every call finds the token due for renewal.
      const client = fixture.client({ tokenRenewalMarginMs: 90_000_000 });
      try {
        const { schemaRegistry } = client.forSandbox(freshSandbox('margin'));
        await schemaRegistry.getStats();
        await schemaRegistry.getStats();
        assert.equal(client.tokens.tokensIssued, 2);
      } finally {
        await client.close();
      }
    });

    it('renews the token once after a gateway 401013 and then succeeds', async () => {
      const client = fixture.client();
      try {
        const { schemaRegistry } = client.forSandbox(freshSandbox('renew401'));
        await schemaRegistry.getStats();
        await fixture.addFault({
          path: 'schemaregistry/stats',
          status: 401,
          body: { error_code: '401013', message: 'Oauth token is not valid' },
          times: 1,
        });
        const stats = await schemaRegistry.getStats();
        assert.equal(stats.tenantId, simulatorDefaults.tenantId);
        assert.equal(client.tokens.tokensIssued, 2);
      } finally {
        await client.close();
      }
    });

    it('gives up after one renewal when the gateway keeps answering 401013', async () => {
      const client = fixture.client();
      try {
        const { flowService } = client.forSandbox(freshSandbox('still401'));
        await fixture.addFault({
          method: 'POST',
          path: 'flowservice/connections$',
          status: 401,
          body: { error_code: '401013', message: 'Oauth token is not valid' },
        });
        const refused = await rejectionOf(flowService.createConnection(baseConnectionBody('never')));
        assert.ok(refused instanceof AepError);
        assert.equal(refused.status, 401);
        assert.equal(refused.code, '401013');
        assert.equal(refused.retryable, false);
        assert.equal(client.tokens.tokensIssued, 2, 'one token, then exactly one renewal');
      } finally {
        await client.close();
      }
    });
  });
});
