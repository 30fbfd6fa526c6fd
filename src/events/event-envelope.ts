/**
 * Reads flow-run notifications in both envelopes Adobe documents for them (experience-platform
 * help/sources/notifications.md), into FlowRunEvents:
 * - the success sample's `{event_id, event: {id, flowId, sandboxName, imsOrgId, header: {_adobeio: {eventCode}}}}`;
 * - the failure sample's `[{messages: [{imsOrgId, _eventNotificationMeta: {type}, value: {id, flowId, …}}]}]`.
 * A body may also be an array of either (batch delivery). The event id comes from `eventid` / `event_id` in the
 * payload, else from the x-adobe-event-id header; the recipient client id from `recipientclientid` /
 * `recipient_client_id` (the I/O Events FAQ: both names are sent during a transition).
 * A registration may carry other event types too: an event whose code (in the payload, or the x-adobe-event-code
 * header of a single-event delivery) is not a flow-run code is skipped, not refused, since I/O Events does not retry
 * a 4xx and disables a registration that keeps getting them. A flow-run event that cannot be read, or an event
 * with no code at all, is refused with an error that names the field.
 */
import { z } from 'zod';
import type { FlowRunEvent, FlowRunOutcome } from './flow-run-event';
import { runFactsOf } from './run-facts';

export class MalformedEventError extends Error {
  constructor(
    /** Where in the payload, e.g. `event.flowId` or `[0].messages[0].value.id`. */
    readonly field: string,
    problem: string,
  ) {
    super(`malformed flow-run event: ${field === '' ? 'the body' : field} ${problem}`);
    this.name = 'MalformedEventError';
  }
}

/**
 * Event codes by outcome. Adobe's samples use sources_flow_run_success and sources_flow_run_failed; its prose says
 * sources_flow_run_failure; no Adobe page names the start code, so both likely spellings are read.
 */
const outcomeByEventCode: Record<string, FlowRunOutcome> = {
  sources_flow_run_started: 'started',
  sources_flow_run_start: 'started',
  sources_flow_run_success: 'succeeded',
  sources_flow_run_failed: 'failed',
  sources_flow_run_failure: 'failed',
};

/** The problem a field has, saying "is missing" when it is absent rather than of the wrong type. */
const problemOr = (wrongShape: string) => (issue: { input?: unknown }) =>
  issue.input === undefined ? 'is missing' : wrongShape;

const text = z.string({ error: problemOr('must be a string') }).min(1, { error: 'must not be empty' });
const objectError = { error: problemOr('must be an object') };

const identification = {
  eventid: text.optional(),
  event_id: text.optional(),
  recipientclientid: text.optional(),
  recipient_client_id: text.optional(),
};

const runFields = {
  id: text,
  flowId: text,
  sandboxName: text.optional(),
  imsOrgId: text.optional(),
};

const eventEnvelope = z.object({
  ...identification,
  event: z.object(
    {
      ...runFields,
      header: z.object(
        { _adobeio: z.object({ eventCode: text, imsOrgId: text.optional() }, objectError) },
        objectError,
      ),
    },
    objectError,
  ),
});

const messagesEnvelope = z.object({
  ...identification,
  messages: z
    .array(z.unknown(), { error: problemOr('must be an array') })
    .min(1, { error: 'must hold at least one message' }),
});

const message = z.object({
  imsOrgId: text.optional(),
  _eventNotificationMeta: z.object({ type: text }, objectError),
  value: z.object(runFields, objectError),
});

/** An event of another type than a flow run, skipped. */
export interface SkippedEvent {
  eventCode: string;
  eventId?: string;
}

export interface DeliveryReading {
  events: FlowRunEvent[];
  skipped: SkippedEvent[];
}

/** What a delivery's headers add: the event id and code, for a single-event delivery. */
export interface DeliveryHeaders {
  /** x-adobe-event-id */
  eventId?: string;
  /** x-adobe-event-code */
  eventCode?: string;
}

/** Every flow-run event in a parsed JSON body, and the events of other types it skipped. */
export function readDelivery(body: unknown, headers: DeliveryHeaders = {}): DeliveryReading {
  const events: FlowRunEvent[] = [];
  const skipped: SkippedEvent[] = [];
  const sort = (readings: Array<FlowRunEvent | SkippedEvent>) => {
    for (const reading of readings) ('outcome' in reading ? events : skipped).push(reading);
  };
  if (Array.isArray(body)) {
    if (body.length === 0) throw new MalformedEventError('', 'is an empty array');
    // Header values describe one event: they apply to a batch of one only.
    const single = body.length === 1 ? headers : {};
    body.forEach((element, index) => sort(eventsOfEnvelope(element, `[${index}]`, single)));
    // A single event's id may be in the header only; in a batch each element must carry its own.
    if (events.length === 1 && headers.eventId !== undefined && events[0]!.eventId === '')
      events[0]!.eventId = headers.eventId;
    events.forEach((event, index) => requireEventId(event, body.length === 1 ? '[0].event_id' : `[${index}].event_id`));
    return { events, skipped };
  }
  sort(eventsOfEnvelope(body, '', headers));
  events.forEach((event) => requireEventId(event, 'event_id'));
  return { events, skipped };
}

/** Every flow-run event in a parsed JSON body (events of other types left out); `headerEventId` is x-adobe-event-id. */
export function flowRunEventsOf(body: unknown, headerEventId?: string): FlowRunEvent[] {
  return readDelivery(body, headerEventId !== undefined ? { eventId: headerEventId } : {}).events;
}

