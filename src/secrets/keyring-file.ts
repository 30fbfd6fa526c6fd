/**
 * Keyring files on disk. They hold private keys, so they are written with mode 0600, and always whole: written
 * aside in the same folder, then linked (a new file: fails if one appeared meanwhile) or renamed (a rotation) into
 * place, so a worker starting at that moment never reads half a keyring.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, linkSync, mkdirSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { parseKeyring, serializeKeyring, type SecretsKeyring } from './keyring';
import { SecretBoxError } from './secret-box';

export const keyringFileMode = 0o600;

export function readKeyringFile(path: string): SecretsKeyring {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new SecretBoxError(`cannot read the secrets keyring ${path}: ${(error as Error).message}`);
  }
  return parseKeyring(text, path);
}

/** Creates the file; false when it already exists (left untouched). */
export function createKeyringFile(path: string, keyring: SecretsKeyring): boolean {
  const draft = writeDraft(path, keyring);
  try {
    linkSync(draft, path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  } finally {
    unlinkSync(draft);
  }
}

export function replaceKeyringFile(path: string, keyring: SecretsKeyring): void {
  const draft = writeDraft(path, keyring);
  try {
    renameSync(draft, path);
  } catch (error) {
    unlinkSync(draft);
    throw error;
  }
}

function writeDraft(path: string, keyring: SecretsKeyring): string {
  mkdirSync(dirname(path), { recursive: true });
  const draft = `${path}.${process.pid}.${randomBytes(4).toString('hex')}`;
  writeFileSync(draft, serializeKeyring(keyring), { mode: keyringFileMode, flag: 'wx' });
  // The mode given to writeFileSync is narrowed by the umask, never widened; this makes it exactly 0600.
  chmodSync(draft, keyringFileMode);
  return draft;
}
