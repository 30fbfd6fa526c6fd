/**
 * Applies fault rules to every request outside `/__sim/`, before the gateway: delay, answer a status instead of
 * the API (with `Retry-After` when asked), or perform the request and then destroy the socket unanswered.
 */
import type { FastifyInstance } from 'fastify';
import { defaultErrorFor } from './api-errors';
import type { FaultRules } from './faults';
import { SimulatorHttpError } from './problems';
import { isAdminUrl, type RequestLog } from './request-log';

export function registerFaultInjection(app: FastifyInstance, faults: FaultRules, log: RequestLog): void {
  const toDrop = new WeakSet<object>();

  app.addHook('onRequest', async (request) => {
    if (faults.isEmpty || isAdminUrl(request.url)) return;
    const effect = faults.take(request.method, request.url);
    if (!effect) return;
    if (effect.delayMs) await new Promise((resolve) => setTimeout(resolve, effect.delayMs));
    if (effect.dropAfterCommit) {
      toDrop.add(request.raw);
      return;
    }
    if (effect.status !== undefined) {
      const path = request.url.split('?', 1)[0]!;
      const body = effect.body !== undefined ? effect.body : defaultErrorFor(path, effect.status).body;
      const headers: Record<string, string> = effect.retryAfter !== undefined ? { 'retry-after': effect.retryAfter } : {};
      throw new SimulatorHttpError(effect.status, body, headers);
    }
  });

  // onSend runs after the handler changed state and before any byte of the answer is written.
  app.addHook('onSend', async (request, reply, payload) => {
    if (toDrop.has(request.raw)) {
      log.recordRequest(request, reply, true);
      request.raw.socket.destroy();
    }
    return payload;
  });
}
