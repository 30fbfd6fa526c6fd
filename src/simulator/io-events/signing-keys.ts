/**
 * The simulator's own I/O Events signing keys: two RSA-2048 key pairs whose public halves it serves as PEM under
 * `/io-events-keys/pub-key-<uuid>.pem` (Adobe serves `/prod/keys/pub-key-<uuid>.pem` from static.adobeioevents.com),
 * and one "rogue" pair that is never served (the wrong-key fault signs with it).
 *
 * Rotation makes two new pairs with new paths. The retired public keys keep being served for 24 simulated hours,
 * the longest a receiver may cache a key, so a delivery signed just before a rotation still verifies; after that
 * their paths answer 404. Keys are made on first use (registration, key fetch, rotation) so simulators that never
 * deliver events start as fast as before.
 */
import { generateKeyPair, randomUUID, sign, type KeyObject } from 'node:crypto';
import type { Clock } from '../context';

export const signingKeyPathPrefix = '/io-events-keys/';

/** How long a rotated-out public key stays served, in simulated ms. */
const retiredKeyServedForMs = 24 * 3_600_000;

interface SigningKey {
  path: string;
  privateKey: KeyObject;
  publicKeyPem: string;
}

interface CurrentKeys {
  first: SigningKey;
  second: SigningKey;
  rogue: SigningKey;
}

/** Both signatures of one body, with the relative key paths the delivery headers name. */
export interface BodySignatures {
  signature1: string;
  signature2: string;
  publicKey1Path: string;
  publicKey2Path: string;
}

export class SigningKeys {
  private current: Promise<CurrentKeys> | undefined;
  /** Public keys of earlier rotations, by path, with the wall time they stop being served. */
  private readonly retired = new Map<string, { publicKeyPem: string; servedUntil: number }>();

  constructor(private readonly clock: Clock) {}

  /** Signs the raw body with both current keys; `withRogueKey` signs with a key that is not served instead. */
  async sign(body: string, withRogueKey = false): Promise<BodySignatures> {
    const keys = await this.keys();
    const data = Buffer.from(body, 'utf8');
    const signWith = (key: SigningKey) => sign('sha256', data, key.privateKey).toString('base64');
    return {
      signature1: signWith(withRogueKey ? keys.rogue : keys.first),
      signature2: signWith(withRogueKey ? keys.rogue : keys.second),
      publicKey1Path: keys.first.path,
      publicKey2Path: keys.second.path,
    };
  }

  /** The PEM served at a path, current or retired within its grace period; undefined for any other path. */
  async publicKeyPem(path: string): Promise<string | undefined> {
    const keys = await this.keys();
    for (const key of [keys.first, keys.second]) if (key.path === path) return key.publicKeyPem;
    const retired = this.retired.get(path);
    if (!retired) return undefined;
    if (this.clock.now() >= retired.servedUntil) {
      this.retired.delete(path);
      return undefined;
    }
    return retired.publicKeyPem;
  }

  /** Two new key pairs and paths; the old public keys stay served for a grace period. */
  async rotate(): Promise<{ publicKey1Path: string; publicKey2Path: string }> {
    const previous = await this.keys();
    const next = generateCurrentKeys();
    this.current = next;
    const servedUntil = this.clock.now() + this.clock.scaled(retiredKeyServedForMs);
    for (const key of [previous.first, previous.second]) {
      this.retired.set(key.path, { publicKeyPem: key.publicKeyPem, servedUntil });
    }
    const keys = await next;
    return { publicKey1Path: keys.first.path, publicKey2Path: keys.second.path };
  }

  async currentPaths(): Promise<{ publicKey1Path: string; publicKey2Path: string }> {
    const keys = await this.keys();
    return { publicKey1Path: keys.first.path, publicKey2Path: keys.second.path };
  }

  private keys(): Promise<CurrentKeys> {
    this.current ??= generateCurrentKeys();
    return this.current;
  }
}

async function generateCurrentKeys(): Promise<CurrentKeys> {
  const [first, second, rogue] = await Promise.all([generateSigningKey(), generateSigningKey(), generateSigningKey()]);
  return { first, second, rogue };
}

function generateSigningKey(): Promise<SigningKey> {
  return new Promise((resolve, reject) => {
    generateKeyPair('rsa', { modulusLength: 2048 }, (error, publicKey, privateKey) => {
      if (error) {
        reject(error);
        return;
      }
      resolve({
        path: `${signingKeyPathPrefix}pub-key-${randomUUID()}.pem`,
        privateKey,
        publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
      });
    });
  });
}
