/**
 * Where each side finds its keys: the worker its keyring (file or inline) and/or the legacy key; the CLI the public
 * key, else the public half of a keyring, else the legacy key. Without any, production refuses and development
 * creates a keyring once.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodePublicKey, generateSecretsKeyPair, loadSecretBox, loadSecretSealer } from '../../src/secrets';
import { readOrCreateDevelopmentKeyring } from '../../src/secrets/development-keys';
import { serializeKeyring } from '../../src/secrets/keyring';
import { createKeyringFile } from '../../src/secrets/keyring-file';

const token = 'eyJhbGciOiJIUzI1NiJ9.eyJleHAiOjE5MDAwMDAwMDB9.c2lnbmF0dXJl';

function temporaryFolder(): string {
  return mkdtempSync(join(tmpdir(), 'secrets-keys-'));
}

describe('loading the secrets keys', () => {
  it('the CLI seals with DATAFLOW_SECRETS_PUBLIC_KEY(_FILE); the worker opens with DATAFLOW_SECRETS_KEYRING_FILE', () => {
    const folder = temporaryFolder();
    const key = generateSecretsKeyPair();
    const keyringFile = join(folder, 'keyring.json');
    createKeyringFile(keyringFile, [key]);
    const publicKeyFile = join(folder, 'public.key');
    writeFileSync(publicKeyFile, `${encodePublicKey(key.publicKey)}\n`);

    const worker = loadSecretBox({ DATAFLOW_SECRETS_KEYRING_FILE: keyringFile });
    for (const cliEnv of [
      { DATAFLOW_SECRETS_PUBLIC_KEY: encodePublicKey(key.publicKey) },
      { DATAFLOW_SECRETS_PUBLIC_KEY_FILE: publicKeyFile },
      // Where the keyring is (the demo, an operator's machine): only its public half is used.
      { DATAFLOW_SECRETS_KEYRING_FILE: keyringFile },
      { DATAFLOW_SECRETS_KEYRING: readFileSync(keyringFile, 'utf8') },
    ]) {
      const cli = loadSecretSealer(cliEnv);
      assert.equal('open' in cli, false, `${Object.keys(cliEnv)[0]}: the CLI cannot open`);
      const sealed = cli.seal(token);
      assert.match(sealed.sealed, new RegExp(`^v2\\.${key.keyId}\\.`));
      assert.equal(worker.open(sealed), token);
    }
  });

  it('a PEM public key works too, and a bad one is refused naming the variable', () => {
    const key = generateSecretsKeyPair();
    const pem = key.publicKey.export({ format: 'pem', type: 'spki' }).toString();
    assert.equal(loadSecretSealer({ DATAFLOW_SECRETS_PUBLIC_KEY: pem }).keyId, key.keyId);
    assert.throws(
      () => loadSecretSealer({ DATAFLOW_SECRETS_PUBLIC_KEY: 'x25519:short' }),
      /DATAFLOW_SECRETS_PUBLIC_KEY/,
    );
  });

  it('the worker and the CLI keep working with only the legacy DATAFLOW_SECRETS_KEY (v1, as before)', () => {
    const env = { DATAFLOW_SECRETS_KEY: randomBytes(32).toString('base64') };
    const sealed = loadSecretSealer(env).seal(token);
    assert.match(sealed.sealed, /^v1\./);
    assert.equal(loadSecretBox(env).open(sealed), token);
  });

  it('a worker given both opens v1 values with the legacy key and v2 values with the keyring', () => {
    const folder = temporaryFolder();
    const keyringFile = join(folder, 'keyring.json');
    createKeyringFile(keyringFile, [generateSecretsKeyPair()]);
    const legacyEnv = { DATAFLOW_SECRETS_KEY: randomBytes(32).toString('base64') };
    const worker = loadSecretBox({ ...legacyEnv, DATAFLOW_SECRETS_KEYRING_FILE: keyringFile });

    assert.equal(worker.open(loadSecretSealer(legacyEnv).seal('old')), 'old');
    assert.equal(worker.open(loadSecretSealer({ DATAFLOW_SECRETS_KEYRING_FILE: keyringFile }).seal('new')), 'new');
  });

  it('refuses a worker given only a public key: it needs the private keys', () => {
    const key = generateSecretsKeyPair();
    assert.throws(
      () => loadSecretBox({ DATAFLOW_SECRETS_PUBLIC_KEY: encodePublicKey(key.publicKey) }),
      /a public key only seals: the worker .* needs the private keys, DATAFLOW_SECRETS_KEYRING_FILE/,
    );
  });

  it('with NODE_ENV=production and no key, both sides refuse and say how to make one', () => {
    for (const load of [loadSecretBox, loadSecretSealer]) {
      assert.throws(
        () => load({ NODE_ENV: 'production' }),
        /no secrets key configured, and NODE_ENV=production never creates one\. Create a keyring once with `npm run secrets -- create-key/,
      );
    }
  });

  it('refuses a keyring whose key id does not match its private key, or that is not a keyring', () => {
    const key = generateSecretsKeyPair();
    const keyring = JSON.parse(serializeKeyring([key])) as { keys: { keyId: string }[] };
    keyring.keys[0]!.keyId = 'someOtherId';
    assert.throws(
      () => loadSecretBox({ DATAFLOW_SECRETS_KEYRING: JSON.stringify(keyring) }),
      new RegExp(`does not match its privateKey \\(the private key's id is ${key.keyId}\\)`),
    );
    assert.throws(() => loadSecretBox({ DATAFLOW_SECRETS_KEYRING: '{"keys": []}' }), /at least one key/);
    assert.throws(() => loadSecretBox({ DATAFLOW_SECRETS_KEYRING_FILE: '/nonexistent/keyring.json' }), /cannot read/);
  });

  it('in development, the default keyring is created once (mode 0600), saying so, and then reused', () => {
    const path = join(temporaryFolder(), 'data', 'secrets-keyring.json');
    const created: string[] = [];
    const first = readOrCreateDevelopmentKeyring((file, keyId) => created.push(`${file} ${keyId}`), path);
    const second = readOrCreateDevelopmentKeyring((file, keyId) => created.push(`${file} ${keyId}`), path);

    assert.deepEqual(created, [`${path} ${first[0]!.keyId}`]);
    assert.deepEqual(
      second.map((key) => key.keyId),
      first.map((key) => key.keyId),
    );
    assert.equal(statSync(path).mode & 0o777, 0o600);
  });
});
