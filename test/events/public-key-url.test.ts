import assert from 'node:assert/strict';
import { KeyPathRefusedError, publicKeyUrl } from '../../src/events';

describe('events: public key paths stay on the key host', () => {
  const keyHost = new URL('https://static.adobeioevents.com');

  it('joins a relative path with the key host', () => {
    assert.equal(
      publicKeyUrl(keyHost, '/prod/keys/pub-key-voy5XEbWmT.pem').href,
      'https://static.adobeioevents.com/prod/keys/pub-key-voy5XEbWmT.pem',
    );
    assert.equal(
      publicKeyUrl(new URL('http://127.0.0.1:9000/base/'), '/io-events-keys/pub-key-0b6c-4e1f.pem').href,
      'http://127.0.0.1:9000/base/io-events-keys/pub-key-0b6c-4e1f.pem',
    );
  });

  for (const path of [
    'https://evil.example/key.pem',
    '//evil.example/key.pem',
    '/prod/../../evil.pem',
    '/prod/./key.pem',
    '/prod//key.pem',
    '/prod/%2e%2e/key.pem',
    '/prod\\key.pem',
    '/key.pem?x=1',
    '/key.pem#x',
    '/@evil.example/key.pem',
    'prod/key.pem',
    '',
    // Not of the documented shape /<dir>[/<dir>]/pub-key-<id>.pem, though on the key host: never fetched.
    '/prod/keys/private.pem',
    '/pub-key-voy5XEbWmT.pem',
    '/a/b/c/pub-key-voy5XEbWmT.pem',
    '/prod/keys/pub-key-voy5XEbWmT.pem.bak',
    '/prod/keys/pub-key-.pem',
    `/prod/keys/pub-key-${'a'.repeat(65)}.pem`,
  ]) {
    it(`refuses ${JSON.stringify(path)}`, () => {
      assert.throws(() => publicKeyUrl(keyHost, path), KeyPathRefusedError);
    });
  }
});
