/**
 * The worker's secret box: opens v2 values with whichever keyring key their key id names, and v1 values with the
 * legacy shared key when one is configured, so monitors running since before keyrings keep their sealed tokens
 * working after the upgrade. Seals (tokens the worker mints itself) with the newest keyring key, or with the
 * legacy key while there is no keyring.
 */
import { createPublicKeySealer, openWithPrivateKey } from './public-key-sealing';
import { sealedFormats, splitSealedSecret, type SealedSecret } from '../contracts/sealed-secret';
import { SecretBoxError, SecretKeyMissingError, type SecretBox, type SecretSealer } from './secret-box';
import { newestKey, type SecretsKeyring } from './keyring';

export interface KeyringSecretBox extends SecretBox {
  /** Ids of the keyring keys this box opens with, oldest first (for the worker's start-up log). */
  readonly keyringKeyIds: readonly string[];
  /** The legacy shared key's id, when v1 values can be opened. */
  readonly legacyKeyId: string | undefined;
}

export interface KeyringSecretBoxKeys {
  keyring: SecretsKeyring;
  /** The DATAFLOW_SECRETS_KEY box, for v1 values. */
  legacy?: SecretBox | undefined;
}

export function createKeyringSecretBox({ keyring, legacy }: KeyringSecretBoxKeys): KeyringSecretBox {
  const newest = newestKey(keyring);
  const sealer: SecretSealer | undefined = newest ? createPublicKeySealer(newest) : legacy;
  if (!sealer) throw new SecretBoxError('a secret box needs at least one key: a keyring key or the legacy key');
  const byId = new Map(keyring.map((key) => [key.keyId, key]));
  const keyringKeyIds = keyring.map((key) => key.keyId);

  return {
    keyId: sealer.keyId,
    keyringKeyIds,
    legacyKeyId: legacy?.keyId,
    seal: (plaintext) => sealer.seal(plaintext),
    open(secret: SealedSecret): string {
      const parts = splitSealedSecret(secret);
      if (!parts) {
        throw new SecretBoxError('not a sealed secret (expected v2.<keyId>.<ephemeralKey>.<iv>.<ciphertext>)');
      }
      if (parts.version === sealedFormats.legacySharedKey) {
        if (!legacy) {
          throw new SecretKeyMissingError(
            `the secret was sealed with legacy shared key ${parts.keyId} (a v1 value); this worker has no legacy ` +
              'key: set DATAFLOW_SECRETS_KEY_FILE (or DATAFLOW_SECRETS_KEY) to the key that sealed it, next to ' +
              'the keyring',
            parts.keyId,
            keyringKeyIds,
          );
        }
        return legacy.open(secret);
      }
      const key = byId.get(parts.keyId);
      if (!key) {
        const held = keyringKeyIds.length > 0 ? `holds keys ${keyringKeyIds.join(', ')}` : 'holds no keyring key';
        throw new SecretKeyMissingError(
          `the secret was sealed with key ${parts.keyId}; this worker ${held}: add ${parts.keyId}'s private key ` +
            "to DATAFLOW_SECRETS_KEYRING_FILE (or DATAFLOW_SECRETS_KEYRING), or give the CLI this worker's " +
            'public key (npm run secrets -- public-key)',
          parts.keyId,
          keyringKeyIds,
        );
      }
      return openWithPrivateKey(key, parts);
    },
  };
}
