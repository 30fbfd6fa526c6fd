/**
 * How a spec's OneTrust base URL and client credentials differ from the monitor's, as plain functions (no server):
 * what `plan` lists and `provision` applies, and what the applySpec update refuses before it is recorded.
 */
import assert from 'node:assert/strict';
import {
  clientSecretsToCompare,
  oneTrustEndpointDifferences,
  type OneTrustEndpoint,
} from '../../src/contracts/onetrust-endpoint-changes';
import { oneTrustEndpointProblem } from '../../src/contracts/request-validation';

const sealed = (text: string) => ({ sealed: `v2.key.${text}.iv.body` });
const baseUrl = 'https://app.onetrust.com';
const withClient = (clientId: string, secret = 'a', url = baseUrl): OneTrustEndpoint => ({
  baseUrl: url,
  clientCredentials: { clientId, clientSecret: sealed(secret) },
});

describe('OneTrust endpoint differences', function () {
  it('nothing when the base URL, client id and (compared) secret are the same', function () {
    assert.ok(clientSecretsToCompare(withClient('c1'), withClient('c1', 'b')));
    assert.deepEqual(oneTrustEndpointDifferences(withClient('c1'), withClient('c1', 'b'), true), {
      baseUrlChanged: false,
      credentials: 'none',
      changes: [],
    });
    assert.deepEqual(oneTrustEndpointDifferences({ baseUrl }, { baseUrl }, false).changes, []);
  });

  it('a secret that compares different is a replaced secret, named by client id only', function () {
    const { credentials, changes } = oneTrustEndpointDifferences(withClient('c1'), withClient('c1', 'b'), false);
    assert.equal(credentials, 'replaced');
    assert.deepEqual(changes, ['OneTrust client secret replaced (client id c1)']);
  });

  it('another client id is a replacement whatever the secret, without comparing secrets', function () {
    assert.equal(clientSecretsToCompare(withClient('c1'), withClient('c2')), false);
    assert.deepEqual(oneTrustEndpointDifferences(withClient('c1'), withClient('c2'), false).changes, [
      'OneTrust client credentials replaced (client id c1 → c2)',
    ]);
  });

  it('credentials added turn automatic rotation on, removed turn it off', function () {
    const added = oneTrustEndpointDifferences({ baseUrl }, withClient('c1'), false);
    assert.equal(added.credentials, 'set');
    assert.deepEqual(added.changes, ['OneTrust client credentials set (client id c1): automatic token rotation on']);
    const removed = oneTrustEndpointDifferences(withClient('c1'), { baseUrl }, false);
    assert.equal(removed.credentials, 'removed');
    assert.deepEqual(removed.changes, [
      'OneTrust client credentials removed (client id c1): automatic token rotation off, expiry warnings resume',
    ]);
  });

  it('a new base URL, with or without credentials', function () {
    const eu = 'https://app-eu.onetrust.com';
    const moved = oneTrustEndpointDifferences(withClient('c1'), withClient('c1', 'a', eu), true);
    assert.equal(moved.baseUrlChanged, true);
    assert.equal(moved.credentials, 'none');
    assert.deepEqual(moved.changes, [`OneTrust base URL ${baseUrl} → ${eu}`]);
    assert.deepEqual(oneTrustEndpointDifferences({ baseUrl }, { baseUrl: eu }, false).changes, moved.changes);
  });
});

describe('applySpec refuses a OneTrust endpoint it cannot use, naming the field', function () {
  it('accepts a base URL alone, or with a sealed client secret', function () {
    assert.equal(oneTrustEndpointProblem({ baseUrl }), undefined);
    assert.equal(oneTrustEndpointProblem(withClient('c1')), undefined);
  });

  it('refuses a plaintext client secret, an empty client id and a base URL that is not http(s)', function () {
    assert.match(
      oneTrustEndpointProblem({ baseUrl, clientCredentials: { clientId: 'c1', clientSecret: 'plaintext' } }) ?? '',
      /^oneTrust\.clientCredentials\.clientSecret: must be a sealed secret/,
    );
    assert.match(
      oneTrustEndpointProblem({ baseUrl, clientCredentials: { clientId: ' ', clientSecret: sealed('a') } }) ?? '',
      /^oneTrust\.clientCredentials\.clientId: /,
    );
    assert.match(oneTrustEndpointProblem({ baseUrl: 'ftp://onetrust' }) ?? '', /^oneTrust\.baseUrl: /);
    assert.match(oneTrustEndpointProblem('https://app.onetrust.com') ?? '', /^oneTrust: /);
  });
});
