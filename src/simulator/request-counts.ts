/**
 * How many requests the simulator received, per method and route, since it started: what a benchmark counts
 * as the calls its client made. Unlike the request log it is never trimmed or cleared by the log's admin call, and
 * it costs one map update per request. Flow Service routes are named as AEP's docs write them (`GET /runs`,
 * `GET /flows/:id`); every other route by its full path (`POST /ims/token/v3`). Counted on arrival, before fault
 * rules and the gateway, so a request a fault answered still counts. The admin API's own calls are not counted.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { flowServicePrefix } from './api-errors';
import { isAdminUrl } from './request-log';

export class RequestCounts {
  private counts = new Map<string, number>();

  count(routeKey: string): void {
    this.counts.set(routeKey, (this.counts.get(routeKey) ?? 0) + 1);
  }

  /** `{ "GET /runs": 12, … }`, keys sorted. */
  read(): Record<string, number> {
    return Object.fromEntries([...this.counts].sort(([left], [right]) => (left < right ? -1 : left > right ? 1 : 0)));
  }

  clear(): void {
    this.counts = new Map();
  }
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
