/**
 * applySpec's part for the OneTrust endpoint: the base URL and client credentials the monitor mints tokens with.
 * The client secrets are compared sealed, by an activity (the worker opens both; workflow code and history see only
 * whether they are the same). New credentials, or the ones in use at a new base URL, are proven first: OneTrust must
 * mint a token with them. Refused, the monitor keeps what it has and says why, rather than learn of it when the
 * token is due. Adding credentials turns automatic rotation on, removing them turns it off (token-schedule.ts
 * decides from the credentials alone).
 */
import type { ActivityOptions } from '@temporalio/workflow';
import {
  clientSecretsToCompare,
  oneTrustEndpointDifferences,
  type OneTrustEndpoint,
} from '../../contracts/onetrust-endpoint-changes';
import { activities } from './monitor-activities';
import { failureMessage } from './monitor-context';
import type { MonitorState } from '../../contracts/monitor-state';

/** Monitors that applied specs before the OneTrust endpoint was converged replay without it. */
export const applyOneTrustEndpointPatch = 'apply-spec-onetrust-endpoint';

/** A refusal stops at once; an address that does not answer is tried a few times, then the credentials are kept. */
const credentialCheckOptions: ActivityOptions = {
  startToCloseTimeout: '1m',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '10s', maximumAttempts: 3 },
};

export async function applyOneTrustEndpoint(
  state: MonitorState,
  wanted: OneTrustEndpoint,
): Promise<{ changed: string[]; kept: string[] }> {
  const { oneTrust } = state.dataflow;
  const inUse: OneTrustEndpoint = {
    baseUrl: oneTrust.baseUrl,
    ...(oneTrust.clientCredentials ? { clientCredentials: oneTrust.clientCredentials } : {}),
  };
  const sameSecret =
    clientSecretsToCompare(inUse, wanted) &&
    (await activities.sameSecret.executeWithOptions({ summary: 'compare the OneTrust client secrets (sealed)' }, [
      { first: wanted.clientCredentials?.clientSecret, second: inUse.clientCredentials?.clientSecret },
    ]));
  const differences = oneTrustEndpointDifferences(inUse, wanted, sameSecret);
  if (differences.changes.length === 0) return { changed: [], kept: [] };

  const credentials = wanted.clientCredentials;
  if (credentials && (differences.credentials !== 'none' || differences.baseUrlChanged)) {
    try {
      await activities.checkOneTrustClientCredentials.executeWithOptions(
        { ...credentialCheckOptions, summary: "prove the spec's OneTrust client credentials" },
        [{ baseUrl: wanted.baseUrl, clientId: credentials.clientId, clientSecret: credentials.clientSecret }],
      );
    } catch (error) {
      const inUseHere = inUse.clientCredentials?.clientId === credentials.clientId && inUse.baseUrl === wanted.baseUrl;
      const whose = inUseHere ? '' : ` (client id ${credentials.clientId} at ${wanted.baseUrl})`;
      const reason = `OneTrust did not mint a token with the spec's${whose}: ${failureMessage(error)}`;
      return {
        changed: [],
        kept: [
          inUse.clientCredentials
            ? `the OneTrust client credentials in use (client id ${inUse.clientCredentials.clientId} at ${inUse.baseUrl}): ${reason}`
            : `automatic token rotation stays off: ${reason}`,
        ],
      };
    }
  }

  const { clientCredentials: _replaced, ...rest } = oneTrust;
  state.dataflow.oneTrust = {
    ...rest,
    baseUrl: wanted.baseUrl,
    ...(credentials ? { clientCredentials: credentials } : {}),
  };
  if (differences.credentials !== 'none') {
    // A streak of failed automatic rotations belonged to the old credentials: the new ones start afresh.
    state.token.autoRotationFailures = 0;
    delete state.token.autoRotationRetryAt;
  }
  return { changed: differences.changes, kept: [] };
}
