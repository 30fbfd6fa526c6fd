/**
 * A worker's keyring: its X25519 key pairs, oldest first. The newest seals; every key opens what was sealed to it,
 * so rotating means adding a key and keeping the old ones until nothing sealed with them is still in use.
 * As JSON (the keyring file, or DATAFLOW_SECRETS_KEYRING):
 *   {"keys": [{"keyId", "createdAt", "publicKey": "x25519:…", "privateKey": "<base64url>"}, …]}
 */
import { createPublicKey } from 'node:crypto';
import { z } from 'zod';
import { jsonSyntaxErrorPosition, type TextPosition } from './json-syntax-position';
import { SecretBoxError } from './secret-box';
import {
  decodePrivateKey,
  decodePublicKey,
  encodePrivateKey,
  encodePublicKey,
  secretsKeyId,
  type SecretsKeyPair,
} from './secrets-key-pair';

export type SecretsKeyring = readonly SecretsKeyPair[];

const keyringSchema = z.object({
  keys: z
    .array(
      z.object({
        keyId: z.string().min(1),
        createdAt: z.string().refine((text) => !Number.isNaN(Date.parse(text)), 'must be an ISO 8601 date-time'),
        publicKey: z.string().min(1),
        privateKey: z.string().min(1),
      }),
    )
    .min(1, 'must hold at least one key'),
});

/** Parses and checks a keyring: each key id and public key must be the ones its private key gives. */
export function parseKeyring(text: string, source: string): SecretsKeyring {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    // Never JSON.parse's own message: it quotes the text around the error, which may be a private key.
    throw new SecretBoxError(`${source} is not a keyring: not JSON (${syntaxErrorWhere(text)})`);
  }
  const parsed = keyringSchema.safeParse(json);
  if (!parsed.success) {
    // zod's messages name the expected type or rule, never the value; the issue's `input` is not used.
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.') || 'keyring'}: ${issue.message}`);
    throw new SecretBoxError(
      `${source} is not a keyring {"keys": [{keyId, createdAt, publicKey, privateKey}]}: ` + problems.join('; '),
    );
  }
  const keys = parsed.data.keys.map((entry, index): SecretsKeyPair => {
    // By index only: a keyId field holding something else (a private key pasted into the wrong field) stays unsaid.
    const where = `${source}: keys[${index}]`;
    const privateKey = decodePrivateKey(entry.privateKey, where);
    const publicKey = createPublicKey(privateKey);
    const keyId = secretsKeyId(publicKey);
    if (keyId !== entry.keyId || decodePublicKey(entry.publicKey, where).keyId !== keyId) {
      throw new SecretBoxError(
        `${where}: its keyId or publicKey does not match its privateKey (the private key's id is ${keyId})`,
      );
    }
    return { keyId, publicKey, privateKey, createdAt: new Date(entry.createdAt).toISOString() };
  });
  return sortOldestFirst(keys);
}

function syntaxErrorWhere(text: string): string {
  let position: TextPosition | undefined;
  try {
    position = jsonSyntaxErrorPosition(text);
  } catch {
    position = undefined; // nesting deeper than the stack: no position, and still no quote
  }
  return position ? `syntax error at line ${position.line}, column ${position.column}` : 'syntax error';
}

export function serializeKeyring(keyring: SecretsKeyring): string {
  const keys = sortOldestFirst(keyring).map((key) => ({
    keyId: key.keyId,
    createdAt: key.createdAt,
    publicKey: encodePublicKey(key.publicKey),
    privateKey: encodePrivateKey(key.privateKey),
  }));
  return `${JSON.stringify({ keys }, null, 2)}\n`;
}

/** The key new values are sealed with. */
export function newestKey(keyring: SecretsKeyring): SecretsKeyPair | undefined {
  return keyring[keyring.length - 1];
}

function sortOldestFirst(keys: readonly SecretsKeyPair[]): SecretsKeyPair[] {
  // Stable: keys created in the same millisecond keep their order in the file.
  return [...keys].sort((a, b) => Date.parse(a.createdAt) - Date.parse(b.createdAt));
}
