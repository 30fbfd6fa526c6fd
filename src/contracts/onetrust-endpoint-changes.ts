/**
 * How the OneTrust endpoint and client credentials a spec asks for differ from the ones a monitor holds, in words a
 * person reads (`OneTrust client secret replaced (client id …)`). Shared by `plan`, which only reports them, and by
 * the monitor's apply, which then changes them. Whether two client secrets are the same is decided where the key is
 * held (an activity opens both); this module only ever sees the answer, never a secret.
 */
import type { OneTrustAccess } from './dataflow-types';

/** What a monitor mints new tokens with: the token endpoint's base URL and, for automatic rotation, credentials. */
export type OneTrustEndpoint = Pick<OneTrustAccess, 'baseUrl' | 'clientCredentials'>;

/** `set`: automatic rotation turns on; `removed`: it turns off; `replaced`: another id or secret. */
export type CredentialsChange = 'none' | 'set' | 'removed' | 'replaced';

export interface OneTrustEndpointDifferences {
  baseUrlChanged: boolean;
  credentials: CredentialsChange;
  /** For people; never a secret. */
  changes: string[];
}

/** Whether the two client secrets must be compared (same client id on both sides) to tell a change. */
export function clientSecretsToCompare(inUse: OneTrustEndpoint, wanted: OneTrustEndpoint): boolean {
  return (
    inUse.clientCredentials !== undefined &&
    wanted.clientCredentials !== undefined &&
    inUse.clientCredentials.clientId === wanted.clientCredentials.clientId
  );
}

/** `sameClientSecret` matters only when clientSecretsToCompare says so (the caller compared them sealed). */
export function oneTrustEndpointDifferences(
  inUse: OneTrustEndpoint,
  wanted: OneTrustEndpoint,
  sameClientSecret: boolean,
): OneTrustEndpointDifferences {
  const changes: string[] = [];
  const baseUrlChanged = inUse.baseUrl !== wanted.baseUrl;
  if (baseUrlChanged) changes.push(`OneTrust base URL ${inUse.baseUrl} → ${wanted.baseUrl}`);
  const before = inUse.clientCredentials;
  const after = wanted.clientCredentials;
  let credentials: CredentialsChange = 'none';
  if (before === undefined && after !== undefined) {
    credentials = 'set';
    changes.push(`OneTrust client credentials set (client id ${after.clientId}): automatic token rotation on`);
  } else if (before !== undefined && after === undefined) {
    credentials = 'removed';
    changes.push(
      `OneTrust client credentials removed (client id ${before.clientId}): automatic token rotation off, ` +
        'expiry warnings resume',
    );
  } else if (before !== undefined && after !== undefined) {
    if (before.clientId !== after.clientId) {
      credentials = 'replaced';
      changes.push(`OneTrust client credentials replaced (client id ${before.clientId} → ${after.clientId})`);
    } else if (!sameClientSecret) {
      credentials = 'replaced';
      changes.push(`OneTrust client secret replaced (client id ${after.clientId})`);
    }
  }
  return { baseUrlChanged, credentials, changes };
}
