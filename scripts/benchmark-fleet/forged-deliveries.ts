/**
 * Deliveries I/O Events never made, sent straight to the push design's receiver while the fleet's genuine
 * deliveries keep it busy: flow-run events for runs that do not exist, of a real flow of the fleet, so only the
 * signature can give them away. The receiver must refuse every one; an accepted forgery would reach a run feed.
 *
 * The first nine are three rounds of fixed kinds: no signature; signed by a key the key host does not serve, the
 * headers naming the served key paths; naming a key on another host. Every other one is a flood of the kind that
 * costs the receiver most: signed by an unserved key, its two key path headers fresh random paths of Adobe's
 * documented shape on the key host (`/io-events-keys/pub-key-<uuid>.pem`, where the simulator serves its keys), so
 * they pass the shape check and each would be fetched from the key host but for the receiver's fetch caps.
 *
 * They are spread over the window at a steady rate, a few at a time, so the flood runs alongside genuine traffic for
 * the whole window rather than in one burst; none is started after the window closed.
 */
import { generateKeyPairSync, randomUUID, sign } from 'node:crypto';
import { simulatorDefaults } from '../../src/simulator/defaults';
import { signingKeyPathPrefix } from '../../src/simulator/io-events/signing-keys';

export interface ForgedDeliveryOutcome {
  /** Asked for (--forged). */
  planned: number;
  sent: number;
  /** Of those sent, how many named random key paths. */
  randomKeyPaths: number;
  /** Answered 2xx: taken as genuine. */
  accepted: number;
  /** Answers by status code ("error" when none came: refused connection, timeout). */
  statuses: Record<string, number>;
}

/** Three rounds of the three fixed kinds come first. */
const fixedKindRounds = 3;
/** Forged deliveries in flight at once: a steady flood, not a denial of service of the machine itself. */
const inFlight = 8;
/** The receiver answers within its 7 s deadline; this only keeps a hung connection from stalling the flood. */
const answerTimeoutMs = 15_000;

export async function sendForgedDeliveries(options: {
  receiverUrl: string;
  simulatorUrl: string;
  /** A real flow of the fleet, so only the signature can give the forgery away. */
  sandbox: string;
  flowId: string;
  count: number;
  /** Sent at a steady rate from now until then. */
  untilMs: number;
}): Promise<ForgedDeliveryOutcome> {
  const served = (await (await fetch(`${options.simulatorUrl}/__sim/io-events/keys`)).json()) as KeyPaths;
  const { privateKey: unservedKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const signature = (body: Buffer) => sign('sha256', body, unservedKey).toString('base64');
  const fixedKinds: Array<(body: Buffer) => Record<string, string>> = [
    () => ({}),
    (body) => signedHeaders(signature(body), served),
    (body) =>
      signedHeaders(signature(body), {
        publicKey1Path: '//keys.example.com/pub-key.pem',
        publicKey2Path: '//keys.example.com/pub-key.pem',
      }),
  ];
  const fixedCount = fixedKinds.length * fixedKindRounds;
  const outcome: ForgedDeliveryOutcome = {
    planned: options.count,
    sent: 0,
    randomKeyPaths: 0,
    accepted: 0,
    statuses: {},
  };
  const startedAt = Date.now();
  const spacingMs = Math.max(0, options.untilMs - startedAt) / Math.max(1, options.count);
  let next = 0;
  const sendNext = async (): Promise<void> => {
    for (let index = next++; index < options.count; index = next++) {
      const dueAt = startedAt + index * spacingMs;
      if (dueAt >= options.untilMs) return;
      const wait = dueAt - Date.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      const onRandomPaths = index >= fixedCount;
      const headersFor = onRandomPaths
        ? (body: Buffer) =>
            signedHeaders(signature(body), { publicKey1Path: randomKeyPath(), publicKey2Path: randomKeyPath() })
        : fixedKinds[index % fixedKinds.length]!;
      const status = await deliver(options.receiverUrl, options.sandbox, options.flowId, headersFor);
      outcome.sent += 1;
      if (onRandomPaths) outcome.randomKeyPaths += 1;
      outcome.statuses[status] = (outcome.statuses[status] ?? 0) + 1;
      if (typeof status === 'number' && status >= 200 && status < 300) outcome.accepted += 1;
    }
  };
  await Promise.all(Array.from({ length: Math.min(inFlight, options.count) }, sendNext));
  return outcome;
}

interface KeyPaths {
  publicKey1Path: string;
  publicKey2Path: string;
}

async function deliver(
  receiverUrl: string,
  sandbox: string,
  flowId: string,
  headersFor: (body: Buffer) => Record<string, string>,
): Promise<number | 'error'> {
  const body = Buffer.from(JSON.stringify(failedRunEvent(sandbox, flowId)));
  try {
    const response = await fetch(receiverUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-adobe-delivery-id': randomUUID(), ...headersFor(body) },
      body,
      signal: AbortSignal.timeout(answerTimeoutMs),
    });
    await response.arrayBuffer();
    return response.status;
  } catch {
    return 'error';
  }
}

/** A path never served, of the shape the receiver fetches: one directory, then `pub-key-<id>.pem`. */
function randomKeyPath(): string {
  return `${signingKeyPathPrefix}pub-key-${randomUUID()}.pem`;
}

function signedHeaders(signature: string, paths: KeyPaths): Record<string, string> {
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
