/**
 * A secret as it may travel through Temporal: workflow inputs, signals, updates and activity payloads.
 * Only a worker holding the matching private key (or, for v1, the shared legacy key) can open it; history and
 * the Web UI show the sealed text.
 */
export interface SealedSecret {
  /**
   * Each part base64url:
   * - `v2.<keyId>.<ephemeralPublicKey>.<iv>.<ciphertext+tag>`: sealed to a worker's X25519 public key.
   * - `v1.<keyId>.<iv>.<ciphertext+tag>`: sealed with the legacy shared AES key (values from earlier releases).
   */
  sealed: string;
}

export const sealedFormats = {
  legacySharedKey: 'v1',
  publicKey: 'v2',
} as const;

export type SealedFormat = (typeof sealedFormats)[keyof typeof sealedFormats];

const partCounts: Record<SealedFormat, number> = { v1: 4, v2: 5 };

/** The sealed text split into its parts, the version and key id first; undefined when it is not sealed text. */
export interface SealedParts {
  version: SealedFormat;
  keyId: string;
  /** The parts after the key id, still base64url. */
  rest: string[];
}

export function splitSealedSecret(secret: unknown): SealedParts | undefined {
  if (!hasSealedText(secret)) return undefined;
  const parts = secret.sealed.split('.');
  const [version, keyId, ...rest] = parts;
  if (version !== sealedFormats.legacySharedKey && version !== sealedFormats.publicKey) return undefined;
  if (parts.length !== partCounts[version] || !keyId || rest.some((part) => part === '')) return undefined;
  return { version, keyId, rest };
}

/** Cheap shape check (no decryption) so validation can refuse plaintext where a sealed value belongs. */
export function isSealedSecret(value: unknown): value is SealedSecret {
  return splitSealedSecret(value) !== undefined;
}

function hasSealedText(value: unknown): value is SealedSecret {
  return typeof value === 'object' && value !== null && typeof (value as { sealed?: unknown }).sealed === 'string';
}
