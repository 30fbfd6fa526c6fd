/**
 * Admin routes for benchmarks and tests of run watching: the share of runs that fail, a compact read of every
 * run of a sandbox (what ran, to compare with what monitors saw, without AEP calls that would be counted), and
 * the count of AEP requests received per route (and, per organization, admitted or throttled by the rate limit).
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { StoredRun } from './flow-service/entity-types';
import { SimulatorHttpError } from './problems';
import type { RequestCounts } from './request-counts';
import { runFailureShareInput, type RunFailures } from './run-failures';
import { startOf } from './run-index';
import type { Store } from './store';

const defaultRunPageSize = 10_000;
const largestRunPageSize = 100_000;

const runsQuery = z.object({
  sandbox: z.string().min(1),
  startedAfter: z.coerce.number().optional(),
  completedAfter: z.coerce.number().optional(),
  limit: z.coerce.number().int().min(1).max(largestRunPageSize).default(defaultRunPageSize),
  cursor: z
    .string()
    .regex(/^-?\d+(\.\d+)?_.+$/, 'expected a nextCursor from an earlier page')
    .optional(),
});

const requestCountsQuery = z.object({ by: z.literal('organization').optional() });

export interface RunSummary {
  id: string;
  flowId: string;
  status: string;
  startedAtUTC: number;
  completedAtUTC?: number;
  /** The first error's code, for failed runs and runs with failed records. */
  errorCode?: string;
}

export interface AdminRunDependencies {
  store: Store;
  runFailures: RunFailures;
  requestCounts: RequestCounts;
}

function adminError(status: number, message: string): SimulatorHttpError {
  return new SimulatorHttpError(status, { error: message });
}

export function registerAdminRunRoutes(app: FastifyInstance, prefix: string, dependencies: AdminRunDependencies): void {
  const { store, runFailures, requestCounts } = dependencies;

  app.get(`${prefix}/run-failures`, () => runFailures.settings());
  app.put(`${prefix}/run-failures`, (request) => {
    const parsed = runFailureShareInput.safeParse(request.body);
    if (!parsed.success) {
      throw adminError(400, `expected {share: number from 0 to 1, sandbox?: string}: ${parsed.error.message}`);
    }
    runFailures.set(parsed.data);
    return runFailures.settings();
  });
  app.delete(`${prefix}/run-failures`, () => {
    runFailures.reset();
    return runFailures.settings();
  });

  /** Runs of one sandbox in start order, paged by `nextCursor` (a position in that order). */
  app.get(`${prefix}/runs`, (request) => {
    const parsed = runsQuery.safeParse(request.query);
    if (!parsed.success) throw adminError(400, `invalid query: ${parsed.error.message}`);
    const { sandbox, startedAfter, completedAfter, limit, cursor } = parsed.data;
    const runs = store.runs.ofSandbox(sandbox);
    let position = 0;
    if (startedAfter !== undefined) position = store.runs.positionAfter(sandbox, startedAfter, '\uffff');
    if (cursor !== undefined) {
      const separator = cursor.indexOf('_');
      const cursorPosition = store.runs.positionAfter(
        sandbox,
        Number(cursor.slice(0, separator)),
        cursor.slice(separator + 1),
      );
      position = Math.max(position, cursorPosition);
    }
    const items: RunSummary[] = [];
    let last: StoredRun | undefined;
    for (; position < runs.length && items.length < limit; position += 1) {
      const run = runs[position]!;
      const completedAt = run.metrics.durationSummary.completedAtUTC;
      if (completedAfter !== undefined && !(completedAt !== undefined && completedAt > completedAfter)) continue;
      items.push(summaryOf(run));
      last = run;
    }
    const nextCursor = position < runs.length && last ? `${startOf(last)}_${last.id}` : undefined;
    return { items, count: items.length, ...(nextCursor ? { nextCursor } : {}) };
  });

  /** `?by=organization` adds the AEP calls the rate limiter admitted and throttled, per organization. */
  app.get(`${prefix}/request-counts`, (request) => {
    const parsed = requestCountsQuery.safeParse(request.query);
    if (!parsed.success) throw adminError(400, `invalid query: ${parsed.error.message}`);
    return parsed.data.by === 'organization' ? requestCounts.readByOrganization() : requestCounts.read();
  });
  app.delete(`${prefix}/request-counts`, (_request, reply) => {
    requestCounts.clear();
    void reply.code(204).send();
  });
}

function summaryOf(run: StoredRun): RunSummary {
  const { durationSummary, statusSummary } = run.metrics;
  const summary: RunSummary = {
    id: run.id,
    flowId: run.flowId,
    status: statusSummary.status,
    startedAtUTC: durationSummary.startedAtUTC,
  };
  if (durationSummary.completedAtUTC !== undefined) summary.completedAtUTC = durationSummary.completedAtUTC;
  const errorCode = statusSummary.errors[0]?.code;
  if (errorCode !== undefined) summary.errorCode = errorCode;
  return summary;
}
