/**
 * Reading an Adobe I/O Events journal (the pull alternative to a webhook): GET the journal URL the Developer
 * Console shows, with the IMS token, the client id as x-api-key and the org in x-ims-org-id. 200 carries events and
 * a `Link: <…>; rel="next"` to read from next; 204 means nothing newer yet (come back after Retry-After, from the
 * same next link); 410 means the position expired (events are kept 7 days).
 *
 * The organisation's bearer token goes with every read, so where a read may go is fixed: https only (http only to
 * a loopback host, for the simulator and tests), and a next link must stay on the origin of the URL it came from,
 * so a chain of reads that starts at the configured journal URL never leaves its origin. A link elsewhere is
 * refused before anything is sent to it. Every read has a deadline: headers, body and the whole read.
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
/** A journal page is at most 1.5 MB: far less than this to arrive, or the read is given up (and retried). */
export const journalReadTimeoutMs = 20_000;

/** A journal URL or next link that the token must not be sent to. */
export class JournalUrlRefusedError extends AepError {
  constructor(url: string, reason: string) {
    super({
      method: 'GET',
      path: safePath(url),
      status: undefined,
      code: 'JOURNAL_URL_REFUSED',
      detail: `journal URL refused (${reason}); nothing was sent to it`,
      requestId: undefined,
      retryable: false,
      retryAfterMs: undefined,
    });
  }
}

/** Hosts a journal may be read from over plain http: this machine only. */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  return host === 'localhost' || host === '::1' || /^127(?:\.\d{1,3}){3}$/.test(host);
}

/** The URL, checked: https, or http to a loopback host. Throws JournalUrlRefusedError otherwise. */
export function checkedJournalUrl(text: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new JournalUrlRefusedError(text, 'not a URL');
  }
  if (url.username !== '' || url.password !== '') throw new JournalUrlRefusedError(text, 'it carries credentials');
  if (url.protocol === 'https:') return url;
  if (url.protocol === 'http:' && isLoopbackHost(url.hostname)) return url;
  throw new JournalUrlRefusedError(text, 'only https, or http to a loopback host, is allowed');
}

export function createEventsJournalReader(identity: {
  tokens: AccessTokenSource;
  clientId: string;
  orgId: string;
}): EventsJournalReader {
  return {
    async readPage(url: string): Promise<JournalPage> {
      const target = checkedJournalUrl(url);
      const token = await identity.tokens.accessToken();
      let response;
      try {
        response = await request(target, {
          method: 'GET',
          headers: {
            authorization: `Bearer ${token}`,
            'x-api-key': identity.clientId,
            'x-ims-org-id': identity.orgId,
            accept: 'application/json',
          },
          headersTimeout: journalReadTimeoutMs,
          bodyTimeout: journalReadTimeoutMs,
          signal: AbortSignal.timeout(journalReadTimeoutMs),
        });
      } catch (error) {
        throw unreadable(target, error);
      }
      let next: string | undefined;
      try {
        next = nextLink(response.headers.link, target);
      } catch (error) {
        await response.body.dump().catch(() => undefined);
        throw error;
      }
      if (response.statusCode === 204) {
        await response.body.dump();
        const seconds = Number(response.headers['retry-after']);
        return {
          kind: 'empty',
          next: next ?? target.toString(),
          retryAfterMs: Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : defaultRetryAfterMs,
        };
      }
      let text: string;
      try {
        text = await response.body.text();
      } catch (error) {
        throw unreadable(target, error);
      }
      if (response.statusCode !== 200) {
        if (response.statusCode === 401) identity.tokens.invalidate(token);
        throw new AepError({
          method: 'GET',
          path: target.pathname,
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

/**
 * The `rel="next"` target of a Link header, resolved against the URL read; refused unless it stays on that URL's
 * origin over an allowed scheme.
 */
function nextLink(header: string | string[] | undefined, base: URL): string | undefined {
  const text = Array.isArray(header) ? header.join(', ') : header;
  if (!text) return undefined;
  for (const part of text.split(',')) {
    const match = /<([^>]+)>\s*;\s*rel="?next"?/i.exec(part);
    if (!match?.[1]) continue;
    let next: URL;
    try {
      next = new URL(match[1], base);
    } catch {
      throw new JournalUrlRefusedError(match[1], 'the next link is not a URL');
    }
    if (next.origin !== base.origin) {
      throw new JournalUrlRefusedError(
        next.toString(),
        `the next link leads to ${next.origin}, not to the journal's origin ${base.origin}`,
      );
    }
    return checkedJournalUrl(next.toString()).toString();
  }
  return undefined;
}

function unreadable(url: URL, error: unknown): AepError {
  const failure = error as { code?: unknown; name?: unknown; message?: unknown };
  const code =
    typeof failure.code === 'string' ? failure.code : typeof failure.name === 'string' ? failure.name : undefined;
  return new AepError({
    method: 'GET',
    path: url.pathname,
    status: undefined,
    code,
    detail: `the journal could not be read (${String(failure.message ?? error)})`,
    requestId: undefined,
    retryable: true,
    retryAfterMs: undefined,
    cause: error,
  });
}

function safePath(text: string): string {
  try {
    const url = new URL(text);
    return `${url.origin}${url.pathname}`;
  } catch {
    return '(not a URL)';
  }
}
