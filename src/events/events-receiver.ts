/**
 * The Adobe I/O Events webhook for flow-run notifications. GET /events answers the registration challenge; GET
 * /status shows the receiver's counters. POST takes the raw body (at most 2 MB, Adobe's largest batch), verifies
 * its signatures, reads the events, checks they are meant for our client id and organisation, then awaits the
 * injected hand-off and answers 200 only once it resolved. All of it runs under one deadline (default 7 s, inside
 * the 10 s I/O Events waits), so a delivery is never answered after Adobe gave up on it and retried.
 *
 * What I/O Events should deliver again is answered 5xx (a hand-off that failed or overran the deadline, keys that
 * could not be fetched now). Requests that can never succeed are answered 4xx (401 unverifiable, 400 a malformed
 * flow-run event, 403 another recipient, 413 too large) and logged without their body. What is simply not ours is
 * answered 200 and counted, since I/O Events marks a registration that gets 4xx unstable, then disables it: events
 * of other types, of another organisation, or of a sandbox no dataflow monitor runs in.
 * Events may come twice or out of order: the hand-off de-duplicates by eventId.
 */
import Fastify, { type FastifyError, type FastifyInstance } from 'fastify';
import { MalformedEventError, readDelivery, type DeliveryReading } from './event-envelope';
import { defaultHandOffTimeoutMs } from './events-receiver-settings';
import type { FlowRunEvent } from './flow-run-event';
import { KeyHostUnavailableError, PublicKeyCache, type KeyCacheStats, type KeyFetchLimits } from './public-key-cache';
import { ReceiverCounters, type ReceiverCounts } from './receiver-counters';
import { stderrJsonLogger, type EventsReceiverLogger } from './receiver-logger';
import { SignatureVerifier } from './signature-verification';

/** Adobe's batch deliveries are at most 2 MB (I/O Events FAQ). */
export const largestEventBodyBytes = 2 * 1024 * 1024;
export const eventsPath = '/events';
export const statusPath = '/status';
const longestChallenge = 256;

/** What a hand-off did with the events: those of sandboxes nobody manages were not handed on. */
export interface HandOffReport {
  handedOn: number;
  unmanaged: Array<{ sandbox: string; eventIds: string[] }>;
}

export type HandOff = (events: FlowRunEvent[], context: { signal: AbortSignal }) => Promise<HandOffReport | void>;

export interface EventsReceiverOptions {
  /** 0 picks a free port. */
  port: number;
  host?: string;
  /** Where public keys are fetched, e.g. https://static.adobeioevents.com or a simulator's URL. */
  keyHost: string;
  /** Events naming another recipient client id are refused. */
  clientId: string;
  /** The organisation (AEP_ORG_ID) whose events are handed on; others are counted as foreign. */
  orgId: string;
  /** Takes verified events; the delivery is acknowledged only after it resolved. */
  handOff: HandOff;
  logger?: EventsReceiverLogger;
  /** The deadline of a whole delivery (default 7 s, under I/O Events' 10 s); the hand-off's signal aborts then. */
  deadlineMs?: number;
  /** How long fetched public keys are kept (at most, and by default, 24 h). */
  keyCacheTtlMs?: number;
  /** Bounds on key fetches (defaults in public-key-cache.ts). */
  keyFetchLimits?: Partial<KeyFetchLimits>;
}

export interface ReceiverStatus extends ReceiverCounts {
  keys: KeyCacheStats;
}

export interface RunningEventsReceiver {
  /** Base URL; the webhook URL to register is `${url}/events`. */
  url: string;
  port: number;
  /** The counters GET /status shows. */
  status(): ReceiverStatus;
  close(): Promise<void>;
}

export async function startEventsReceiver(options: EventsReceiverOptions): Promise<RunningEventsReceiver> {
  const { app, status } = buildEventsReceiverWithStatus(options);
  const host = options.host ?? '127.0.0.1';
  await app.listen({ port: options.port, host });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  const urlHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
  return { url: `http://${urlHost}:${port}`, port, status, close: () => app.close() };
}

export function buildEventsReceiver(options: EventsReceiverOptions): FastifyInstance {
  return buildEventsReceiverWithStatus(options).app;
}

