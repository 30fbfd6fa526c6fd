/**
 * Keeping the OneTrust token alive: put a new token on the base connection (PATCH `/auth/params` with the etag
 * just read, re-read on 412), prove it with an explore preview, and mint new tokens from client credentials.
 * Tokens arrive and leave sealed; the plaintext exists only inside these functions and in the request to AEP.
 */
import { ApplicationFailure } from '@temporalio/common';
import type { Connection } from '../../aep';
import { readJwtExpiry, requestOneTrustToken } from '../../onetrust';
import type { SealedSecret } from '../../secrets';
import { asStep, checkFailure } from '../aep-failure';
import type { ActivityDependencies } from '../dependencies';
import { patchWithCurrentEtag } from './etag-patch';

export interface RotateOneTrustTokenInput {
  sandbox: string;
  baseConnectionId: string;
  token: SealedSecret;
  /** ISO instant; when absent, the token's JWT `exp` claim. */
  expiresAt?: string;
}

/** Only facts that are safe to keep in history. */
export interface TokenRotationResult {
  tokenExpiresAt: string;
  /** PATCH attempts: more than 1 when someone else changed the connection between our read and our PATCH. */
  patchAttempts: number;
  etag: string;
  /** Records the explore preview returned with the new token. */
  previewRecords: number;
}

export interface MintOneTrustTokenInput {
  baseUrl: string;
  clientId: string;
  clientSecret: SealedSecret;
}

export interface MintedToken {
  token: SealedSecret;
  expiresAt: string;
}

/** What AEP returns instead of a secret it holds (the simulator and AEP mask them). */
const maskedValue = /^\*+$/;

/** The auth params to send: the ones AEP showed us (not masked secrets), with the new token. */
function authParamsWithToken(connection: Connection, token: string): Record<string, unknown> {
  const params: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(connection.auth?.params ?? {})) {
    if (!(typeof value === 'string' && maskedValue.test(value))) params[name] = value;
  }
  return { ...params, accessToken: token };
}

export function createTokenRotationActivities({ aep, secrets }: ActivityDependencies) {
  return {
    async rotateOneTrustToken(input: RotateOneTrustTokenInput): Promise<TokenRotationResult> {
      let token: string;
      try {
        token = secrets.open(input.token);
      } catch (error) {
        // A token sealed with another key will not open on a retry either.
        throw ApplicationFailure.nonRetryable(`rotate token: ${(error as Error).message}`, 'SealedSecretUnreadable');
      }
      // When both the caller and the token's own claim say something, the earlier one cannot surprise us.
      const claimed = readJwtExpiry(token)?.getTime();
      const given = input.expiresAt === undefined ? undefined : Date.parse(input.expiresAt);
      const expiresAtMs = given === undefined ? claimed : claimed === undefined ? given : Math.min(given, claimed);
      const expiresAt = expiresAtMs === undefined ? undefined : new Date(expiresAtMs).toISOString();
      if (expiresAt === undefined) {
        throw checkFailure(
          'rotate token',
          'the token is not a JWT with an "exp" claim: give its expiry (--expires-at)',
        );
      }
      if (Date.parse(expiresAt) <= Date.now()) {
        throw checkFailure('rotate token', `the new token expired at ${expiresAt}: mint a fresh one`);
      }

      const flowService = aep.forSandbox(input.sandbox).flowService;
      const patched = await asStep('rotate token: update the base connection', () =>
        patchWithCurrentEtag(
          () => flowService.getConnection(input.baseConnectionId),
          (connection) =>
            flowService.patchConnection(
              input.baseConnectionId,
              [{ op: 'replace', path: '/auth/params', value: authParamsWithToken(connection, token) }],
              connection.etag,
            ),
        ),
      );
      const preview = await asStep('rotate token: explore preview with the new token', () =>
        flowService.exploreConnection(input.baseConnectionId, {
          objectType: 'rest',
          object: 'json',
          fileType: 'json',
          preview: true,
        }),
      );
      return {
        tokenExpiresAt: expiresAt,
        patchAttempts: patched.attempts,
        etag: patched.etag,
        previewRecords: preview.data?.length ?? 0,
      };
    },

    async mintOneTrustToken(input: MintOneTrustTokenInput): Promise<MintedToken> {
      let clientSecret: string;
      try {
        clientSecret = secrets.open(input.clientSecret);
      } catch (error) {
        throw ApplicationFailure.nonRetryable(`mint token: ${(error as Error).message}`, 'SealedSecretUnreadable');
      }
      const minted = await asStep('mint a OneTrust token', () =>
        requestOneTrustToken({ baseUrl: input.baseUrl, clientId: input.clientId, clientSecret }),
      );
      return { token: secrets.seal(minted.accessToken), expiresAt: minted.expiresAt.toISOString() };
    },
  };
}
