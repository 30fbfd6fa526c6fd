/**
 * Bearer tokens a simulated authority (IMS, OneTrust) has issued, with their expiry.
 * Kept in store.extras so a state-file restart keeps them valid; only a SHA-256 of each token is stored,
 * so the state file never holds a usable credential.
 */
import { createHash } from 'node:crypto';
import type { Clock, TokenCheck } from './context';
import type { Store } from './store';

/** Expired tokens are remembered this long so they are reported as expired rather than unknown. */
const expiredTokenMemoryMs = 7 * 24 * 3600 * 1000;

type ExpiryByTokenHash = Record<string, number>;

export class IssuedTokens {
  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    /** The store.extras key this authority's tokens live under. */
    private readonly extrasKey: string,
  ) {}

  remember(token: string, expiresAtMs: number): void {
    const expiries = this.expiries();
    this.forgetLongExpired(expiries);
    expiries[hashToken(token)] = expiresAtMs;
    this.store.touch();
  }

  check(token: string): TokenCheck {
    const expiresAtMs = this.expiries()[hashToken(token)];
    if (expiresAtMs === undefined) return { valid: false, reason: 'unknown' };
    if (this.clock.now() >= expiresAtMs) return { valid: false, reason: 'expired' };
    return { valid: true };
  }

  /** Read through store.extras on every call: a restore replaces the extras map's contents. */
  private expiries(): ExpiryByTokenHash {
    const existing = this.store.extras.get(this.extrasKey);
    if (existing && typeof existing === 'object') return existing as ExpiryByTokenHash;
    const created: ExpiryByTokenHash = {};
    this.store.extras.set(this.extrasKey, created);
    return created;
  }

  private forgetLongExpired(expiries: ExpiryByTokenHash): void {
    const cutoff = this.clock.now() - expiredTokenMemoryMs;
    for (const [hash, expiresAtMs] of Object.entries(expiries)) {
      if (expiresAtMs < cutoff) delete expiries[hash];
    }
  }
}

function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/** Fields of a form (or JSON) body merged over the query string: IMS accepts parameters in either place. */
export function readRequestFields(query: unknown, body: unknown): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const source of [query, body]) {
    if (!source || typeof source !== 'object') continue;
    for (const [name, value] of Object.entries(source as Record<string, unknown>)) {
      if (typeof value === 'string') fields[name] = value;
      else if (typeof value === 'number' || typeof value === 'boolean') fields[name] = String(value);
    }
  }
  return fields;
}
