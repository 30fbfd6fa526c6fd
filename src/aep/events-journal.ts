/**
 * Reading an Adobe I/O Events journal (the pull alternative to a webhook): GET the journal URL the Developer
 * Console shows, with the IMS token, the client id as x-api-key and the org in x-ims-org-id. 200 carries events and
 * a `Link: <…>; rel="next"` to read from next; 204 means nothing newer yet (come back after Retry-After, from the
 * same next link); 410 means the position expired (events are kept 7 days).
 */
import { request } from 'undici';
import { AepError } from './errors';
import type { AccessTokenSource } from './http';

export interface JournalEntry {
  position: string;
  /** One event, in the shape a webhook delivery carries. */
  event: unknown;
}

export type JournalPage =
  { kind: 'events'; entries: JournalEntry[]; next: string } | { kind: 'empty'; next: string; retryAfterMs: number };

export interface EventsJournalReader {
  readPage(url: string): Promise<JournalPage>;
}

/** I/O Events' own suggestion when a read finds nothing newer. */
const defaultRetryAfterMs = 10_000;

export function createEventsJournalReader(identity: {
  tokens: AccessTokenSource;
  clientId: string;
  orgId: string;
}): EventsJournalReader {
  return {
    async readPage(url: string): Promise<JournalPage> {
      const token = await identity.tokens.accessToken();
      const response = await request(url, {
        method: 'GET',
        headers: {
          authorization: `Bearer ${token}`,
          'x-api-key': identity.clientId,
          'x-ims-org-id': identity.orgId,
          accept: 'application/json',
        },
      });
      const next = nextLink(response.headers.link, url);
      if (response.statusCode === 204) {
        await response.body.dump();
        const seconds = Number(response.headers['retry-after']);
        return {
          kind: 'empty',
          next: next ?? url,
          retryAfterMs: Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : defaultRetryAfterMs,
        };
      }
      const text = await response.body.text();
      if (response.statusCode !== 200) {
        if (response.statusCode === 401) identity.tokens.invalidate(token);
        throw new AepError({
          method: 'GET',
          path: new URL(url).pathname,
          status: response.statusCode,
          code: response.statusCode === 410 ? 'JOURNAL_POSITION_EXPIRED' : undefined,
          detail: text.slice(0, 500) || `HTTP ${response.statusCode}`,
          requestId: undefined,
          retryable: response.statusCode === 429 || response.statusCode >= 500 || response.statusCode === 401,
          retryAfterMs: undefined,
        });
      }
      const body = JSON.parse(text) as { events?: JournalEntry[] };
      const entries = Array.isArray(body.events) ? body.events : [];
      if (next === undefined) throw new Error(`the journal answered ${entries.length} event(s) without a next link`);
      return { kind: 'events', entries, next };
    },
  };
}

/** The `rel="next"` target of a Link header, resolved against the URL read. */
function nextLink(header: string | string[] | undefined, base: string): string | undefined {
  const text = Array.isArray(header) ? header.join(', ') : header;
  if (!text) return undefined;
  for (const part of text.split(',')) {
    const match = /<([^>]+)>\s*;\s*rel="?next"?/i.exec(part);
    if (match?.[1]) return new URL(match[1], base).toString();
  }
  return undefined;
}
