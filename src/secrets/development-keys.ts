/**
 * Development defaults under data/, so a fresh checkout (and the demo) works with no set-up: a keyring created on
 * first use by whichever of the CLI and the worker starts first, and the legacy key file earlier releases created,
 * still read when present so the tokens it sealed keep opening. Never used with NODE_ENV=production.
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { decodeLegacyKey } from './key-material-sources';
import type { SecretsKeyring } from './keyring';
import { createKeyringFile, readKeyringFile } from './keyring-file';
import type { SecretBox } from './secret-box';
import { generateSecretsKeyPair } from './secrets-key-pair';

export const developmentKeyringFile = resolve(__dirname, '../../data/secrets-keyring.json');
/** Created by releases before keyrings; only read now. */
export const legacyDevelopmentKeyFile = resolve(__dirname, '../../data/secrets.key');

/** Called when this process created the development keyring, so it can say so. */
export type KeyringCreatedListener = (path: string, keyId: string) => void;

export function readOrCreateDevelopmentKeyring(
  onCreated?: KeyringCreatedListener,
  path: string = developmentKeyringFile,
): SecretsKeyring {
  if (!existsSync(path)) {
    const key = generateSecretsKeyPair();
    // Another process (a worker starting next to the CLI) may get there first: then its keyring is the one.
    if (createKeyringFile(path, [key])) onCreated?.(path, key.keyId);
  }
  return readKeyringFile(path);
}

export function readLegacyDevelopmentKey(): SecretBox | undefined {
  let text: string;
  try {
    text = readFileSync(legacyDevelopmentKeyFile, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  return decodeLegacyKey(text, legacyDevelopmentKeyFile);
}
