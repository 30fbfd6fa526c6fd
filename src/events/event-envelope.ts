/**
 * Reads flow-run notifications in both envelopes Adobe documents for them (experience-platform
 * help/sources/notifications.md), into FlowRunEvents:
 * - the success sample's `{event_id, event: {id, flowId, sandboxName, imsOrgId, header: {_adobeio: {eventCode}}}}`;
 * - the failure sample's `[{messages: [{imsOrgId, _eventNotificationMeta: {type}, value: {id, flowId, …}}]}]`.
 * A body may also be an array of either (batch delivery). The event id comes from `eventid` / `event_id` in the
 * payload, else from the x-adobe-event-id header; the recipient client id from `recipientclientid` /
 * `recipient_client_id` (the I/O Events FAQ: both names are sent during a transition).
 * Anything else is refused with an error that names the field.
 */
import { z } from 'zod';
import type { FlowRunEvent, FlowRunOutcome } from './flow-run-event';

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
    .array(
      z.object({
        imsOrgId: text.optional(),
        _eventNotificationMeta: z.object({ type: text }, objectError),
        value: z.object(runFields, objectError),
      }),
      { error: problemOr('must be an array') },
    )
    .min(1, { error: 'must hold at least one message' }),
});

/** Every flow-run event in a parsed JSON body; `headerEventId` is x-adobe-event-id. */
export function flowRunEventsOf(body: unknown, headerEventId?: string): FlowRunEvent[] {
  if (Array.isArray(body)) {
    if (body.length === 0) throw new MalformedEventError('', 'is an empty array');
    const events = body.flatMap((element, index) => eventsOfEnvelope(element, `[${index}]`, undefined));
    // A single event's id may be in the header only; in a batch each element must carry its own.
    if (events.length === 1 && headerEventId !== undefined && events[0]!.eventId === '')
      events[0]!.eventId = headerEventId;
    return events.map((event, index) =>
      requireEventId(event, body.length === 1 ? '[0].event_id' : `[${index}].event_id`),
    );
  }
  const events = eventsOfEnvelope(body, '', headerEventId);
  return events.map((event) => requireEventId(event, 'event_id'));
}

function eventsOfEnvelope(element: unknown, prefix: string, headerEventId: string | undefined): FlowRunEvent[] {
  if (typeof element !== 'object' || element === null) throw new MalformedEventError(prefix, 'must be an object');
  if ('messages' in element) {
    const envelope = parse(messagesEnvelope, element, prefix);
    const eventId = envelope.eventid ?? envelope.event_id ?? headerEventId ?? '';
    return envelope.messages.map((message, index) =>
      normalized({
        // One id per message: several messages under one envelope id each get their own.
        eventId: index === 0 || eventId === '' ? eventId : `${eventId}#${index}`,
        eventCode: message._eventNotificationMeta.type,
        codeField: joinPath(prefix, `messages[${index}]._eventNotificationMeta.type`),
        run: message.value,
        organizationId: message.value.imsOrgId ?? message.imsOrgId,
        recipientClientId: envelope.recipientclientid ?? envelope.recipient_client_id,
      }),
    );
  }
  const envelope = parse(eventEnvelope, element, prefix);
  return [
    normalized({
      eventId: envelope.eventid ?? envelope.event_id ?? headerEventId ?? '',
      eventCode: envelope.event.header._adobeio.eventCode,
      codeField: joinPath(prefix, 'event.header._adobeio.eventCode'),
      run: envelope.event,
      organizationId: envelope.event.imsOrgId ?? envelope.event.header._adobeio.imsOrgId,
      recipientClientId: envelope.recipientclientid ?? envelope.recipient_client_id,
    }),
  ];
}

interface EnvelopeReading {
  eventId: string;
  eventCode: string;
  codeField: string;
  run: { id: string; flowId: string; sandboxName?: string };
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
  return {
    eventId: reading.eventId,
    eventCode: reading.eventCode,
    outcome,
    runId: reading.run.id,
    flowId: reading.run.flowId,
    ...(reading.run.sandboxName !== undefined ? { sandboxName: reading.run.sandboxName } : {}),
    ...(reading.organizationId !== undefined ? { organizationId: reading.organizationId } : {}),
    ...(reading.recipientClientId !== undefined ? { recipientClientId: reading.recipientClientId } : {}),
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
