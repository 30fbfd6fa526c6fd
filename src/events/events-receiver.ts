/**
 * The Adobe I/O Events webhook for flow-run notifications. GET answers the registration challenge. POST takes the
 * raw body (at most 2 MB, Adobe's largest batch), verifies its signatures, reads the events, checks they are meant
 * for our client id, then awaits the injected hand-off and answers 200 only once it resolved. A hand-off that fails
 * or overruns its budget is answered 5xx, so I/O Events delivers the event again; requests that can never succeed
 * are answered 4xx (401 unverifiable, 400 malformed, 403 another recipient, 413 too large) and logged without their
 * body. Events may come twice or out of order: the hand-off de-duplicates by eventId.
 */
import Fastify, { type FastifyError, type FastifyInstance } from 'fastify';
import { MalformedEventError, flowRunEventsOf } from './event-envelope';
import { defaultHandOffTimeoutMs } from './events-receiver-settings';
import type { FlowRunEvent } from './flow-run-event';
import { KeyHostUnavailableError, PublicKeyCache } from './public-key-cache';
import { stderrJsonLogger, type EventsReceiverLogger } from './receiver-logger';
import { SignatureVerifier } from './signature-verification';

/** Adobe's batch deliveries are at most 2 MB (I/O Events FAQ). */
export const largestEventBodyBytes = 2 * 1024 * 1024;
export const eventsPath = '/events';
const longestChallenge = 256;

export type HandOff = (events: FlowRunEvent[], context: { signal: AbortSignal }) => Promise<void>;

export interface EventsReceiverOptions {
  /** 0 picks a free port. */
  port: number;
  host?: string;
  /** Where public keys are fetched, e.g. https://static.adobeioevents.com or a simulator's URL. */
  keyHost: string;
  /** Events naming another recipient client id are refused. */
  clientId: string;
  /** Takes verified events; the delivery is acknowledged only after it resolved. */
  handOff: HandOff;
  logger?: EventsReceiverLogger;
  /** How long the hand-off may take (default 7 s, under I/O Events' 10 s deadline); its signal aborts then. */
  handOffTimeoutMs?: number;
  /** How long fetched public keys are kept (at most, and by default, 24 h). */
  keyCacheTtlMs?: number;
}

export interface RunningEventsReceiver {
  /** Base URL; the webhook URL to register is `${url}/events`. */
  url: string;
  port: number;
  close(): Promise<void>;
}

class HandOffTimeoutError extends Error {
  constructor(timeoutMs: number) {
    super(`the hand-off did not finish within ${timeoutMs} ms`);
  }
}

export async function startEventsReceiver(options: EventsReceiverOptions): Promise<RunningEventsReceiver> {
  const app = buildEventsReceiver(options);
  const host = options.host ?? '127.0.0.1';
  await app.listen({ port: options.port, host });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  const urlHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
  return { url: `http://${urlHost}:${port}`, port, close: () => app.close() };
}

export function buildEventsReceiver(options: EventsReceiverOptions): FastifyInstance {
  const logger = options.logger ?? stderrJsonLogger;
  const handOffTimeoutMs = options.handOffTimeoutMs ?? defaultHandOffTimeoutMs;
  const keyHost = new URL(options.keyHost);
  const verifier = new SignatureVerifier(keyHost, new PublicKeyCache({ ttlMs: options.keyCacheTtlMs }));

  const app = Fastify({ logger: false, bodyLimit: largestEventBodyBytes, forceCloseConnections: true });
  // Signatures cover the exact bytes sent: every body is kept raw, whatever its content type says.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));

  app.setErrorHandler((error: FastifyError, request, reply) => {
    const status = typeof error.statusCode === 'number' && error.statusCode >= 400 ? error.statusCode : 500;
    const meta = { status, code: error.code, method: request.method, path: eventsPathOf(request.url) };
    if (status >= 500) logger.error('events receiver failed', { ...meta, error: error.message });
    else logger.warn('event delivery refused', meta);
    return reply.code(status).send({ error: status === 413 ? 'the body is larger than 2 MB' : error.message });
  });

  app.get<{ Querystring: { challenge?: unknown } }>(eventsPath, (request, reply) => {
    const challenge = request.query.challenge;
    if (typeof challenge !== 'string' || challenge === '' || challenge.length > longestChallenge) {
      return reply.code(400).send({ error: 'expected a challenge query parameter' });
    }
    logger.info('answered the I/O Events registration challenge');
    return reply.type('application/json').send({ challenge });
  });

  app.post(eventsPath, async (request, reply) => {
    const deliveryId = single(request.headers['x-adobe-delivery-id']);
    const headerEventId = single(request.headers['x-adobe-event-id']);
    const refuse = (status: number, reason: string) => {
      logger.warn('event delivery refused', { status, reason, eventId: headerEventId, deliveryId });
      return reply.code(status).send({ error: reason });
    };
    const rawBody = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);

    try {
      const check = await verifier.verify(rawBody, request.headers);
      if (!check.verified) return refuse(401, check.reason);
    } catch (error) {
      if (!(error instanceof KeyHostUnavailableError)) throw error;
      logger.error('event delivery not verified: key host unavailable', {
        eventId: headerEventId,
        error: error.message,
      });
      return reply.code(503).send({ error: 'the public keys could not be fetched; try again' });
    }

    let events: FlowRunEvent[];
    try {
      events = flowRunEventsOf(JSON.parse(rawBody.toString('utf8')), headerEventId);
    } catch (error) {
      if (error instanceof SyntaxError) return refuse(400, 'the body is not JSON');
      if (error instanceof MalformedEventError) return refuse(400, error.message);
      throw error;
    }
    const misaddressed = events.find(
      (event) => event.recipientClientId !== undefined && event.recipientClientId !== options.clientId,
    );
    if (misaddressed) return refuse(403, `event ${misaddressed.eventId} is meant for another client id`);

    const eventIds = events.map((event) => event.eventId);
    try {
      await withinBudget(options.handOff, events, handOffTimeoutMs);
    } catch (error) {
      const timedOut = error instanceof HandOffTimeoutError;
      logger.error(timedOut ? 'event hand-off timed out' : 'event hand-off failed', {
        eventIds,
        error: (error as Error).message,
      });
      return reply.code(timedOut ? 503 : 500).send({ error: 'the events were not taken; deliver them again' });
    }
    logger.info('events handed off', { eventIds, deliveryId });
    return reply.code(200).send({ accepted: events.length });
  });

  return app;
}

async function withinBudget(handOff: HandOff, events: FlowRunEvent[], timeoutMs: number): Promise<void> {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => {
      controller.abort();
      reject(new HandOffTimeoutError(timeoutMs));
    }, timeoutMs);
  });
  try {
    await Promise.race([handOff(events, { signal: controller.signal }), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function eventsPathOf(url: string): string {
  return url.split('?', 1)[0]!;
}
