/**
 * Deliveries as I/O Events sends them, signed with a key of the test's own: a local key host serves its public half
 * at a path of Adobe's documented shape, and each body is signed twice with the private half. The event bodies use
 * the "event" envelope of Adobe's success sample, with or without the run's metrics.
 */
import { generateKeyPairSync, randomUUID, sign } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { request } from 'undici';
import type { RunningEventsReceiver } from '../../src/events';
import { simulatorDefaults } from '../../src/simulator';

export const ourOrg = simulatorDefaults.orgId;
export const ourClient = 'our-client';

const keyPair = generateKeyPairSync('rsa', { modulusLength: 2048 });
const keyPath = '/keys/pub-key-gathered.pem';

/** Serves the public key at its path (404 elsewhere); `url` is the receiver's keyHost. */
export class KeyHost {
  url = '';
  private readonly server: Server = createServer((incoming, outgoing) => {
    if (incoming.url === keyPath)
      outgoing.writeHead(200).end(keyPair.publicKey.export({ type: 'spki', format: 'pem' }));
    else outgoing.writeHead(404).end();
  });

  static async start(): Promise<KeyHost> {
    const host = new KeyHost();
    await new Promise<void>((resolve) => host.server.listen(0, '127.0.0.1', resolve));
    host.url = `http://127.0.0.1:${(host.server.address() as AddressInfo).port}`;
    return host;
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

export function signedHeaders(body: string): Record<string, string> {
  const signature = sign('sha256', Buffer.from(body), keyPair.privateKey).toString('base64');
  return {
    'x-adobe-digital-signature-1': signature,
    'x-adobe-public-key1-path': keyPath,
    'x-adobe-digital-signature-2': signature,
    'x-adobe-public-key2-path': keyPath,
  };
}

export type FlowRunEventCode = 'sources_flow_run_started' | 'sources_flow_run_success' | 'sources_flow_run_failed';

export interface FlowRunEventFields {
  sandbox: string;
  runId?: string;
  flowId?: string;
  code?: FlowRunEventCode;
  eventId?: string;
  /** The organisation the event names (ours by default). */
  org?: string;
  /** Other fields of the run as Flow Service returns it (its `metrics`, say). */
  run?: Record<string, unknown>;
}

/** A flow-run notification in the success sample's envelope; returns its body and event id. */
export function flowRunEventBody(fields: FlowRunEventFields): { body: string; eventId: string } {
  const eventId = fields.eventId ?? randomUUID();
  const body = JSON.stringify({
    event_id: eventId,
    recipient_client_id: ourClient,
    event: {
      ...fields.run,
      id: fields.runId ?? `run-${randomUUID()}`,
      flowId: fields.flowId ?? 'flow-1',
      sandboxName: fields.sandbox,
      header: {
        _adobeio: {
          imsOrgId: fields.org ?? ourOrg,
          providerMetadata: 'aep_observability_catalog_events',
          eventCode: fields.code ?? 'sources_flow_run_success',
        },
      },
    },
  });
  return { body, eventId };
}

/** POSTs a signed body to the receiver; answers its status. */
export async function deliverSigned(receiver: RunningEventsReceiver, body: string): Promise<number> {
  const response = await request(`${receiver.url}/events`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...signedHeaders(body) },
    body,
  });
  await response.body.text();
  return response.statusCode;
}
