/**
 * Key material comes from the environment or from files it names, never from arguments (which every user of the
 * machine can see). For each, the inline variable wins over the _FILE one:
 *   DATAFLOW_SECRETS_KEYRING(_FILE)    the worker's keyring (JSON with private keys)
 *   DATAFLOW_SECRETS_PUBLIC_KEY(_FILE) the newest public key of that keyring, for the CLI
 *   DATAFLOW_SECRETS_KEY(_FILE)        the legacy shared AES key (base64 of 32 bytes), for v1 values
 */
import { readFileSync } from 'node:fs';
import { parseKeyring, type SecretsKeyring } from './keyring';
import { readKeyringFile } from './keyring-file';
import { createSecretBox, legacyKeyLength } from './legacy-secret-box';
import { SecretBoxError, type SecretBox } from './secret-box';
import { decodePublicKey, type SecretsPublicKey } from './secrets-key-pair';

export function keyringFromEnvironment(env: NodeJS.ProcessEnv): SecretsKeyring | undefined {
  const inline = env.DATAFLOW_SECRETS_KEYRING?.trim();
  if (inline) return parseKeyring(inline, 'DATAFLOW_SECRETS_KEYRING');
  const file = env.DATAFLOW_SECRETS_KEYRING_FILE?.trim();
  return file ? readKeyringFile(file) : undefined;
}

export function publicKeyFromEnvironment(env: NodeJS.ProcessEnv): SecretsPublicKey | undefined {
  const inline = env.DATAFLOW_SECRETS_PUBLIC_KEY?.trim();
  if (inline) return decodePublicKey(inline, 'DATAFLOW_SECRETS_PUBLIC_KEY');
  const file = env.DATAFLOW_SECRETS_PUBLIC_KEY_FILE?.trim();
  if (!file) return undefined;
  return decodePublicKey(readKeyFile(file, 'secrets public key'), `DATAFLOW_SECRETS_PUBLIC_KEY_FILE (${file})`);
}

export function legacyKeyFromEnvironment(env: NodeJS.ProcessEnv): SecretBox | undefined {
  const inline = env.DATAFLOW_SECRETS_KEY?.trim();
  if (inline) return decodeLegacyKey(inline, 'DATAFLOW_SECRETS_KEY');
  const file = env.DATAFLOW_SECRETS_KEY_FILE?.trim();
  if (!file) return undefined;
  return decodeLegacyKey(readKeyFile(file, 'secrets key'), `DATAFLOW_SECRETS_KEY_FILE (${file})`);
}

export function decodeLegacyKey(text: string, source: string): SecretBox {
  const key = Buffer.from(text.trim(), 'base64');
  if (key.length !== legacyKeyLength) {
    throw new SecretBoxError(
      `${source} must hold base64 of exactly ${legacyKeyLength} bytes (got ${key.length} bytes)`,
    );
  }
  return createSecretBox(key);
}

function readKeyFile(path: string, what: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw new SecretBoxError(`cannot read the ${what} file ${path}: ${(error as Error).message}`);
  }
}
