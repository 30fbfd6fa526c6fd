/**
 * OneTrust OAuth 2 client-credentials token: `POST {baseUrl}/api/access/v1/oauth/token`.
 * Tokens never refresh; callers mint a new one and push it into the AEP connection before the old one expires.
 */
import { request } from 'undici';
import { z } from 'zod';
import { parseErrorBody, parseRetryAfterMs } from '../aep/errors';
import { looseNumber } from '../aep/loose-values';
import { readJwtExpiry } from './jwt-expiry';
import { OneTrustError } from './onetrust-error';

export interface OneTrustTokenRequest {
  /** e.g. https://app.onetrust.com, or the simulator's origin. */
  baseUrl: string;
  clientId: string;
  clientSecret: string;
  /** Default 30 000 ms. */
  timeoutMs?: number;
}

export interface OneTrustToken {
  accessToken: string;
  expiresAt: Date;
  scope?: string;
}

const tokenPath = '/api/access/v1/oauth/token';
/** OneTrust's own recipe assumes an hour when `expires_in` is absent. */
const defaultLifetimeSeconds = 3600;

const tokenResponseSchema = z.looseObject({
  access_token: z.string().min(1),
  token_type: z.string().optional(),
  expires_in: looseNumber.optional(),
  scope: z.union([z.string(), z.array(z.string()).transform((scopes) => scopes.join(' '))]).optional(),
});

export async function requestOneTrustToken(input: OneTrustTokenRequest): Promise<OneTrustToken> {
  const url = `${input.baseUrl.replace(/\/+$/, '')}${tokenPath}`;
  const timeoutMs = input.timeoutMs ?? 30_000;
  const form = new URLSearchParams({
    grant_type: 'client_credentials',
    client_id: input.clientId,
    client_secret: input.clientSecret,
  });
  const requestedAt = Date.now();
  let status: number;
  let text: string;
  let retryAfter: string | undefined;
  try {
    const response = await request(url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: form.toString(),
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
    });
    status = response.statusCode;
    text = await response.body.text();
    const header = response.headers['retry-after'];
    retryAfter = Array.isArray(header) ? header[0] : header;
  } catch (error) {
    const description = error instanceof Error ? error.message : String(error);
    throw new OneTrustError(`POST ${tokenPath} failed: ${description}`, {
      code: errorCode(error),
      retryable: true,
      cause: error,
    });
  }

  const body = parseJson(text);
  if (status < 200 || status >= 300) {
    // Only a JSON error body is quoted: raw text answering a credential form could echo the client secret.
    const parsed = parseErrorBody(body, '');
    const code = parsed.code ?? (status === 401 ? 'invalid_client' : undefined);
    throw new OneTrustError(
      `POST ${tokenPath} failed: HTTP ${status}${code ? ` ${code}` : ''}: ${parsed.message ?? `HTTP ${status}`}`,
      {
        status,
        code,
        retryable: status === 429 || status >= 500,
        retryAfterMs: parseRetryAfterMs(retryAfter),
      },
    );
  }

  const parsed = tokenResponseSchema.safeParse(body);
  if (!parsed.success) {
    throw new OneTrustError(`POST ${tokenPath} failed: the response has no access_token`, {
      status,
      code: 'UNEXPECTED_RESPONSE',
      retryable: false,
    });
  }
  const token = parsed.data;
  // Both expires_in and the JWT's exp claim may be present; the earlier one is the one that can't surprise us.
  const fromLifetime = requestedAt + (token.expires_in ?? defaultLifetimeSeconds) * 1000;
  const fromClaim = readJwtExpiry(token.access_token)?.getTime();
  const expiresAt = new Date(
    fromClaim === undefined
      ? fromLifetime
      : token.expires_in === undefined
        ? fromClaim
        : Math.min(fromClaim, fromLifetime),
  );
  return token.scope === undefined
    ? { accessToken: token.access_token, expiresAt }
    : { accessToken: token.access_token, expiresAt, scope: token.scope };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function errorCode(error: unknown): string | undefined {
  if (typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'string') {
    return error.code;
  }
  return undefined;
}
