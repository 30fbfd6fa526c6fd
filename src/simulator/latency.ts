/**
 * Added latency, for benchmarks that should feel the round trips of a remote platform: every call outside `/__sim/`
 * (AEP, IMS and OneTrust alike, since the tool calls all three over the internet) is answered `ms` later than it
 * would be. The delay comes after the work and before the answer, so a call's effect is visible to other callers
 * while its own answer is still on the way, as over a real network.
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { isAdminUrl } from './request-log';

export const largestLatencyMs = 600_000;

export const latencyInput = z.object({ ms: z.number().int().min(0).max(largestLatencyMs) }).strict();
export type LatencyInput = z.infer<typeof latencyInput>;

export class AddedLatency {
  private current = 0;

  constructor(ms = 0) {
    this.set(ms);
  }

  /** 0 answers at once. */
  set(ms: number): void {
    if (!(Number.isInteger(ms) && ms >= 0 && ms <= largestLatencyMs)) {
      throw new RangeError(`a latency is an integer from 0 to ${largestLatencyMs} ms, got ${ms}`);
    }
    this.current = ms;
  }

  get ms(): number {
    return this.current;
  }

  settings(): LatencyInput {
    return { ms: this.current };
  }
}

/** onSend runs for every answer, errors and 429s included, before its first byte is written. */
export function registerLatency(app: FastifyInstance, latency: AddedLatency): void {
  app.addHook('onSend', (request, _reply, payload, done) => {
    const ms = latency.ms;
    if (ms === 0 || isAdminUrl(request.url)) done(null, payload);
    else setTimeout(() => done(null, payload), ms);
  });
}
