/**
 * The v2 format: the CLI seals with the worker's public key alone and cannot open the result; the worker opens it
 * with the private key whose id the value names; any change to the sealed text is detected.
 */
import assert from 'node:assert/strict';
import {
  createKeyringSecretBox,
  createPublicKeySealer,
  generateSecretsKeyPair,
  isSealedSecret,
  SecretBoxError,
  type SecretsKeyPair,
} from '../../src/secrets';

const token = 'eyJhbGciOiJIUzI1NiJ9.eyJleHAiOjE5MDAwMDAwMDB9.c2lnbmF0dXJl';

function publicHalf(key: SecretsKeyPair) {
  return { keyId: key.keyId, publicKey: key.publicKey };
}

describe('sealed secrets: sealed to a public key (v2)', () => {
  it('round trip: sealed with the public key, opened with the private key; the text holds no plaintext', () => {
    const key = generateSecretsKeyPair();
    const sealer = createPublicKeySealer(publicHalf(key));
    const sealed = sealer.seal(token);

    assert.ok(isSealedSecret(sealed));
    assert.match(sealed.sealed, new RegExp(`^v2\\.${key.keyId}\\.[\\w-]{43}\\.[\\w-]{16}\\.[\\w-]+$`));
    assert.ok(!sealed.sealed.includes(token));
    const again = sealer.seal(token).sealed.split('.');
    assert.notEqual(again[2], sealed.sealed.split('.')[2], 'a fresh ephemeral key for every value');
    assert.equal(createKeyringSecretBox({ keyring: [key] }).open(sealed), token);
    assert.equal(createKeyringSecretBox({ keyring: [key] }).open(sealer.seal('')), '', 'even an empty secret');
  });

  it('the CLI side, holding only the public key, has no way to open what it sealed', () => {
    const key = generateSecretsKeyPair();
    const sealer = createPublicKeySealer(publicHalf(key));
    assert.equal('open' in sealer, false);
    // Another keyring (all a CLI could make up) cannot open it either.
    assert.throws(() => createKeyringSecretBox({ keyring: [generateSecretsKeyPair()] }).open(sealer.seal(token)));
  });

  it('detects tampering with any part: version, key id, ephemeral key, IV or ciphertext', () => {
    const key = generateSecretsKeyPair();
    const box = createKeyringSecretBox({ keyring: [key] });
    const parts = createPublicKeySealer(publicHalf(key)).seal(token).sealed.split('.');
    const flipFirstByte = (text: string) => {
      const bytes = Buffer.from(text, 'base64url');
      bytes[0] = bytes[0]! ^ 1;
      return bytes.toString('base64url');
    };
    for (const index of [2, 3, 4]) {
      const altered = [...parts];
      altered[index] = flipFirstByte(altered[index]!);
      assert.throws(() => box.open({ sealed: altered.join('.') }), /failed authentication|truncated/, `part ${index}`);
    }
    // Another value's ephemeral key spliced in: the key derived no longer matches.
    const other = createPublicKeySealer(publicHalf(key)).seal(token).sealed.split('.');
    assert.throws(
      () => box.open({ sealed: [...parts.slice(0, 2), other[2], ...parts.slice(3)].join('.') }),
      SecretBoxError,
    );
    // Truncated, relabelled as v1, or plaintext.
    assert.throws(() => box.open({ sealed: parts.slice(0, 4).join('.') }), /not a sealed secret/);
    assert.throws(() => box.open({ sealed: ['v1', ...parts.slice(1, 3), parts[4]].join('.') }), SecretBoxError);
    assert.throws(() => box.open({ sealed: `${parts.slice(0, 4).join('.')}.AAAA` }), /truncated/);
    assert.throws(() => box.open({ sealed: token }), /not a sealed secret/);
  });
});
