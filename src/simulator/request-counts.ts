/**
 * How many requests the simulator received, per method and route, since it started: what a benchmark counts
 * as the calls its client made. Unlike the request log it is never trimmed or cleared by the log's admin call, and
 * it costs one map update per request. Flow Service routes are named as AEP's docs write them (`GET /runs`,
 * `GET /flows/:id`); every other route by its full path (`POST /ims/token/v3`). Counted on arrival, before fault
 * rules and the gateway, so a request a fault answered still counts. The admin API's own calls are not counted.
 *
 * AEP calls are also counted per organization by what the rate limiter did with them (admitted or throttled), so a
 * benchmark can tell the calls the platform served from the 429s its client provoked.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { flowServicePrefix } from './api-errors';
import { isAdminUrl } from './request-log';

/** AEP calls that reached the rate limiter (fault answers never do), by what it did with them. */
export interface PlatformCallCounts {
  /** Let through to the gateway and the API, whatever they answered. */
  admitted: number;
  /** Answered 429 by the rate limit. */
  throttled: number;
}

export type PlatformCallOutcome = keyof PlatformCallCounts;

/** `GET /__sim/request-counts?by=organization`. */
export interface RequestCountsByOrganization {
  /** The plain answer of `GET /__sim/request-counts`. */
  routes: Record<string, number>;
  /** Every organization together. */
  platformCalls: PlatformCallCounts;
  /** Per `x-gw-ims-org-id` header value. */
  organizations: Record<string, PlatformCallCounts>;
}

export class RequestCounts {
  private counts = new Map<string, number>();
  private platformCalls = new Map<string, PlatformCallCounts>();

  count(routeKey: string): void {
    this.counts.set(routeKey, (this.counts.get(routeKey) ?? 0) + 1);
  }

  countPlatformCall(organization: string, outcome: PlatformCallOutcome): void {
    let counts = this.platformCalls.get(organization);
    if (!counts) {
      counts = { admitted: 0, throttled: 0 };
      this.platformCalls.set(organization, counts);
    }
    counts[outcome] += 1;
  }

  /** `{ "GET /runs": 12, … }`, keys sorted. */
  read(): Record<string, number> {
    return Object.fromEntries([...this.counts].sort(byKey));
  }

  readByOrganization(): RequestCountsByOrganization {
    const total: PlatformCallCounts = { admitted: 0, throttled: 0 };
    for (const counts of this.platformCalls.values()) {
      total.admitted += counts.admitted;
      total.throttled += counts.throttled;
    }
    const organizations = [...this.platformCalls]
      .sort(byKey)
      .map(([organization, counts]): [string, PlatformCallCounts] => [organization, { ...counts }]);
    return { routes: this.read(), platformCalls: total, organizations: Object.fromEntries(organizations) };
  }

  clear(): void {
    this.counts = new Map();
    this.platformCalls = new Map();
  }
}

function byKey([left]: [string, unknown], [right]: [string, unknown]): number {
  return left < right ? -1 : left > right ? 1 : 0;
}

/** Registered before fault injection: a hook that answers early skips the hooks after it. */
export function registerRequestCounting(app: FastifyInstance, counts: RequestCounts): void {
  app.addHook('onRequest', (request, _reply, done) => {
    if (!isAdminUrl(request.url)) counts.count(routeKeyOf(request));
    done();
  });
}

export function routeKeyOf(request: FastifyRequest): string {
  const route = request.routeOptions.url;
  if (route === undefined) return `${request.method} (no such route)`;
  const relative = route.startsWith(`${flowServicePrefix}/`) ? route.slice(flowServicePrefix.length) : route;
  return `${request.method} ${relative}`;
}
