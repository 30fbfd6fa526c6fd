/**
 * Keeping the OneTrust token alive: put a new token on the base connection (PATCH `/auth/params` with the etag
 * just read, re-read on 412), prove it with an explore preview, put the previous token back when OneTrust refuses
 * the new one, and mint new tokens from client credentials.
 * Tokens arrive and leave sealed; the plaintext exists only inside these functions and in the request to AEP.
 */
import { ApplicationFailure } from '@temporalio/common';
import type { Connection, FlowServiceApi } from '../../aep';
import { readJwtExpiry, requestOneTrustToken } from '../../onetrust';
import type { SealedSecret } from '../../secrets';
import { asStep, checkFailure, openSealedSecret } from '../aep-failure';
import type {
  ClientCredentialsCheck,
  MintOneTrustTokenInput,
  MintedToken,
  RotateOneTrustTokenInput,
  TokenRotationResult,
} from '../../contracts/monitor-activities';
import type { ActivityDependencies } from '../dependencies';
import { patchWithCurrentEtag } from './etag-patch';

/** The failure type when the new token was refused (and the previous one put back, or not: the message says). */
export const tokenRefusedType = 'OneTrustTokenRefused';

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

/** PATCHes `token` onto the base connection with the etag just read; a 412 means read again and re-apply. */
function putToken(flowService: FlowServiceApi, baseConnectionId: string, token: string) {
  return patchWithCurrentEtag(
    () => flowService.getConnection(baseConnectionId),
    (connection) =>
      flowService.patchConnection(
        baseConnectionId,
        [{ op: 'replace', path: '/auth/params', value: authParamsWithToken(connection, token) }],
        connection.etag,
      ),
  );
}

export function createTokenRotationActivities({ aep, secrets }: ActivityDependencies) {
  /**
   * After OneTrust refused the new token: the connection must not be left holding it, since every run would fail
   * while the monitor still believes the previous token is in place. Returns the failure the activity ends with.
   */
  async function putPreviousTokenBack(
    flowService: FlowServiceApi,
    baseConnectionId: string,
    previousToken: SealedSecret,
    refusal: ApplicationFailure,
  ): Promise<ApplicationFailure> {
    const step = 'rotate token: put the previous token back';
    try {
      const previous = openSealedSecret(secrets, previousToken, step);
      await asStep(step, () => putToken(flowService, baseConnectionId, previous));
    } catch (error) {
      const restoreFailure = error instanceof Error ? error.message : String(error);
      // A 429/5xx on the way back: retrying the whole activity ends here again, and puts it back then.
      const retryable = error instanceof ApplicationFailure ? !error.nonRetryable : false;
      return ApplicationFailure.create({
        type: tokenRefusedType,
        message:
          `the new token was refused by OneTrust (${refusal.message}), and the previous token could not be put ` +
          `back (${restoreFailure}): the base connection holds the refused token; rotate a working one`,
        nonRetryable: !retryable,
        details: refusal.details ?? [],
      });
    }
    return ApplicationFailure.create({
      type: tokenRefusedType,
      message: `the new token was refused by OneTrust; the previous token is back in place (${refusal.message})`,
      nonRetryable: true,
      details: refusal.details ?? [],
    });
  }

  return {
    async rotateOneTrustToken(input: RotateOneTrustTokenInput): Promise<TokenRotationResult> {
      // A token sealed with another key will not open on a retry either: that failure is non-retryable.
      const token = openSealedSecret(secrets, input.token, 'rotate token');
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
        putToken(flowService, input.baseConnectionId, token),
      );
      let preview;
      try {
        preview = await asStep('rotate token: explore preview with the new token', () =>
          flowService.exploreConnection(input.baseConnectionId, {
            objectType: 'rest',
            object: 'json',
            fileType: 'json',
            preview: true,
          }),
        );
      } catch (failure) {
        // 429/5xx: the activity is retried as a whole (the PATCH is harmless to repeat), so leave the token be.
        const refused = failure instanceof ApplicationFailure && failure.nonRetryable;
        if (!refused || input.previousToken === undefined) throw failure;
        throw await putPreviousTokenBack(flowService, input.baseConnectionId, input.previousToken, failure);
      }
      return {
        tokenExpiresAt: expiresAt,
        patchAttempts: patched.attempts,
        etag: patched.etag,
        previewRecords: preview.data?.length ?? 0,
      };
    },

    /**
     * Proves client credentials (and the base URL) before a monitor relies on them: OneTrust mints a token with them.
     * The token is dropped: the monitor keeps the one in use until its own rotation is due.
     */
    async checkOneTrustClientCredentials(input: MintOneTrustTokenInput): Promise<ClientCredentialsCheck> {
      const clientSecret = openSealedSecret(secrets, input.clientSecret, 'check the client credentials');
      const minted = await asStep('check the OneTrust client credentials', () =>
        requestOneTrustToken({ baseUrl: input.baseUrl, clientId: input.clientId, clientSecret }),
      );
      return { tokenExpiresAt: minted.expiresAt.toISOString() };
    },

    async mintOneTrustToken(input: MintOneTrustTokenInput): Promise<MintedToken> {
      const clientSecret = openSealedSecret(secrets, input.clientSecret, 'mint token');
      const minted = await asStep('mint a OneTrust token', () =>
        requestOneTrustToken({ baseUrl: input.baseUrl, clientId: input.clientId, clientSecret }),
      );
      return { token: secrets.seal(minted.accessToken), expiresAt: minted.expiresAt.toISOString() };
    },
  };
}
