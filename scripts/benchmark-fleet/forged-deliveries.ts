/**
 * Deliveries I/O Events never made, sent straight to the push design's receiver: a flow-run event for a run that
 * does not exist, once with no signature, once signed by a key the key host does not serve (its headers naming the
 * served key paths), once naming a key on another host. The receiver must refuse every one; an accepted forgery
 * would reach a run feed. Each is sent while the fleet's genuine deliveries keep it busy.
 */
import { generateKeyPairSync, randomUUID, sign } from 'node:crypto';
import { simulatorDefaults } from '../../src/simulator/defaults';

export interface ForgedDeliveryOutcome {
  sent: number;
  /** Answered 2xx: taken as genuine. */
  accepted: number;
  /** Status codes of the answers, for the log. */
  statuses: number[];
}

export async function sendForgedDeliveries(options: {
  receiverUrl: string;
  simulatorUrl: string;
  /** A real flow of the fleet, so only the signature can give the forgery away. */
  sandbox: string;
  flowId: string;
  /** Rounds of the three forgeries. */
  rounds: number;
}): Promise<ForgedDeliveryOutcome> {
  const served = (await (await fetch(`${options.simulatorUrl}/__sim/io-events/keys`)).json()) as {
    publicKey1Path: string;
    publicKey2Path: string;
  };
  const { privateKey: unservedKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const outcome: ForgedDeliveryOutcome = { sent: 0, accepted: 0, statuses: [] };
  for (let round = 0; round < options.rounds; round += 1) {
    const forgeries: Array<(body: Buffer) => Record<string, string>> = [
      () => ({}),
      (body) => signedHeaders(sign('sha256', body, unservedKey).toString('base64'), served),
      (body) =>
        signedHeaders(sign('sha256', body, unservedKey).toString('base64'), {
          publicKey1Path: '//keys.example.com/pub-key.pem',
          publicKey2Path: '//keys.example.com/pub-key.pem',
        }),
    ];
    for (const headersFor of forgeries) {
      const body = Buffer.from(JSON.stringify(failedRunEvent(options.sandbox, options.flowId)));
      const response = await fetch(options.receiverUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-adobe-delivery-id': randomUUID(), ...headersFor(body) },
        body,
      });
      await response.arrayBuffer();
      outcome.sent += 1;
      outcome.statuses.push(response.status);
      if (response.ok) outcome.accepted += 1;
    }
  }
  return outcome;
}

function signedHeaders(
  signature: string,
  paths: { publicKey1Path: string; publicKey2Path: string },
): Record<string, string> {
  return {
    'x-adobe-digital-signature-1': signature,
    'x-adobe-digital-signature-2': signature,
    'x-adobe-public-key1-path': paths.publicKey1Path,
    'x-adobe-public-key2-path': paths.publicKey2Path,
  };
}

/** A well-formed failure event, addressed to the receiver's client id, naming a run AEP does not have. */
function failedRunEvent(sandbox: string, flowId: string): unknown {
  const eventId = `forged-${randomUUID()}`;
  return {
    event_id: eventId,
    eventid: eventId,
    recipient_client_id: simulatorDefaults.clientId,
    recipientclientid: simulatorDefaults.clientId,
    event: {
      id: `forged-run-${randomUUID()}`,
      flowId,
      sandboxName: sandbox,
      imsOrgId: simulatorDefaults.orgId,
      header: {
        _adobeio: {
          imsOrgId: simulatorDefaults.orgId,
          providerMetadata: 'aep_observability_catalog_events',
          eventCode: 'sources_flow_run_failed',
        },
      },
    },
  };
}
