/**
 * OneTrust OAuth access tokens. They are JWT-shaped (the product reads `exp` from them) and HMAC-signed
 * with a key kept in the store; validity is decided by the issued-token registry, which survives restarts.
 */
import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import type { Clock, TokenCheck } from './context';
import { IssuedTokens } from './issued-tokens';
import type { Store } from './store';

const signingKeyExtrasKey = 'oneTrustSigningKey';
/** Scopes the consent APIs need; every simulated credential is granted both. */
export const oneTrustScopes = ['CONSENT', 'CONSENT_READ'];
/**
 * OneTrust's longest "Access Token Lifetime" for a client credential is 1 Year (the choices are an hour, a day, a
 * week, a month, a year): the simulator mints nothing longer, so nothing tested here outlives what OneTrust issues.
 */
export const longestOneTrustTokenLifetimeSeconds = 365 * 24 * 3600;

export interface MintedOneTrustToken {
  accessToken: string;
  expiresAt: Date;
  jti: string;
}

export class OneTrustTokens {
  private readonly issued: IssuedTokens;

  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
  ) {
    this.issued = new IssuedTokens(store, clock, 'oneTrustAccessTokens');
  }

  mint(expiresInSeconds: number, clientId: string): MintedOneTrustToken {
    if (expiresInSeconds > longestOneTrustTokenLifetimeSeconds) {
      throw new RangeError(
        `OneTrust issues tokens for at most a year (${longestOneTrustTokenLifetimeSeconds} s); asked for ${expiresInSeconds} s`,
      );
    }
    const issuedAtSeconds = Math.floor(this.clock.now() / 1000);
    const expiresAtSeconds = issuedAtSeconds + Math.floor(expiresInSeconds);
    const jti = randomUUID();
    const header = encodeSegment({ alg: 'HS256', typ: 'JWT' });
    const payload = encodeSegment({
      iss: 'https://app.onetrust.com',
      sub: clientId,
      client_id: clientId,
      scope: oneTrustScopes,
      iat: issuedAtSeconds,
      exp: expiresAtSeconds,
      jti,
    });
    const signature = createHmac('sha256', this.signingKey()).update(`${header}.${payload}`).digest('base64url');
    const accessToken = `${header}.${payload}.${signature}`;
    const expiresAtMs = expiresAtSeconds * 1000;
    this.issued.remember(accessToken, expiresAtMs);
    return { accessToken, expiresAt: new Date(expiresAtMs), jti };
  }

  check(token: string): TokenCheck {
    return this.issued.check(token);
  }

  private signingKey(): Buffer {
    const existing = this.store.extras.get(signingKeyExtrasKey);
    if (typeof existing === 'string') return Buffer.from(existing, 'base64');
    const key = randomBytes(32);
    this.store.extras.set(signingKeyExtrasKey, key.toString('base64'));
    this.store.touch();
    return key;
  }
}

function encodeSegment(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}
