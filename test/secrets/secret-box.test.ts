/** The legacy v1 format (one shared AES key): what it sealed only a holder of the same key opens; tampering is detected. */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSecretBox, isSealedSecret, loadSecretBox, SecretBoxError } from '../../src/secrets';

describe('sealed secrets: the legacy shared key (v1)', () => {
  const token = 'eyJhbGciOiJIUzI1NiJ9.eyJleHAiOjE5MDAwMDAwMDB9.c2lnbmF0dXJl';

  it('opens what it sealed, and the sealed text does not contain the secret', () => {
    const box = createSecretBox(randomBytes(32));
    const sealed = box.seal(token);
    assert.ok(isSealedSecret(sealed));
    assert.match(sealed.sealed, new RegExp(`^v1\\.${box.keyId}\\.[\\w-]+\\.[\\w-]+$`));
    assert.ok(!sealed.sealed.includes(token));
    assert.notEqual(box.seal(token).sealed, sealed.sealed, 'a fresh IV every time');
    assert.equal(box.open(sealed), token);
  });

  it('refuses another key with a message that names both keys and the setting to fix', () => {
    const cliBox = createSecretBox(randomBytes(32));
    const workerBox = createSecretBox(randomBytes(32));
    assert.throws(
      () => workerBox.open(cliBox.seal(token)),
      new RegExp(
        `sealed with legacy key ${cliBox.keyId} but this process holds legacy key ${workerBox.keyId}: ` +
          'give the worker the DATAFLOW_SECRETS_KEY',
      ),
    );
  });

  it('detects tampering', () => {
    const box = createSecretBox(randomBytes(32));
    const parts = box.seal(token).sealed.split('.');
    const body = Buffer.from(parts[3]!, 'base64url');
    body[0] = body[0]! ^ 1;
    parts[3] = body.toString('base64url');
    assert.throws(() => box.open({ sealed: parts.join('.') }), SecretBoxError);
    assert.throws(() => box.open({ sealed: 'plaintext-token' }), /not a sealed secret/);
    assert.ok(!isSealedSecret({ sealed: 'plaintext-token' }));
  });

  it('loads the key from DATAFLOW_SECRETS_KEY or DATAFLOW_SECRETS_KEY_FILE, refusing a key of the wrong size', () => {
    const key = randomBytes(32).toString('base64');
    const fromEnv = loadSecretBox({ DATAFLOW_SECRETS_KEY: key });
    const file = join(mkdtempSync(join(tmpdir(), 'secrets-key-')), 'key');
    writeFileSync(file, `${key}\n`, { mode: 0o600 });
    const fromFile = loadSecretBox({ DATAFLOW_SECRETS_KEY_FILE: file });
    assert.equal(fromFile.open(fromEnv.seal(token)), token);
    assert.match(fromEnv.seal(token).sealed, /^v1\./, 'with no keyring, the worker still seals with the legacy key');
    assert.throws(
      () => loadSecretBox({ DATAFLOW_SECRETS_KEY: randomBytes(16).toString('base64') }),
      /exactly 32 bytes/,
    );
  });
});
