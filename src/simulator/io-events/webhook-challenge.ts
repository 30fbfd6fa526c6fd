/**
 * The synchronous validation I/O Events performs before it accepts a webhook (adobe-io-events guides/index.md):
 * GET <url>?challenge=<uuid>; the webhook answers 200 with the challenge as the body (text/plain, quoted or not)
 * or as `{"challenge": "…"}` with content-type application/json. The asynchronous validation (a POST carrying a
 * validationUrl) is not simulated: a wrong echo refuses the registration.
 */
import { randomUUID } from 'node:crypto';
import { request } from 'undici';

export type ChallengeOutcome = { accepted: true } | { accepted: false; reason: string };

export async function challengeWebhook(url: string, deadlineMs: number): Promise<ChallengeOutcome> {
  const challenge = randomUUID();
  const target = new URL(url);
  target.searchParams.set('challenge', challenge);
  let status: number;
  let contentType: string;
  let body: string;
  try {
    const response = await request(target, { method: 'GET', signal: AbortSignal.timeout(deadlineMs) });
    status = response.statusCode;
    contentType = String(response.headers['content-type'] ?? '');
    body = await response.body.text();
  } catch (error) {
    return { accepted: false, reason: `the webhook did not answer the challenge: ${(error as Error).message}` };
  }
  if (status !== 200) return { accepted: false, reason: `the webhook answered the challenge with ${status}` };
  if (echoedChallenge(contentType, body) !== challenge) {
    return { accepted: false, reason: 'the webhook did not echo the challenge' };
  }
  return { accepted: true };
}

function echoedChallenge(contentType: string, body: string): string | undefined {
  const text = body.trim();
  if (contentType.toLowerCase().startsWith('application/json')) {
    try {
      const parsed: unknown = JSON.parse(text);
      if (typeof parsed === 'string') return parsed;
      if (typeof parsed === 'object' && parsed !== null && 'challenge' in parsed) {
        return typeof parsed.challenge === 'string' ? parsed.challenge : undefined;
      }
      return undefined;
    } catch {
      return undefined;
    }
  }
  return text.startsWith('"') && text.endsWith('"') && text.length >= 2 ? text.slice(1, -1) : text;
}
