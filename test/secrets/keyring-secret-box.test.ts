/**
 * The worker's keyring: every key opens what was sealed to it (so rotation loses nothing), the newest seals, v1
 * values still open with the legacy key, and a value sealed to a key the worker lacks says which key to add.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import {
  createKeyringSecretBox,
  createPublicKeySealer,
  createSecretBox,
  generateSecretsKeyPair,
  type SecretsKeyPair,
} from '../../src/secrets';

const token = 'eyJhbGciOiJIUzI1NiJ9.eyJleHAiOjE5MDAwMDAwMDB9.c2lnbmF0dXJl';

function sealTo(key: SecretsKeyPair, plaintext: string) {
  return createPublicKeySealer({ keyId: key.keyId, publicKey: key.publicKey }).seal(plaintext);
}

describe('the worker’s keyring', () => {
  it('after a rotation, opens values sealed with the old key and seals new values with the newest key', () => {
    const oldKey = generateSecretsKeyPair(new Date('2025-01-01T00:00:00Z'));
    const sealedBeforeRotation = sealTo(oldKey, token);
    const newKey = generateSecretsKeyPair(new Date('2026-01-01T00:00:00Z'));
    const box = createKeyringSecretBox({ keyring: [oldKey, newKey] });

    assert.equal(box.open(sealedBeforeRotation), token);
    assert.equal(box.open(sealTo(newKey, token)), token);
    assert.equal(box.keyId, newKey.keyId);
    const minted = box.seal('minted-by-the-worker');
    assert.match(minted.sealed, new RegExp(`^v2\\.${newKey.keyId}\\.`));
    assert.equal(box.open(minted), 'minted-by-the-worker');
    assert.deepEqual(box.keyringKeyIds, [oldKey.keyId, newKey.keyId]);
  });

  it('names the key a value was sealed with, the keys it holds, and the setting to fix', () => {
    const [heldA, heldB, missing] = [generateSecretsKeyPair(), generateSecretsKeyPair(), generateSecretsKeyPair()];
    const box = createKeyringSecretBox({ keyring: [heldA, heldB] });
    assert.throws(
      () => box.open(sealTo(missing, token)),
      (error: Error) => {
        assert.equal(error.name, 'SecretBoxError');
        assert.equal(
          error.message.split(':')[0],
          `the secret was sealed with key ${missing.keyId}; this worker holds keys ${heldA.keyId}, ${heldB.keyId}`,
        );
        assert.match(error.message, new RegExp(`add ${missing.keyId}'s private key to DATAFLOW_SECRETS_KEYRING_FILE`));
        return true;
      },
    );
    const legacyOnly = createKeyringSecretBox({ keyring: [], legacy: createSecretBox(randomBytes(32)) });
    assert.throws(() => legacyOnly.open(sealTo(missing, token)), /this worker holds no keyring key: add/);
  });

  it('still opens v1 values with the legacy shared key, next to its keyring', () => {
    const legacy = createSecretBox(randomBytes(32));
    const sealedByAnEarlierRelease = legacy.seal(token);
    const box = createKeyringSecretBox({ keyring: [generateSecretsKeyPair()], legacy });

    assert.equal(box.open(sealedByAnEarlierRelease), token);
    assert.match(box.seal(token).sealed, /^v2\./, 'the keyring seals, not the legacy key');
    assert.equal(box.legacyKeyId, legacy.keyId);
    assert.throws(
      () => createKeyringSecretBox({ keyring: [generateSecretsKeyPair()] }).open(sealedByAnEarlierRelease),
      new RegExp(`sealed with legacy shared key ${legacy.keyId} \\(a v1 value\\); this worker has no legacy key`),
    );
  });

  it('detects a tampered v2 value that names a key it holds', () => {
    const key = generateSecretsKeyPair();
    const parts = sealTo(key, token).sealed.split('.');
    const body = Buffer.from(parts[4]!, 'base64url');
    body[body.length - 1] = body[body.length - 1]! ^ 1;
    parts[4] = body.toString('base64url');
    assert.throws(() => createKeyringSecretBox({ keyring: [key] }).open({ sealed: parts.join('.') }), /tampered/);
  });
});
