/**
 * Adobe IMS, OAuth Server-to-Server: `POST /ims/token/v3` with the client_credentials grant.
 * Parameters may come in the form body or the query string (IMS documents both); the body wins.
 */
import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { Clock, ImsService, SimulatorContext, SimulatorSettings, TokenCheck } from './context';
import { IssuedTokens, readRequestFields } from './issued-tokens';
import { oauthError } from './problems';
import type { Store } from './store';

/** IMS documents 86399 s (24 h less a second) for server-to-server tokens. */
export const imsTokenLifetimeSeconds = 86399;

export interface ImsTokenResponse {
  access_token: string;
  token_type: 'bearer';
  expires_in: number;
}

export interface ImsServiceWithIssuer extends ImsService {
  /** Validates the grant and issues a token; throws a SimulatorHttpError with an OAuth error body. */
  issueToken(fields: Record<string, string>): ImsTokenResponse;
}

export function createImsService(deps: {
  store: Store;
  clock: Clock;
  settings: SimulatorSettings;
}): ImsServiceWithIssuer {
  const issuedTokens = new IssuedTokens(deps.store, deps.clock, 'imsAccessTokens');

  return {
    checkAccessToken(token: string): TokenCheck {
      return issuedTokens.check(token);
    },

    issueToken(fields) {
      const missing = ['grant_type', 'client_id', 'client_secret', 'scope'].filter((name) => !fields[name]);
      if (missing.length > 0) {
        throw oauthError(400, 'invalid_request', `Missing required parameter(s): ${missing.join(', ')}`);
      }
      if (fields.grant_type !== 'client_credentials') {
        throw oauthError(400, 'unsupported_grant_type', `Unsupported grant_type: ${fields.grant_type}`);
      }
      if (fields.client_id !== deps.settings.clientId) {
        throw oauthError(401, 'invalid_client', 'invalid client_id parameter');
      }
      if (fields.client_secret !== deps.settings.clientSecret) {
        throw oauthError(401, 'invalid_client', 'invalid client_secret parameter');
      }
      // IMS tokens are long opaque JWTs; an opaque random string is enough for clients, which must not parse them.
      const accessToken = `eyJ${randomBytes(48).toString('base64url')}`;
      issuedTokens.remember(accessToken, deps.clock.now() + imsTokenLifetimeSeconds * 1000);
      return { access_token: accessToken, token_type: 'bearer', expires_in: imsTokenLifetimeSeconds };
    },
  };
}

export function registerImsRoutes(app: FastifyInstance, context: SimulatorContext): void {
  // Issued tokens live in the store, so this issuer and context.ims see the same tokens.
  const ims = createImsService(context);

  app.post('/ims/token/v3', async (request, reply) => {
    const fields = readRequestFields(request.query, request.body);
    return reply.header('cache-control', 'no-store').send(ims.issueToken(fields));
  });
}
