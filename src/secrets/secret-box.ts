/**
 * AES-256-GCM sealing of secrets (DESIGN invariant 4). The key id in the sealed text is a short digest of
 * the key, so opening with the wrong key fails with a message that says so instead of "bad tag".
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import type { SealedSecret } from './sealed-secret';

export interface SecretBox {
  /** Identifies the key (not secret): the first 8 bytes of its SHA-256, base64url. */
  readonly keyId: string;
  seal(plaintext: string): SealedSecret;
  open(secret: SealedSecret): string;
}

const formatVersion = 'v1';
const keyLength = 32;
const ivLength = 12;
const tagLength = 16;

export class SecretBoxError extends Error {
  override readonly name = 'SecretBoxError';
}

export function createSecretBox(key: Buffer): SecretBox {
  if (key.length !== keyLength) {
    throw new SecretBoxError(`the secrets key must be ${keyLength} bytes, got ${key.length}`);
  }
  const keyId = createHash('sha256').update(key).digest().subarray(0, 8).toString('base64url');

  return {
    keyId,
    seal(plaintext: string): SealedSecret {
      const iv = randomBytes(ivLength);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      // The key id and version are authenticated too, so a sealed text cannot be relabelled.
      cipher.setAAD(Buffer.from(`${formatVersion}.${keyId}`));
      const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final(), cipher.getAuthTag()]);
      return { sealed: [formatVersion, keyId, iv.toString('base64url'), ciphertext.toString('base64url')].join('.') };
    },
    open(secret: SealedSecret): string {
      const parts = typeof secret?.sealed === 'string' ? secret.sealed.split('.') : [];
      const [version, sealedKeyId, ivText, bodyText] = parts;
      if (parts.length !== 4 || version !== formatVersion || !sealedKeyId || !ivText || !bodyText) {
        throw new SecretBoxError('not a sealed secret (expected v1.<keyId>.<iv>.<ciphertext>)');
      }
      if (sealedKeyId !== keyId) {
        throw new SecretBoxError(
          `the secret was sealed with key ${sealedKeyId} but this process holds key ${keyId}: ` +
            'give the worker and the client the same DATAFLOW_SECRETS_KEY',
        );
      }
      const body = Buffer.from(bodyText, 'base64url');
      if (body.length < tagLength) throw new SecretBoxError('sealed secret is truncated');
      const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(ivText, 'base64url'));
      decipher.setAAD(Buffer.from(`${formatVersion}.${keyId}`));
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
