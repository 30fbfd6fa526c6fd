/**
 * A secret as it may travel through Temporal: workflow inputs, signals, updates and activity payloads.
 * Only the worker and the CLI, which hold the key, can open it; history and the Web UI show the sealed text.
 */
export interface SealedSecret {
  /** `v1.<keyId>.<iv>.<ciphertext+tag>`, each part base64url. */
  sealed: string;
}

/** Cheap shape check (no decryption) so validation can refuse plaintext where a sealed value belongs. */
export function isSealedSecret(value: unknown): value is SealedSecret {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { sealed?: unknown }).sealed === 'string' &&
    (value as SealedSecret).sealed.startsWith('v1.')
  );
}
