/**
 * The v1 format: AES-256-GCM with one symmetric key shared by the CLI and the worker (DATAFLOW_SECRETS_KEY).
 * Kept so that tokens sealed by earlier releases, held by monitors that run for years, still open after the
 * upgrade, and so deployments that have not created a keyring yet keep working. New deployments use keyrings.
 * The key id in the sealed text is a short digest of the key, so opening with the wrong key fails with a message
 * that says so instead of "bad tag".
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { sealedFormats, splitSealedSecret, type SealedSecret } from '../contracts/sealed-secret';
import { SecretBoxError, type SecretBox } from './secret-box';

export const legacyKeyLength = 32;
const ivLength = 12;
const tagLength = 16;
const version = sealedFormats.legacySharedKey;

export function createSecretBox(key: Buffer): SecretBox {
  if (key.length !== legacyKeyLength) {
    throw new SecretBoxError(`the secrets key must be ${legacyKeyLength} bytes, got ${key.length}`);
  }
  const keyId = createHash('sha256').update(key).digest().subarray(0, 8).toString('base64url');
  // The key id and version are authenticated too, so a sealed text cannot be relabelled.
  const additionalData = Buffer.from(`${version}.${keyId}`);

  return {
    keyId,
    seal(plaintext: string): SealedSecret {
      const iv = randomBytes(ivLength);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      cipher.setAAD(additionalData);
      const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final(), cipher.getAuthTag()]);
      return { sealed: [version, keyId, iv.toString('base64url'), ciphertext.toString('base64url')].join('.') };
    },
    open(secret: SealedSecret): string {
      const parts = splitSealedSecret(secret);
      if (parts?.version !== version) {
        throw new SecretBoxError('not a sealed secret (expected v1.<keyId>.<iv>.<ciphertext>)');
      }
      if (parts.keyId !== keyId) {
        throw new SecretBoxError(
          `the secret was sealed with legacy key ${parts.keyId} but this process holds legacy key ${keyId}: ` +
            'give the worker the DATAFLOW_SECRETS_KEY (or DATAFLOW_SECRETS_KEY_FILE) the CLI sealed it with',
        );
      }
      const [ivText = '', bodyText = ''] = parts.rest;
      const body = Buffer.from(bodyText, 'base64url');
      if (body.length < tagLength) throw new SecretBoxError('sealed secret is truncated');
      const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(ivText, 'base64url'));
      decipher.setAAD(additionalData);
      decipher.setAuthTag(body.subarray(body.length - tagLength));
      try {
        return Buffer.concat([decipher.update(body.subarray(0, body.length - tagLength)), decipher.final()]).toString(
          'utf8',
        );
      } catch {
        throw new SecretBoxError('sealed secret failed authentication (corrupted or tampered with)');
      }
    },
  };
}
