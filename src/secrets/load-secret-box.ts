/**
 * The worker's keys: its keyring (DATAFLOW_SECRETS_KEYRING_FILE or DATAFLOW_SECRETS_KEYRING) and/or the legacy
 * shared key (DATAFLOW_SECRETS_KEY_FILE or DATAFLOW_SECRETS_KEY) for v1 values. With neither: in development the
 * keyring data/secrets-keyring.json, created on first use; with NODE_ENV=production, a refusal that says what to do.
 * With NODE_ENV=production the shared key alone is refused too, unless DATAFLOW_SECRETS_MIGRATING=1.
 */
import {
  readLegacyDevelopmentKey,
  readOrCreateDevelopmentKeyring,
  type KeyringCreatedListener,
} from './development-keys';
import { keyringFromEnvironment, legacyKeyFromEnvironment } from './key-material-sources';
import { createKeyringSecretBox, type KeyringSecretBox } from './keyring-secret-box';
import {
  isMigratingFromSharedKey,
  isProductionEnvironment,
  missingKeyInProductionMessage,
  sharedKeyAloneInProductionMessage,
} from './production-mode';
import { SecretBoxError } from './secret-box';

export interface SecretKeyLoadingOptions {
  /** This process created the development keyring: tell the user (a log line, a line on stderr). */
  onDevelopmentKeyringCreated?: KeyringCreatedListener;
}

export function loadSecretBox(
  env: NodeJS.ProcessEnv = process.env,
  options: SecretKeyLoadingOptions = {},
): KeyringSecretBox {
  const keyring = keyringFromEnvironment(env);
  const legacy = legacyKeyFromEnvironment(env);
  if (!keyring && legacy && isProductionEnvironment(env) && !isMigratingFromSharedKey(env)) {
    throw new SecretBoxError(sharedKeyAloneInProductionMessage());
  }
  if (keyring || legacy) return createKeyringSecretBox({ keyring: keyring ?? [], legacy });

  if (env.DATAFLOW_SECRETS_PUBLIC_KEY?.trim() || env.DATAFLOW_SECRETS_PUBLIC_KEY_FILE?.trim()) {
    throw new SecretBoxError(
      'DATAFLOW_SECRETS_PUBLIC_KEY(_FILE) is set, but a public key only seals: the worker opens secrets and needs ' +
        'the private keys, DATAFLOW_SECRETS_KEYRING_FILE (or DATAFLOW_SECRETS_KEYRING)',
    );
  }
  if (isProductionEnvironment(env)) throw new SecretBoxError(missingKeyInProductionMessage('worker'));
  return createKeyringSecretBox({
    keyring: readOrCreateDevelopmentKeyring(options.onDevelopmentKeyringCreated),
    legacy: readLegacyDevelopmentKey(),
  });
}
