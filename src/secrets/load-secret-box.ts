/**
 * Where the sealing key comes from: DATAFLOW_SECRETS_KEY (base64 of 32 bytes), else the file named by
 * DATAFLOW_SECRETS_KEY_FILE, else the development default data/secrets.key, created (mode 0600) when absent
 * so a fresh checkout works with no set-up. The CLI and the worker must see the same key.
 */
import { randomBytes } from 'node:crypto';
import { linkSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { createSecretBox, SecretBoxError, type SecretBox } from './secret-box';

export const defaultSecretsKeyFile = resolve(__dirname, '../../data/secrets.key');

export function loadSecretBox(env: NodeJS.ProcessEnv = process.env): SecretBox {
  const inline = env.DATAFLOW_SECRETS_KEY?.trim();
  if (inline) return createSecretBox(decodeKey(inline, 'DATAFLOW_SECRETS_KEY'));

  const namedFile = env.DATAFLOW_SECRETS_KEY_FILE?.trim();
  if (namedFile) return createSecretBox(decodeKey(readKeyFile(namedFile), `DATAFLOW_SECRETS_KEY_FILE (${namedFile})`));

  return createSecretBox(decodeKey(readOrCreateDefaultKeyFile(defaultSecretsKeyFile), defaultSecretsKeyFile));
}

function decodeKey(text: string, source: string): Buffer {
  const key = Buffer.from(text.trim(), 'base64');
  if (key.length !== 32) {
    throw new SecretBoxError(`${source} must hold base64 of exactly 32 bytes (got ${key.length} bytes)`);
  }
  return key;
}

function readKeyFile(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw new SecretBoxError(`cannot read the secrets key file ${path}: ${(error as Error).message}`);
  }
}

function readOrCreateDefaultKeyFile(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  mkdirSync(dirname(path), { recursive: true });
  // Written aside then hard-linked into place: the link is atomic and fails if another process (a worker
  // starting next to the CLI) got there first, so nobody ever reads a half-written key.
  const draft = `${path}.${process.pid}.${randomBytes(4).toString('hex')}`;
  writeFileSync(draft, randomBytes(32).toString('base64') + '\n', { mode: 0o600 });
  try {
    linkSync(draft, path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  } finally {
    unlinkSync(draft);
  }
  return readFileSync(path, 'utf8');
}
