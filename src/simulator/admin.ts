/**
 * The simulator's own API under `/__sim/` (no auth): inspect resources and ingested records, read and clear the
 * request log, add and clear fault rules, mint OneTrust tokens, register OneTrust clients (or regenerate their
 * secrets) and see which secret minted each token, and start a flow run now. The routes about runs at
 * fleet scale (failure share, run summaries, request counts) are in admin-run-routes.ts; the rate limit and the
 * added latency in admin-traffic-routes.ts; changes to resources that AEP's public API refuses in
 * admin-resource-routes.ts.
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { SimulatorContext } from './context';
import { registerAdminResourceRoutes } from './admin-resource-routes';
import { registerAdminRunRoutes } from './admin-run-routes';
import { registerAdminTrafficRoutes } from './admin-traffic-routes';
import { FaultRules, faultRuleInput } from './faults';
import type { StoredFlow } from './flow-service/entity-types';
import { longestOneTrustTokenLifetimeSeconds } from './onetrust-tokens';
import { secretFingerprints, withMaskedSecrets } from './flow-service/secret-masking';
import type { AddedLatency } from './latency';
import { SimulatorHttpError } from './problems';
import type { RateLimit } from './rate-limit';
import type { RequestCounts } from './request-counts';
import type { RequestLog } from './request-log';
import type { RunFailures } from './run-failures';
import type { RunScheduler } from './run-scheduler';
import { resourceKinds, type StoredResource } from './store';

export const adminPrefix = '/__sim';

const tokenRequest = z
  .object({
    expiresInSeconds: z
      .number()
      .int()
      .min(-10 * 365 * 86_400)
      .max(longestOneTrustTokenLifetimeSeconds, {
        error: `OneTrust issues tokens for at most a year: expiresInSeconds must be ≤ ${longestOneTrustTokenLifetimeSeconds}`,
      }),
  })
  .strict();
/** A OneTrust client for the client-credentials grant; a new secret for a known client regenerates it. */
const oneTrustClientRequest = z
  .object({
    clientSecret: z.string().min(1),
    tokenLifetimeSeconds: z
      .number()
      .int()
      .positive()
      .max(10 * 365 * 86_400)
      .optional(),
  })
  .strict();
/** A run that reports an earlier start than the moment it appears, as AEP may list a run late. */
const runRequest = z.object({ startedAtUTC: z.number().int().positive().optional() }).strict();
const pageQuery = z.object({
  offset: z.coerce.number().int().min(0).default(0),
  limit: z.coerce.number().int().min(1).max(100_000).default(1000),
});

export interface AdminDependencies {
  context: SimulatorContext;
  faults: FaultRules;
  requestLog: RequestLog;
  requestCounts: RequestCounts;
  runFailures: RunFailures;
  rateLimit: RateLimit;
  latency: AddedLatency;
  scheduler: RunScheduler;
  startedAt: number;
}

function adminError(status: number, message: string): SimulatorHttpError {
  return new SimulatorHttpError(status, { error: message });
}

