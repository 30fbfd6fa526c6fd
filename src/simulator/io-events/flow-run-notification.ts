/**
 * The body of one flow-run notification, in either envelope Adobe's flow-run notification page
 * (experience-platform help/sources/notifications.md) shows:
 *
 * - the "event" envelope of its success sample: `{event_id, event: {…run…, header: {_adobeio: {imsOrgId,
 *   providerMetadata, eventCode}}}}`;
 * - the "messages" envelope of its failure sample: `[{messages: [{msgType, imsOrgId, provider,
 *   _eventNotificationMeta: {category, type}, value: {…run…}}]}]`.
 *
 * Both carry the event id and the recipient client id under their deprecated and CloudEvents-style names
 * (`event_id`/`eventid`, `recipient_client_id`/`recipientclientid`), as the I/O Events FAQ says deliveries do.
 * The failure sample has no place for them at its top level (an array), so they sit next to `messages`.
 */
import type { StoredRun } from '../flow-service/entity-types';

/**
 * Event codes. `sources_flow_run_success` and `sources_flow_run_failed` are in Adobe's samples (the page's prose also
 * says `sources_flow_run_failure`); no Adobe page names the start code, so `sources_flow_run_started` is our choice.
 */
export const flowRunEventCodes = {
  started: 'sources_flow_run_started',
  succeeded: 'sources_flow_run_success',
  failed: 'sources_flow_run_failed',
} as const;

export type FlowRunEventCode = (typeof flowRunEventCodes)[keyof typeof flowRunEventCodes];

/** `as-documented`: failures in the messages envelope, starts and successes in the event envelope. */
export const envelopeStyles = ['as-documented', 'event', 'messages'] as const;
export type EnvelopeStyle = (typeof envelopeStyles)[number];

export function eventCodeOf(run: StoredRun): FlowRunEventCode {
  const status = run.metrics.statusSummary.status;
  if (status === 'inProgress') return flowRunEventCodes.started;
  return status === 'success' ? flowRunEventCodes.succeeded : flowRunEventCodes.failed;
}

export interface NotificationAddressing {
  eventId: string;
  eventCode: FlowRunEventCode;
  recipientClientId: string;
  organizationId: string;
  /** Epoch ms the notification was made. */
  timestamp: number;
}

export function notificationBody(run: StoredRun, addressing: NotificationAddressing, style: EnvelopeStyle): unknown {
  const useMessages =
    style === 'messages' || (style === 'as-documented' && addressing.eventCode === 'sources_flow_run_failed');
  return useMessages ? messagesEnvelope(run, addressing) : eventEnvelope(run, addressing);
}

function identification(addressing: NotificationAddressing): Record<string, string> {
  return {
    event_id: addressing.eventId,
    eventid: addressing.eventId,
    recipient_client_id: addressing.recipientClientId,
    recipientclientid: addressing.recipientClientId,
  };
}

function eventEnvelope(run: StoredRun, addressing: NotificationAddressing): unknown {
  return {
    ...identification(addressing),
    event: {
      ...runSnapshot(run),
      header: {
        _adobeio: {
          imsOrgId: addressing.organizationId,
          providerMetadata: 'aep_observability_catalog_events',
          eventCode: addressing.eventCode,
        },
      },
      transformedTime: addressing.timestamp,
    },
  };
}

function messagesEnvelope(run: StoredRun, addressing: NotificationAddressing): unknown {
  return [
    {
      ...identification(addressing),
      messages: [
        {
          msgType: 'eventNotification',
          version: '1.0',
          timestamp: addressing.timestamp,
          imsOrgId: addressing.organizationId,
          schema: { name: 'run-notification', version: '1.0' },
          provider: 'FlowService',
          _eventNotificationMeta: { category: 'Platform Notifications', type: addressing.eventCode },
          value: runSnapshot(run),
        },
      ],
    },
  ];
}

/** A copy of the run as Flow Service returns it, so later changes to the stored run do not alter a sent event. */
function runSnapshot(run: StoredRun): Record<string, unknown> {
  return JSON.parse(JSON.stringify(run)) as Record<string, unknown>;
}
