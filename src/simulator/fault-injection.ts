/**
 * Applies fault rules to every request outside `/__sim/`, before the gateway: delay, answer a status instead of
 * the API (with `Retry-After` when asked), or perform the request and then destroy the socket unanswered.
 * A rule with dropAfterCommit ignores any status: the request is performed and never answered. A request whose
 * client disconnects while a delay holds it is not performed (it was still queued at the gateway).
 */
import type { FastifyInstance } from 'fastify';
import { defaultErrorFor } from './api-errors';
import type { FaultRules } from './faults';
import { SimulatorHttpError } from './problems';
import { isAdminUrl, type RequestLog } from './request-log';

export function registerFaultInjection(app: FastifyInstance, faults: FaultRules, log: RequestLog): void {
  const toDrop = new WeakSet<object>();

  app.addHook('onRequest', (request, _reply, done) => {
    const effect = faults.isEmpty || isAdminUrl(request.url) ? undefined : faults.take(request.method, request.url);
    if (!effect) {
      done();
      return;
    }
    const act = () => {
      // A delay models time queued at the gateway: a request its client gave up on meanwhile never reaches AEP.
      if (request.raw.socket?.destroyed) {
        done(new SimulatorHttpError(499, { message: 'client closed the request before it was processed' }));
        return;
      }
      if (effect.dropAfterCommit) {
        toDrop.add(request.raw);
        done();
      } else if (effect.status !== undefined) {
        const path = request.url.split('?', 1)[0]!;
        const body = effect.body !== undefined ? effect.body : defaultErrorFor(path, effect.status).body;
        const headers: Record<string, string> =
          effect.retryAfter !== undefined ? { 'retry-after': effect.retryAfter } : {};
        done(new SimulatorHttpError(effect.status, body, headers));
      } else {
        done();
      }
    };
    if (effect.delayMs) {
      // Held until the delay passes, or until a test clears the fault rules (releasing it at once).
      let released = false;
      const release = () => {
        if (released) return;
        released = true;
        clearTimeout(timer);
        unregister();
        act();
      };
      const timer = setTimeout(release, effect.delayMs);
      const unregister = faults.onClear(release);
    } else act();
  });

  // onSend runs after the handler changed state and before any byte of the answer is written.
  app.addHook('onSend', (request, reply, payload, done) => {
    if (toDrop.has(request.raw)) {
      log.recordRequest(request, reply, true);
      request.raw.socket.destroy();
    }
    done(null, payload);
  });
}
