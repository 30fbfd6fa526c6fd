/**
 * The CLI's key: it seals and never opens, so it needs only the worker's public key. In order of preference:
 * DATAFLOW_SECRETS_PUBLIC_KEY(_FILE); the newest key of DATAFLOW_SECRETS_KEYRING(_FILE), when the CLI runs where
 * the keyring is (of which only the public half is kept); the legacy shared DATAFLOW_SECRETS_KEY(_FILE), sealing
 * v1 values as earlier releases did. With none: the development keyring, or a refusal with NODE_ENV=production.
 */
import { readOrCreateDevelopmentKeyring } from './development-keys';
import { keyringFromEnvironment, legacyKeyFromEnvironment, publicKeyFromEnvironment } from './key-material-sources';
import { newestKey, type SecretsKeyring } from './keyring';
import type { SecretKeyLoadingOptions } from './load-secret-box';
import { isProductionEnvironment, missingKeyInProductionMessage } from './production-mode';
import { createPublicKeySealer } from './public-key-sealing';
import { SecretBoxError, type SecretSealer } from './secret-box';

export function loadSecretSealer(
  env: NodeJS.ProcessEnv = process.env,
  options: SecretKeyLoadingOptions = {},
): SecretSealer {
  const publicKey = publicKeyFromEnvironment(env);
  if (publicKey) return createPublicKeySealer(publicKey);

  const keyring = keyringFromEnvironment(env);
  if (keyring) return sealerForNewestKey(keyring);

  const legacy = legacyKeyFromEnvironment(env);
  // Only its seal: what the CLI sealed is the worker's to open.
  if (legacy) return { keyId: legacy.keyId, seal: (plaintext) => legacy.seal(plaintext) };

  if (isProductionEnvironment(env)) throw new SecretBoxError(missingKeyInProductionMessage('CLI'));
  return sealerForNewestKey(readOrCreateDevelopmentKeyring(options.onDevelopmentKeyringCreated));
}

function sealerForNewestKey(keyring: SecretsKeyring): SecretSealer {
  const newest = newestKey(keyring);
  if (!newest) throw new SecretBoxError('the secrets keyring holds no key');
  return createPublicKeySealer({ keyId: newest.keyId, publicKey: newest.publicKey });
}
