/**
 * The OneTrust token's calendar: when to warn (each lead time once per token), when it has expired, and when to
 * mint a replacement by ourselves if the spec gave client credentials. Pure functions of the state and "now".
 */
import type { DataflowDescriptor } from './dataflow-types';
import { parseDuration } from './durations';
import type { TokenState } from './monitor-state';

export const defaultTokenWarnings = ['30d', '7d', '1d'];

export interface WarningLead {
  /** As written in the spec, e.g. "7d": also the key recorded once warned. */
  text: string;
  ms: number;
}

/** The configured lead times, longest first; unreadable entries are ignored (the spec validation refuses them). */
export function tokenWarningLeads(dataflow: DataflowDescriptor): WarningLead[] {
  const texts = dataflow.monitor?.tokenWarnings ?? defaultTokenWarnings;
  const leads: WarningLead[] = [];
  for (const text of texts) {
    const ms = parseDuration(text);
    if (ms !== undefined && !leads.some((lead) => lead.ms === ms)) leads.push({ text, ms });
  }
  return leads.sort((a, b) => b.ms - a.ms);
}

export function canRotateAutomatically(dataflow: DataflowDescriptor): boolean {
  return dataflow.oneTrust.clientCredentials !== undefined;
}

export function tokenExpiresAtMs(token: TokenState): number {
  return Date.parse(token.expiresAt);
}

/**
 * When to mint the next token: at the first (longest) warning lead time, but never later than halfway through
 * the token's life, so a credential that mints short-lived tokens (an hour, a day) is not rotated in a loop.
 */
export function autoRotationDueAt(token: TokenState, leads: WarningLead[]): number {
  const expiresAt = tokenExpiresAtMs(token);
  const lifetime = Math.max(0, expiresAt - Date.parse(token.obtainedAt));
  const lead = Math.min(leads[0]?.ms ?? 86_400_000, lifetime / 2);
  return Math.max(expiresAt - lead, token.autoRotationRetryAt ?? 0);
}

export interface DueWarning {
  /** The most urgent lead time passed, e.g. "1d". */
  lead: WarningLead;
  /** Every passed lead time not yet warned about: all of them are marked, one alert is sent. */
  passed: string[];
}

/**
 * The warning to send now, if any. A token that arrives with 5 days left passes the 30d and 7d marks at once:
 * one alert (for 7d) covers both, instead of two in the same second.
 */
export function dueWarning(token: TokenState, leads: WarningLead[], nowMs: number): DueWarning | undefined {
  const expiresAt = tokenExpiresAtMs(token);
  if (nowMs >= expiresAt) return undefined;
  const passed = leads.filter((lead) => nowMs >= expiresAt - lead.ms && !token.warningsSent.includes(lead.text));
  const mostUrgent = passed[passed.length - 1];
  return mostUrgent ? { lead: mostUrgent, passed: passed.map((lead) => lead.text) } : undefined;
}

export function isTokenExpired(token: TokenState, nowMs: number): boolean {
  return nowMs >= tokenExpiresAtMs(token);
}

/** Is the token inside its first warning window (the status shows token-expiring from then on)? */
export function isTokenExpiring(token: TokenState, leads: WarningLead[], nowMs: number): boolean {
  const longest = leads[0];
  return longest !== undefined && nowMs >= tokenExpiresAtMs(token) - longest.ms;
}

/**
 * Warnings are for people. While the monitor can still replace the token by itself (client credentials, and no
 * failed attempt yet) it does not bother them; once an attempt has failed, people are warned as usual.
 */
export function warningsSuppressed(token: TokenState, automatic: boolean): boolean {
  return automatic && token.autoRotationFailures === 0;
}

/** The next instant something about the token needs the monitor's attention, or undefined if nothing is pending. */
export function nextTokenEventAt(
  token: TokenState,
  leads: WarningLead[],
  automatic: boolean,
  nowMs: number,
): number | undefined {
  const expiresAt = tokenExpiresAtMs(token);
  const candidates: number[] = [];
  if (nowMs < expiresAt && !warningsSuppressed(token, automatic)) {
    for (const lead of leads) {
      if (!token.warningsSent.includes(lead.text)) candidates.push(expiresAt - lead.ms);
    }
  }
  if (!token.expiredAlerted) candidates.push(expiresAt);
  if (automatic) candidates.push(autoRotationDueAt(token, leads));
  return candidates.length === 0 ? undefined : Math.min(...candidates);
}

/** A fresh token record: warnings start over, because they are per token. */
export function tokenStateAfterRotation(expiresAt: string, nowMs: number): TokenState {
  const now = new Date(nowMs).toISOString();
  return {
    expiresAt,
    obtainedAt: now,
    warningsSent: [],
    expiredAlerted: false,
    autoRotationFailures: 0,
    lastRotatedAt: now,
  };
}