export function isFlowRunEventCode(code: string): boolean {
  return Object.hasOwn(outcomeByEventCode, code);
}

function eventsOfEnvelope(
  element: unknown,
  prefix: string,
  headers: DeliveryHeaders,
): Array<FlowRunEvent | SkippedEvent> {
  if (typeof element !== 'object' || element === null) throw new MalformedEventError(prefix, 'must be an object');
  const ids = element as Record<string, unknown>;
  const payloadId = [ids.eventid, ids.event_id, ids.id].find((id): id is string => typeof id === 'string' && id !== '');
  if ('messages' in element) {
    const envelope = parse(messagesEnvelope, element, prefix);
    const eventId = envelope.eventid ?? envelope.event_id ?? headers.eventId ?? '';
    return envelope.messages.map((raw, index) => {
      // One id per message: several messages under one envelope id each get their own.
      const messageEventId = index === 0 || eventId === '' ? eventId : `${eventId}#${index}`;
      const messagePrefix = joinPath(prefix, `messages[${index}]`);
      const otherCode = otherEventCode(codeAt(raw, ['_eventNotificationMeta', 'type']));
      if (otherCode !== undefined) return skippedEvent(otherCode, messageEventId);
      const read = parse(message, raw, messagePrefix);
      return normalized({
        eventId: messageEventId,
        eventCode: read._eventNotificationMeta.type,
        codeField: joinPath(messagePrefix, '_eventNotificationMeta.type'),
        run: read.value,
        rawRun: (raw as { value?: unknown }).value,
        organizationId: read.value.imsOrgId ?? read.imsOrgId,
        recipientClientId: envelope.recipientclientid ?? envelope.recipient_client_id,
      });
    });
  }
  // The code where Adobe's envelope has it, a CloudEvents `type`, else the delivery's header.
  const code =
    codeAt(element, ['event', 'header', '_adobeio', 'eventCode']) ??
    ('event' in element ? undefined : codeAt(element, ['type'])) ??
    headers.eventCode;
  const otherCode = otherEventCode(code);
  if (otherCode !== undefined) return [skippedEvent(otherCode, payloadId ?? headers.eventId)];
  const envelope = parse(eventEnvelope, element, prefix);
  return [
    normalized({
      eventId: envelope.eventid ?? envelope.event_id ?? headers.eventId ?? '',
      eventCode: envelope.event.header._adobeio.eventCode,
      codeField: joinPath(prefix, 'event.header._adobeio.eventCode'),
      run: envelope.event,
      rawRun: (element as { event?: unknown }).event,
      organizationId: envelope.event.imsOrgId ?? envelope.event.header._adobeio.imsOrgId,
      recipientClientId: envelope.recipientclientid ?? envelope.recipient_client_id,
    }),
  ];
}

/** The string at `path` inside `value`, if there is one. */
function codeAt(value: unknown, path: string[]): string | undefined {
  let at: unknown = value;
  for (const key of path) {
    if (typeof at !== 'object' || at === null) return undefined;
    at = (at as Record<string, unknown>)[key];
  }
  return typeof at === 'string' && at.trim() !== '' ? at : undefined;
}

/** The code when it names an event that is not a flow run; undefined for a flow-run code or none. */
function otherEventCode(code: string | undefined): string | undefined {
  return code !== undefined && !isFlowRunEventCode(code) ? code : undefined;
}

function skippedEvent(eventCode: string, eventId: string | undefined): SkippedEvent {
  return { eventCode, ...(eventId !== undefined && eventId !== '' ? { eventId } : {}) };
}

interface EnvelopeReading {
  eventId: string;
  eventCode: string;
  codeField: string;
  run: { id: string; flowId: string; sandboxName?: string };
  /** The run object as sent (with fields the envelope schema leaves out, such as its metrics). */
  rawRun: unknown;
  organizationId?: string;
  recipientClientId?: string;
}

function normalized(reading: EnvelopeReading): FlowRunEvent {
  const outcome = outcomeByEventCode[reading.eventCode];
  if (outcome === undefined) {
    throw new MalformedEventError(
      reading.codeField,
      `is ${JSON.stringify(reading.eventCode)}, not a flow-run event code`,
    );
  }
  const run = runFactsOf(reading.rawRun, outcome);
  return {
    eventId: reading.eventId,
    eventCode: reading.eventCode,
    outcome,
    runId: reading.run.id,
    flowId: reading.run.flowId,
    ...(reading.run.sandboxName !== undefined ? { sandboxName: reading.run.sandboxName } : {}),
    ...(reading.organizationId !== undefined ? { organizationId: reading.organizationId } : {}),
    ...(reading.recipientClientId !== undefined ? { recipientClientId: reading.recipientClientId } : {}),
    ...(run !== undefined ? { run } : {}),
  };
}

function requireEventId(event: FlowRunEvent, field: string): FlowRunEvent {
  if (event.eventId === '') throw new MalformedEventError(field, 'is missing (and no x-adobe-event-id header)');
  return event;
}

function parse<T>(schema: z.ZodType<T>, value: unknown, prefix: string): T {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  const path = issue.path.reduce<string>(
    (joined, key) => (typeof key === 'number' ? `${joined}[${key}]` : joinPath(joined, String(key))),
    prefix,
  );
  throw new MalformedEventError(path, issue.message);
}

function joinPath(prefix: string, key: string): string {
  return prefix === '' ? key : `${prefix}.${key}`;
}
