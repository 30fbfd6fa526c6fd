/**
 * Admin routes that shape the traffic of one shared simulator per test or benchmark: the gateway's rate limit
 * (`/rate-limit`) and the latency added to every API call (`/latency`). PUT sets, DELETE removes (whatever the
 * simulator was started with); all three answer the setting in force.
 */
import type { FastifyInstance } from 'fastify';
import type { z } from 'zod';
import { largestLatencyMs, latencyInput, type AddedLatency } from './latency';
import { SimulatorHttpError } from './problems';
import { largestRequestsPerSecond, rateLimitInput, type RateLimit } from './rate-limit';

export interface AdminTrafficDependencies {
  rateLimit: RateLimit;
  latency: AddedLatency;
}

function adminError(status: number, message: string): SimulatorHttpError {
  return new SimulatorHttpError(status, { error: message });
}

/** One line naming each offending field: `ms: Too small: expected number to be >=0`. */
function describeIssues(error: z.ZodError): string {
  return error.issues.map((issue) => `${issue.path.join('.') || 'body'}: ${issue.message}`).join('; ');
}

export function registerAdminTrafficRoutes(
  app: FastifyInstance,
  prefix: string,
  dependencies: AdminTrafficDependencies,
): void {
  const { rateLimit, latency } = dependencies;

  app.get(`${prefix}/rate-limit`, () => rateLimit.settings());
  app.put(`${prefix}/rate-limit`, (request) => {
    const parsed = rateLimitInput.safeParse(request.body);
    if (!parsed.success) {
      throw adminError(
        400,
        `expected {requestsPerSecond: integer from 1 to ${largestRequestsPerSecond}}: ${describeIssues(parsed.error)}`,
      );
    }
    rateLimit.set(parsed.data.requestsPerSecond);
    return rateLimit.settings();
  });
  app.delete(`${prefix}/rate-limit`, () => {
    rateLimit.set(undefined);
    return rateLimit.settings();
  });

  app.get(`${prefix}/latency`, () => latency.settings());
  app.put(`${prefix}/latency`, (request) => {
    const parsed = latencyInput.safeParse(request.body);
    if (!parsed.success) {
      throw adminError(400, `expected {ms: integer from 0 to ${largestLatencyMs}}: ${describeIssues(parsed.error)}`);
    }
    latency.set(parsed.data.ms);
    return latency.settings();
  });
  app.delete(`${prefix}/latency`, () => {
    latency.set(0);
    return latency.settings();
  });
}
