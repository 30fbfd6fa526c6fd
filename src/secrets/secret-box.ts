/**
 * What the two sides of sealing can do. The CLI gets a SecretSealer: with the worker's public key it can seal but
 * never open. The worker gets a SecretBox: it opens with its private keys, and seals what it mints itself.
 */
import type { SealedSecret } from '../contracts/sealed-secret';

export interface SecretSealer {
  /** The key new values are sealed with (not secret; it names the key, so a mismatch can say which one). */
  readonly keyId: string;
  seal(plaintext: string): SealedSecret;
}

export interface SecretBox extends SecretSealer {
  open(secret: SealedSecret): string;
}

export class SecretBoxError extends Error {
  override readonly name = 'SecretBoxError';
}

/** The value names a key this side does not hold: `keyId` says which one to bring back. */
export class SecretKeyMissingError extends SecretBoxError {
  constructor(
    message: string,
    readonly keyId: string,
    /** The keyring keys this side does hold, oldest first. */
    readonly heldKeyIds: readonly string[],
  ) {
    super(message);
  }
}