export function registerAdminRoutes(app: FastifyInstance, dependencies: AdminDependencies): void {
  const { context, faults, requestLog, scheduler } = dependencies;
  const { store } = context;

  app.get(`${adminPrefix}/health`, () => ({
    status: 'ok',
    uptimeSeconds: Math.round((Date.now() - dependencies.startedAt) / 1000),
    timeScale: context.settings.timeScale,
  }));

  app.get<{ Querystring: { sandbox?: string } }>(`${adminPrefix}/resources`, (request) => {
    const sandbox = request.query.sandbox;
    const resources: Record<string, unknown[]> = {};
    for (const kind of resourceKinds) {
      resources[kind] = store.list(kind, sandbox).map((resource) => describeResource(kind, resource, context));
    }
    return resources;
  });

  app.get<{ Params: { id: string } }>(`${adminPrefix}/datasets/:id/records`, (request) => {
    if (!store.getAnywhere('dataSets', request.params.id))
      throw adminError(404, `dataset ${request.params.id} not found`);
    const page = pageQuery.safeParse(request.query);
    if (!page.success) throw adminError(400, page.error.message);
    const records = store.records(request.params.id);
    return { count: records.length, items: records.slice(page.data.offset, page.data.offset + page.data.limit) };
  });

  app.get(`${adminPrefix}/requests`, () => ({ items: requestLog.list() }));
  app.delete(`${adminPrefix}/requests`, (_request, reply) => {
    requestLog.clear();
    void reply.code(204).send();
  });

  app.get(`${adminPrefix}/faults`, () => ({ items: faults.list() }));
  app.post(`${adminPrefix}/faults`, (request, reply) => {
    const parsed = faultRuleInput.safeParse(request.body);
    if (!parsed.success) throw adminError(400, `invalid fault rule: ${parsed.error.message}`);
    try {
      void reply.code(201).send(faults.add(parsed.data));
    } catch (error) {
      throw adminError(400, `invalid fault rule path: ${(error as Error).message}`);
    }
  });
  app.delete(`${adminPrefix}/faults`, (_request, reply) => {
    faults.clear();
    void reply.code(204).send();
  });
  app.delete<{ Params: { id: string } }>(`${adminPrefix}/faults/:id`, (request, reply) => {
    if (!faults.remove(request.params.id)) throw adminError(404, `fault rule ${request.params.id} not found`);
    void reply.code(204).send();
  });

  app.post(`${adminPrefix}/onetrust/tokens`, (request) => {
    const parsed = tokenRequest.safeParse(request.body ?? {});
    if (!parsed.success) throw adminError(400, `expected {expiresInSeconds: integer}: ${parsed.error.message}`);
    const minted = context.oneTrust.mintToken(parsed.data.expiresInSeconds);
    return { access_token: minted.accessToken, expires_at: minted.expiresAt.toISOString() };
  });

  app.put<{ Params: { clientId: string } }>(`${adminPrefix}/onetrust/clients/:clientId`, (request) => {
    const parsed = oneTrustClientRequest.safeParse(request.body ?? {});
    if (!parsed.success) {
      throw adminError(400, `expected {clientSecret, tokenLifetimeSeconds?: integer}: ${parsed.error.message}`);
    }
    const { clientSecret, tokenLifetimeSeconds } = parsed.data;
    return context.oneTrust.registerClient(request.params.clientId, clientSecret, tokenLifetimeSeconds);
  });
  app.get<{ Params: { clientId: string } }>(`${adminPrefix}/onetrust/clients/:clientId`, (request) => {
    const client = context.oneTrust.describeClient(request.params.clientId);
    if (!client) throw adminError(404, `OneTrust client ${request.params.clientId} not found`);
    return client;
  });

  app.post<{ Params: { id: string } }>(`${adminPrefix}/flows/:id/runs`, (request, reply) => {
    const flow = store.getAnywhere<StoredFlow>('flows', request.params.id);
    if (!flow) throw adminError(404, `flow ${request.params.id} not found`);
    const parsed = runRequest.safeParse(request.body ?? {});
    if (!parsed.success) throw adminError(400, `expected {startedAtUTC?: epoch ms}: ${parsed.error.message}`);
    void reply.code(201).send(scheduler.runNow(flow, parsed.data.startedAtUTC));
  });

  registerAdminRunRoutes(app, adminPrefix, {
    store,
    runFailures: dependencies.runFailures,
    requestCounts: dependencies.requestCounts,
  });
  registerAdminResourceRoutes(app, adminPrefix, { store, scheduler });
  registerAdminTrafficRoutes(app, adminPrefix, { rateLimit: dependencies.rateLimit, latency: dependencies.latency });
}

function describeResource(kind: string, resource: StoredResource, context: SimulatorContext): unknown {
  if (kind === 'connections') {
    const fingerprints = secretFingerprints(resource);
    return Object.keys(fingerprints).length > 0
      ? { ...withMaskedSecrets(resource), secretFingerprints: fingerprints }
      : withMaskedSecrets(resource);
  }
  if (kind === 'dataSets') return { ...resource, recordCount: context.store.records(resource.id).length };
  return resource;
}
