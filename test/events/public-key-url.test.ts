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
      publicKeyUrl(new URL('http://127.0.0.1:9000/base/'), '/io-events-keys/a.pem').href,
      'http://127.0.0.1:9000/base/io-events-keys/a.pem',
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
  ]) {
    it(`refuses ${JSON.stringify(path)}`, () => {
      assert.throws(() => publicKeyUrl(keyHost, path), KeyPathRefusedError);
    });
  }
});
