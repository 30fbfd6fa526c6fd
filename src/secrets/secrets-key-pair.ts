/**
 * One X25519 key pair of a worker's keyring, and its text forms. The key id is a digest of the public key, so
 * the CLI's public key, the worker's private key and every value sealed to it agree on the id by construction.
 * Text forms: a public key is `x25519:<base64url of 32 bytes>` (a PEM "PUBLIC KEY" is accepted too); a private
 * key, found only in keyring files, is the base64url of its 32 bytes.
 */
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { SecretBoxError } from './secret-box';

export interface SecretsPublicKey {
  keyId: string;
  publicKey: KeyObject;
}

export interface SecretsKeyPair extends SecretsPublicKey {
  privateKey: KeyObject;
  /** ISO 8601; the newest key of a keyring seals. */
  createdAt: string;
}

const rawKeyLength = 32;
const publicKeyPrefix = 'x25519:';
// DER headers of X25519 keys (RFC 8410): what precedes the 32 raw bytes in SPKI and PKCS#8.
const spkiHeader = Buffer.from('302a300506032b656e032100', 'hex');
const pkcs8Header = Buffer.from('302e020100300506032b656e04220420', 'hex');

export function generateSecretsKeyPair(now: Date = new Date()): SecretsKeyPair {
  const { publicKey, privateKey } = generateKeyPairSync('x25519');
  return { keyId: secretsKeyId(publicKey), publicKey, privateKey, createdAt: now.toISOString() };
}

/** The first 8 bytes of SHA-256 over the raw public key, base64url (11 characters). */
export function secretsKeyId(publicKey: KeyObject): string {
  return createHash('sha256').update(rawPublicKey(publicKey)).digest().subarray(0, 8).toString('base64url');
}

export function rawPublicKey(publicKey: KeyObject): Buffer {
  return publicKey.export({ format: 'der', type: 'spki' }).subarray(spkiHeader.length);
}

export function publicKeyFromRaw(raw: Buffer): KeyObject {
  return createPublicKey({ key: Buffer.concat([spkiHeader, raw]), format: 'der', type: 'spki' });
}

export function encodePublicKey(publicKey: KeyObject): string {
  return publicKeyPrefix + rawPublicKey(publicKey).toString('base64url');
}

/** Reads `x25519:<base64url>` or a PEM public key; `source` names where it came from in errors. */
export function decodePublicKey(text: string, source: string): SecretsPublicKey {
  const trimmed = text.trim();
  let publicKey: KeyObject;
  try {
    if (trimmed.startsWith(publicKeyPrefix)) {
      const raw = Buffer.from(trimmed.slice(publicKeyPrefix.length), 'base64url');
      if (raw.length !== rawKeyLength) throw new Error(`expected ${rawKeyLength} bytes, got ${raw.length}`);
      publicKey = publicKeyFromRaw(raw);
    } else {
      publicKey = createPublicKey(trimmed);
    }
  } catch (error) {
    throw new SecretBoxError(
      `${source} must hold a secrets public key "${publicKeyPrefix}…" as printed by \`npm run secrets -- public-key\` ` +
        `(${(error as Error).message})`,
    );
  }
  if (publicKey.asymmetricKeyType !== 'x25519') {
    throw new SecretBoxError(`${source} holds a ${publicKey.asymmetricKeyType ?? 'unknown'} key, not an X25519 key`);
  }
  return { keyId: secretsKeyId(publicKey), publicKey };
}

export function encodePrivateKey(privateKey: KeyObject): string {
  return privateKey.export({ format: 'der', type: 'pkcs8' }).subarray(pkcs8Header.length).toString('base64url');
}

export function decodePrivateKey(text: string, source: string): KeyObject {
  const raw = Buffer.from(text.trim(), 'base64url');
  if (raw.length !== rawKeyLength) {
    throw new SecretBoxError(`${source}: a private key must be base64url of ${rawKeyLength} bytes (got ${raw.length})`);
  }
  return createPrivateKey({ key: Buffer.concat([pkcs8Header, raw]), format: 'der', type: 'pkcs8' });
}
