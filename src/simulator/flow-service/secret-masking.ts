/**
 * Connections keep their credentials (runs need the OneTrust token) but no response ever returns one:
 * secret auth params are replaced by a fixed mask, so a client can tell a value is set without reading it.
 */
import { createHash } from 'node:crypto';
import type { StoredResource } from '../store';
import { isJsonObject } from './request-parts';
import { isSecretAuthParam } from './spec-catalog';

export const maskedSecret = '********';

export function withMaskedSecrets<T extends StoredResource>(connection: T): T {
  const auth = connection.auth;
  if (!isJsonObject(auth) || !isJsonObject(auth.params)) return connection;
  const specId = isJsonObject(connection.connectionSpec) ? String(connection.connectionSpec.id) : '';
  const specName = typeof auth.specName === 'string' ? auth.specName : undefined;
  const params: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(auth.params)) {
    params[name] = isSecretAuthParam(specId, specName, name) && value !== undefined ? maskedSecret : value;
  }
  return { ...connection, auth: { ...auth, params } };
}

/**
 * For the admin API: a short digest of each secret, so tests can see that a token changed without the
 * simulator ever printing the token itself.
 */
export function secretFingerprints(connection: StoredResource): Record<string, string> {
  const auth = connection.auth;
  if (!isJsonObject(auth) || !isJsonObject(auth.params)) return {};
  const specId = isJsonObject(connection.connectionSpec) ? String(connection.connectionSpec.id) : '';
  const specName = typeof auth.specName === 'string' ? auth.specName : undefined;
  const fingerprints: Record<string, string> = {};
  for (const [name, value] of Object.entries(auth.params)) {
    if (typeof value === 'string' && isSecretAuthParam(specId, specName, name)) {
      fingerprints[name] = secretFingerprint(value);
    }
  }
  return fingerprints;
}

/** `sha256:` and the first 16 hex digits of the value's digest: tells values apart without showing one. */
export function secretFingerprint(value: string): string {
  return `sha256:${createHash('sha256').update(value).digest('hex').slice(0, 16)}`;
}
