/**
 * The Adobe I/O gateway's throttling of AEP calls, for tests and benchmarks of how clients behave under 429s: at
 * most `requestsPerSecond` admitted requests per organization (`x-gw-ims-org-id`) in any trailing second, a sliding
 * window of real time (it models a gateway, so the schedule's time scale does not apply). A request over the limit
 * is answered 429 with `Retry-After` and is not processed; it takes no slot, so a client retrying too early does not
 * push its own admission further away.
 *
 * It runs after fault rules and before the gateway's auth checks: Adobe throttles at the API gateway, before a call
 * is routed to a service, so a call the gateway would refuse for its credentials still takes a slot.
 */
import { performance } from 'node:perf_hooks';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { platformPrefix } from './api-errors';
import { gatewayError } from './problems';
import type { RequestCounts } from './request-counts';

/** The trailing window the limit counts admissions in. */
const windowMs = 1000;
/** A window keeps one timestamp per slot; this bounds its memory (800 KB an organization). */
export const largestRequestsPerSecond = 100_000;
/** Past this many organizations, windows with nothing in them are forgotten (calls with made-up org ids). */
const organizationsBeforePruning = 1000;

export const rateLimitInput = z
  .object({ requestsPerSecond: z.number().int().min(1).max(largestRequestsPerSecond) })
  .strict();

export interface RateLimitSettings {
  /** null: no limit. */
  requestsPerSecond: number | null;
}

/** Undefined when admitted; otherwise whole seconds (at least 1) until a slot of the window frees. */
export type RetryAfterSeconds = number | undefined;

export class RateLimit {
  private requestsPerSecond: number | undefined;
  private windows = new Map<string, AdmissionWindow>();

  /** `now` is a monotonic millisecond clock, replaceable in tests. */
  constructor(
    requestsPerSecond?: number,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.set(requestsPerSecond);
  }

  /** Sets or (undefined) removes the limit; every window starts afresh. */
  set(requestsPerSecond: number | undefined): void {
    if (
      requestsPerSecond !== undefined &&
      !(Number.isInteger(requestsPerSecond) && requestsPerSecond >= 1 && requestsPerSecond <= largestRequestsPerSecond)
    ) {
      throw new RangeError(
        `a rate limit is an integer from 1 to ${largestRequestsPerSecond} requests a second, got ${requestsPerSecond}`,
      );
    }
    this.requestsPerSecond = requestsPerSecond;
    this.windows = new Map();
  }

  settings(): RateLimitSettings {
    return { requestsPerSecond: this.requestsPerSecond ?? null };
  }

  /** Admits a request of `organization` now and takes a slot, or says how long to wait. */
  admit(organization: string): RetryAfterSeconds {
    if (this.requestsPerSecond === undefined) return undefined;
    const now = this.now();
    let window = this.windows.get(organization);
    if (!window) {
      if (this.windows.size >= organizationsBeforePruning) this.forgetIdleWindows(now);
      window = new AdmissionWindow(this.requestsPerSecond);
      this.windows.set(organization, window);
    }
    const waitMs = window.tryAdmit(now);
    return waitMs === undefined ? undefined : Math.max(1, Math.ceil(waitMs / 1000));
  }

  private forgetIdleWindows(now: number): void {
    for (const [organization, window] of this.windows) if (window.isIdle(now)) this.windows.delete(organization);
  }
}

/** When the last `capacity` requests of one organization were admitted, oldest first (a ring buffer). */
class AdmissionWindow {
  private readonly admittedAt: Float64Array;
  private oldest = 0;
  private size = 0;

  constructor(capacity: number) {
    this.admittedAt = new Float64Array(capacity);
  }

  /** Takes a slot at `now` and answers undefined, or answers the ms until the oldest admission leaves the window. */
  tryAdmit(now: number): number | undefined {
    const capacity = this.admittedAt.length;
    // An admission at `a` holds its slot while now < a + windowMs.
    while (this.size > 0 && this.admittedAt[this.oldest]! <= now - windowMs) {
      this.oldest = (this.oldest + 1) % capacity;
      this.size -= 1;
    }
    if (this.size < capacity) {
      this.admittedAt[(this.oldest + this.size) % capacity] = now;
      this.size += 1;
      return undefined;
    }
    return this.admittedAt[this.oldest]! + windowMs - now;
  }

  isIdle(now: number): boolean {
    if (this.size === 0) return true;
    const newest = this.admittedAt[(this.oldest + this.size - 1) % this.admittedAt.length]!;
    return newest <= now - windowMs;
  }
}

/** Calls without an organization header are not throttled (the gateway refuses them) and are counted under this. */
export const noOrganization = '(no x-gw-ims-org-id)';

/**
 * Registered after fault injection and before the gateway. Counts every AEP call that reaches it as admitted or
 * throttled, per organization, whether or not a limit is in force.
 */
export function registerRateLimiting(app: FastifyInstance, rateLimit: RateLimit, counts: RequestCounts): void {
  app.addHook('onRequest', (request, _reply, done) => {
    if (!request.url.startsWith(platformPrefix)) {
      done();
      return;
    }
    const organization = organizationOf(request);
    const retryAfterSeconds = organization === undefined ? undefined : rateLimit.admit(organization);
    counts.countPlatformCall(
      organization ?? noOrganization,
      retryAfterSeconds === undefined ? 'admitted' : 'throttled',
    );
    if (retryAfterSeconds === undefined) {
      done();
      return;
    }
    // AEP's own API specs document no 429. Adobe's Analytics 2.0 API FAQ documents this body for the adobe.io
    // gateway's throttling: https://developer.adobe.com/analytics-apis/docs/2.0/guides/faq
    done(gatewayError(429, '429050', 'Too many requests', { 'retry-after': String(retryAfterSeconds) }));
  });
}

function organizationOf(request: FastifyRequest): string | undefined {
  const header = request.headers['x-gw-ims-org-id'];
  const organization = Array.isArray(header) ? header.join(',') : header;
  return organization === undefined || organization === '' ? undefined : organization;
}
