/**
 * Adobe IMS OAuth server-to-server tokens (client_credentials), cached and renewed before they expire.
 * Concurrent callers share one renewal: at most one token request is in flight at any time.
 */
import { z } from 'zod';
import type { AccessTokenSource, HttpExchange, HttpTransport } from './http';
import { parseResponse, splitBaseUrl } from './http';

export interface ImsCredentials {
  imsUrl: string;
  clientId: string;
  clientSecret: string;
  scopes: string;
}

export interface ImsTokenOptions {
  /** Renew this long before `expires_in` runs out. Default 5 minutes. */
  renewalMarginMs?: number;
  /** Clock, replaceable in tests. */
  now?: () => number;
}

/** IMS v3 answers `expires_in` in seconds (the retired JWT exchange used milliseconds). */
const imsTokenResponseSchema = z.looseObject({
  access_token: z.string().min(1),
  token_type: z.string().optional(),
  expires_in: z.union([z.number(), z.string().regex(/^\d+$/).transform(Number)]),
});

interface CachedToken {
  value: string;
  /** Epoch ms after which we no longer hand the token out. */
  renewAt: number;
}

export class ImsTokenProvider implements AccessTokenSource {
  private cached: CachedToken | undefined;
  private renewal: Promise<string> | undefined;
  private readonly renewalMarginMs: number;
  private readonly now: () => number;
  /** How many tokens were minted; for tests and diagnostics. */
  tokensIssued = 0;

  constructor(
    private readonly transport: HttpTransport,
    private readonly credentials: ImsCredentials,
    options: ImsTokenOptions = {},
  ) {
    this.renewalMarginMs = options.renewalMarginMs ?? 5 * 60_000;
    this.now = options.now ?? Date.now;
  }

  accessToken(): Promise<string> {
    if (this.cached && this.now() < this.cached.renewAt) return Promise.resolve(this.cached.value);
    this.renewal ??= this.requestToken().finally(() => {
      this.renewal = undefined;
    });
    return this.renewal;
  }

  invalidate(token: string): void {
    if (this.cached?.value === token) this.cached = undefined;
  }

  private async requestToken(): Promise<string> {
    const form = new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: this.credentials.clientId,
      client_secret: this.credentials.clientSecret,
      scope: this.credentials.scopes,
    });
    const { origin, pathPrefix } = splitBaseUrl(this.credentials.imsUrl);
    const exchange: HttpExchange = {
      origin,
      method: 'POST',
      path: `${pathPrefix}/ims/token/v3`,
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: form.toString(),
    };
    const requestedAt = this.now();
    // Minting a token changes nothing on the server, so this POST is retried like a read.
    const response = await this.transport.withRetries(true, () => this.transport.exchange(exchange));
    const token = parseResponse(imsTokenResponseSchema, response, exchange);
    const lifetimeMs = token.expires_in * 1000;
    this.cached = { value: token.access_token, renewAt: requestedAt + lifetimeMs - this.renewalMarginMs };
    this.tokensIssued++;
    return token.access_token;
  }
}