function buildEventsReceiverWithStatus(options: EventsReceiverOptions): {
  app: FastifyInstance;
  status: () => ReceiverStatus;
} {
  const logger = options.logger ?? stderrJsonLogger;
  const deadlineMs = options.deadlineMs ?? defaultHandOffTimeoutMs;
  const keyHost = new URL(options.keyHost);
  const counters = new ReceiverCounters();
  const keys = new PublicKeyCache({
    ...(options.keyCacheTtlMs !== undefined ? { ttlMs: options.keyCacheTtlMs } : {}),
    ...(options.keyFetchLimits ? { limits: options.keyFetchLimits } : {}),
  });
  const verifier = new SignatureVerifier(keyHost, keys, (header, reason) => {
    const refusedKeyPaths = counters.add('refusedKeyPaths');
    logger.warn('public key path refused without a fetch', { header, reason, refusedKeyPaths });
  });
  const status = (): ReceiverStatus => ({ ...counters.snapshot(), keys: keys.stats() });

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

  // Counters only: nothing here says more than the log does.
  app.get(statusPath, (_request, reply) => reply.type('application/json').send(status()));

  app.post(eventsPath, async (request, reply) => {
    const deadline = AbortSignal.timeout(deadlineMs);
    const deliveryId = single(request.headers['x-adobe-delivery-id']);
    const headerEventId = single(request.headers['x-adobe-event-id']);
    const headerEventCode = single(request.headers['x-adobe-event-code']);
    const refuse = (status: number, reason: string) => {
      logger.warn('event delivery refused', { status, reason, eventId: headerEventId, deliveryId });
      return reply.code(status).send({ error: reason });
    };
    const overran = (step: string) => {
      const deadlineExceeded = counters.add('deadlineExceeded');
      logger.error('event delivery overran its deadline', {
        step,
        deadlineMs,
        eventId: headerEventId,
        deadlineExceeded,
      });
      return reply.code(503).send({ error: `the delivery was not ${step} within ${deadlineMs} ms; deliver it again` });
    };
    const rawBody = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);

    try {
      const check = await verifier.verify(rawBody, request.headers, deadline);
      if (!check.verified) {
        counters.add('unverifiedDeliveries');
        return refuse(401, check.reason);
      }
    } catch (error) {
      if (deadline.aborted) return overran('verified');
      if (!(error instanceof KeyHostUnavailableError)) throw error;
      logger.error('event delivery not verified: key host unavailable', {
        eventId: headerEventId,
        error: error.message,
      });
      return reply.code(503).send({ error: 'the public keys could not be fetched; try again' });
    }

    let reading: DeliveryReading;
    try {
      reading = readDelivery(JSON.parse(rawBody.toString('utf8')), {
        ...(headerEventId !== undefined ? { eventId: headerEventId } : {}),
        ...(headerEventCode !== undefined ? { eventCode: headerEventCode } : {}),
      });
    } catch (error) {
      if (error instanceof SyntaxError) return refuse(400, 'the body is not JSON');
      if (error instanceof MalformedEventError) return refuse(400, error.message);
      throw error;
    }
    for (const skipped of reading.skipped) {
      const count = counters.skippedCode(skipped.eventCode);
      logger.info('event of another type skipped', { eventCode: skipped.eventCode, eventId: skipped.eventId, count });
    }
    const misaddressed = reading.events.find(
      (event) => event.recipientClientId !== undefined && event.recipientClientId !== options.clientId,
    );
    if (misaddressed) return refuse(403, `event ${misaddressed.eventId} is meant for another client id`);

    const events = reading.events.filter((event) => event.organizationId === options.orgId);
    const foreign = reading.events.filter((event) => event.organizationId !== options.orgId);
    if (foreign.length > 0) {
      const foreignEvents = counters.add('foreignEvents', foreign.length);
      logger.warn('events of another organisation: not handed on', {
        eventIds: foreign.map((event) => event.eventId),
        organizations: [...new Set(foreign.map((event) => event.organizationId ?? 'none named'))],
        foreignEvents,
      });
    }
    const answer = { accepted: events.length, skipped: reading.skipped.length, foreign: foreign.length };
    if (events.length === 0) return reply.code(200).send({ ...answer, unmanaged: 0 });

    const eventIds = events.map((event) => event.eventId);
    let report: HandOffReport | void;
    try {
      report = await withinDeadline(deadline, (signal) => options.handOff(events, { signal }));
    } catch (error) {
      if (deadline.aborted) return overran('handed off');
      logger.error('event hand-off failed', { eventIds, error: (error as Error).message });
      return reply.code(500).send({ error: 'the events were not taken; deliver them again' });
    }
    const unmanaged = report?.unmanaged.reduce((sum, entry) => sum + entry.eventIds.length, 0) ?? 0;
    if (report && unmanaged > 0) {
      const unmanagedSandboxEvents = counters.add('unmanagedSandboxEvents', unmanaged);
      logger.warn('events of sandboxes without a dataflow monitor: nothing started', {
        sandboxes: report.unmanaged.map((entry) => entry.sandbox),
        eventIds: report.unmanaged.flatMap((entry) => entry.eventIds),
        unmanagedSandboxEvents,
      });
    }
    const eventsHandedOff = counters.add('eventsHandedOff', events.length - unmanaged);
    logger.info('events handed off', { eventIds, deliveryId, eventsHandedOff });
    return reply.code(200).send({ ...answer, accepted: events.length - unmanaged, unmanaged });
  });

  return { app, status };
}

/** Runs `work` with the deadline's signal, rejecting as soon as the deadline passes even if `work` ignores it. */
async function withinDeadline<T>(deadline: AbortSignal, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
  deadline.throwIfAborted();
  let onAbort: (() => void) | undefined;
  const expired = new Promise<never>((_resolve, reject) => {
    onAbort = () => reject(new Error('the delivery deadline passed'));
    deadline.addEventListener('abort', onAbort, { once: true });
  });
  try {
    return await Promise.race([work(deadline), expired]);
  } finally {
    if (onAbort) deadline.removeEventListener('abort', onAbort);
  }
}

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function eventsPathOf(url: string): string {
  return url.split('?', 1)[0]!;
}
