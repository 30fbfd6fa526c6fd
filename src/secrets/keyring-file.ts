/**
 * Keyring files on disk. They hold private keys, so they are written with mode 0600, and always whole: written
 * aside in the same folder and flushed to disk, then linked (a new file: fails if one appeared meanwhile) or renamed
 * (a rotation) into place, and the folder flushed too, so neither a worker starting at that moment nor a crash ever
 * leaves half a keyring. Changes by the secrets command run under the keyring's lock (keyring-lock.ts).
 */
import { randomBytes } from 'node:crypto';
import {
  closeSync,
  fchmodSync,
  fsyncSync,
  linkSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
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
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  } finally {
    unlinkSync(draft);
  }
  syncFolder(dirname(path));
  return true;
}

export function replaceKeyringFile(path: string, keyring: SecretsKeyring): void {
  const draft = writeDraft(path, keyring);
  try {
    renameSync(draft, path);
  } catch (error) {
    unlinkSync(draft);
    throw error;
  }
  syncFolder(dirname(path));
}

function writeDraft(path: string, keyring: SecretsKeyring): string {
  mkdirSync(dirname(path), { recursive: true });
  const draft = `${path}.${process.pid}.${randomBytes(4).toString('hex')}`;
  const descriptor = openSync(draft, 'wx', keyringFileMode);
  try {
    // The mode given to openSync is narrowed by the umask, never widened; this makes it exactly 0600.
    fchmodSync(descriptor, keyringFileMode);
    const bytes = Buffer.from(serializeKeyring(keyring), 'utf8');
    for (let written = 0; written < bytes.length;) written += writeSync(descriptor, bytes, written);
    fsyncSync(descriptor);
  } catch (error) {
    closeSync(descriptor);
    unlinkSync(draft);
    throw error;
  }
  closeSync(descriptor);
  return draft;
}

/** Makes the new name durable. Some systems (Windows) cannot open a folder for that: the rename stands anyway. */
function syncFolder(folder: string): void {
  let descriptor: number | undefined;
  try {
    descriptor = openSync(folder, 'r');
    fsyncSync(descriptor);
  } catch {
    // best effort, see above
  } finally {
    if (descriptor !== undefined) closeSync(descriptor);
  }
}
