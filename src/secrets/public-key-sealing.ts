/**
 * The v2 format: sealed to a worker's X25519 public key. Each value gets a fresh ephemeral key pair; ECDH between
 * it and the worker's key, through HKDF-SHA256, gives a one-time AES-256-GCM key. Whoever seals needs only the
 * public key and cannot open the result; only the holder of the private key can.
 * Sealed text: `v2.<keyId>.<ephemeralPublicKey>.<iv>.<ciphertext+tag>`; the version, key id and ephemeral key are
 * authenticated, so none can be swapped without the value failing to open.
 */
import {
  createCipheriv,
  createDecipheriv,
  diffieHellman,
  generateKeyPairSync,
  hkdfSync,
  randomBytes,
} from 'node:crypto';
import { sealedFormats, type SealedParts, type SealedSecret } from '../contracts/sealed-secret';
import { SecretBoxError, type SecretSealer } from './secret-box';
import { publicKeyFromRaw, rawPublicKey, type SecretsKeyPair, type SecretsPublicKey } from './secrets-key-pair';

const version = sealedFormats.publicKey;
const ivLength = 12;
const tagLength = 16;
const aesKeyLength = 32;
// Domain separation: a key derived here is never the key of any other protocol using the same X25519 keys.
const hkdfInfo = Buffer.from('onetrust-aep-dataflows sealed secret v2');

export function createPublicKeySealer(recipient: SecretsPublicKey): SecretSealer {
  const recipientRaw = rawPublicKey(recipient.publicKey);
  return {
    keyId: recipient.keyId,
    seal(plaintext: string): SealedSecret {
      const ephemeral = generateKeyPairSync('x25519');
      const ephemeralRaw = rawPublicKey(ephemeral.publicKey);
      const shared = diffieHellman({ privateKey: ephemeral.privateKey, publicKey: recipient.publicKey });
      const key = deriveKey(shared, ephemeralRaw, recipientRaw);
      const ephemeralText = ephemeralRaw.toString('base64url');
      const iv = randomBytes(ivLength);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      cipher.setAAD(additionalData(recipient.keyId, ephemeralText));
      const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final(), cipher.getAuthTag()]);
      return {
        sealed: [version, recipient.keyId, ephemeralText, iv.toString('base64url'), body.toString('base64url')].join(
          '.',
        ),
      };
    },
  };
}

/** Opens a v2 value whose key id is this key pair's (the caller chose the key pair by id). */
export function openWithPrivateKey(keyPair: SecretsKeyPair, parts: SealedParts): string {
  const [ephemeralText = '', ivText = '', bodyText = ''] = parts.rest;
  const body = Buffer.from(bodyText, 'base64url');
  const ephemeralRaw = Buffer.from(ephemeralText, 'base64url');
  if (body.length < tagLength || ephemeralRaw.length !== 32) throw new SecretBoxError('sealed secret is truncated');
  try {
    const shared = diffieHellman({ privateKey: keyPair.privateKey, publicKey: publicKeyFromRaw(ephemeralRaw) });
    const key = deriveKey(shared, ephemeralRaw, rawPublicKey(keyPair.publicKey));
    const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(ivText, 'base64url'));
    decipher.setAAD(additionalData(parts.keyId, ephemeralText));
    decipher.setAuthTag(body.subarray(body.length - tagLength));
    return Buffer.concat([decipher.update(body.subarray(0, body.length - tagLength)), decipher.final()]).toString(
      'utf8',
    );
  } catch {
    // A bad tag, or an ephemeral key that is not a usable point: either way the text was altered.
    throw new SecretBoxError('sealed secret failed authentication (corrupted or tampered with)');
  }
}

/** Both public keys go into the salt, binding the derived key to this exchange (as ECIES does). */
function deriveKey(shared: Buffer, ephemeralRaw: Buffer, recipientRaw: Buffer): Buffer {
  return Buffer.from(hkdfSync('sha256', shared, Buffer.concat([ephemeralRaw, recipientRaw]), hkdfInfo, aesKeyLength));
}

function additionalData(keyId: string, ephemeralText: string): Buffer {
  return Buffer.from(`${version}.${keyId}.${ephemeralText}`);
}
