/**
 * Arrangements for the I/O Events tests, on the shared simulator: a flow per test sandbox that runs only when a test
 * starts it, an IMS token for the journal, and a webhook that records every request and answers as told.
 */
import { randomUUID } from 'node:crypto';
import {
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import { request } from 'undici';
import { simulatorDefaults, type RunningSimulator } from '../../src/simulator';
import { SimulatorAdmin } from '../harness/simulator-admin';
import { getSimulator } from '../harness/simulator';
import {
  baseConnectionBody,
  flowBody,
  legacyMappingBody,
  sourceConnectionBody,
  targetConnectionBody,
  type Pipeline,
} from './test-platform';
import { consentFieldGroupBody } from './xdm-bodies';

export interface SharedPlatform {
  simulator: RunningSimulator;
  admin: SimulatorAdmin;
  accessToken: string;
}

let shared: Promise<SharedPlatform> | undefined;

/** The shared simulator, its admin API and an IMS token obtained the way a client would. */
export function sharedPlatform(): Promise<SharedPlatform> {
  shared ??= (async () => {
    const simulator = await getSimulator();
    const response = await request(`${simulator.url}/ims/token/v3`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: simulatorDefaults.clientId,
        client_secret: simulatorDefaults.clientSecret,
        scope: 'openid,AdobeID,read_organizations',
      }).toString(),
    });
    const { access_token: accessToken } = (await response.body.json()) as { access_token: string };
    return { simulator, admin: new SimulatorAdmin(simulator.url), accessToken };
  })();
  return shared;
}

export function uniqueSandbox(prefix: string): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}

/** Calls an AEP API of the shared simulator with the seed's headers; fails loudly on an unexpected status. */
async function platformCall<T>(
  platform: SharedPlatform,
  path: string,
  sandbox: string,
  body: unknown,
  expected: number,
): Promise<T> {
  const response = await request(`${platform.simulator.url}${path}`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${platform.accessToken}`,
      'x-api-key': simulatorDefaults.clientId,
      'x-gw-ims-org-id': simulatorDefaults.orgId,
      'x-sandbox-name': sandbox,
      'content-type': 'application/json',
    },
    body: JSON.stringify(body),
  });
  const text = await response.body.text();
  if (response.statusCode !== expected) throw new Error(`POST ${path} answered ${response.statusCode}: ${text}`);
  return JSON.parse(text) as T;
}

/**
 * A OneTrust → Data Lake flow in `sandbox`, made through the public APIs, scheduled once a year from now so it only
 * runs when a test starts a run (SimulatorAdmin.startRun). Returns the flow id.
 */
export async function createIdleFlow(sandbox: string): Promise<string> {
  const platform = await sharedPlatform();
  const tenant = platform.simulator.context.settings.tenantId;
  const oneTrustToken = (await platform.admin.mintOneTrustToken(3600)).access_token;
  const flowService = '/data/foundation/flowservice';
  const create = async (path: string, body: unknown) =>
    (await platformCall<{ id: string }>(platform, `${flowService}${path}`, sandbox, body, 201)).id;

  const baseConnectionId = await create('/connections', baseConnectionBody(oneTrustToken));
  const sourceConnectionId = await create('/sourceConnections', sourceConnectionBody(baseConnectionId));
  const fieldGroup = await platformCall<{ $id: string }>(
    platform,
    '/data/foundation/schemaregistry/tenant/fieldgroups',
    sandbox,
    consentFieldGroupBody(`${sandbox} consent fields`),
    201,
  );
  const schema = await platformCall<{ $id: string }>(
    platform,
    '/data/foundation/schemaregistry/tenant/schemas',
    sandbox,
    {
      type: 'object',
      title: `${sandbox} consent schema`,
      description: 'Target schema of the OneTrust dataflow.',
      allOf: [{ $ref: 'https://ns.adobe.com/xdm/context/profile' }, { $ref: fieldGroup.$id }],
    },
    201,
  );
  const dataset = await platformCall<string[]>(
    platform,
    '/data/foundation/catalog/dataSets',
    sandbox,
    {
      name: `${sandbox} dataset`,
      schemaRef: { id: schema.$id, contentType: 'application/vnd.adobe.xed+json;version=1' },
    },
    201,
  );
  const datasetId = dataset[0]!.split('/').pop()!;
  const targetConnectionId = await create('/targetConnections', targetConnectionBody(datasetId));
  const mapping = await platformCall<{ id: string }>(
    platform,
    '/data/foundation/conversion/mappingSets',
    sandbox,
    legacyMappingBody(schema.$id, tenant),
    200,
  );
  const pipeline: Pipeline = {
    sandbox,
    baseConnectionId,
    sourceConnectionId,
    schemaId: schema.$id,
    datasetId,
    targetConnectionId,
    mappingId: mapping.id,
  };
  const inAYear = Math.floor(Date.now() / 1000) + 365 * 86_400;
  return create('/flows', flowBody(pipeline, { startTime: inAYear, frequency: 'once' }));
}

export interface RecordedRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
  /** Wall-clock ms it arrived. */
  at: number;
}

/** What the webhook answers a POST: a status, or a promise of one (to hold the answer). */
export type WebhookAnswer = (request: RecordedRequest) => number | Promise<number>;

/** A webhook that echoes challenges, records every request and answers POSTs with `answer` (200 by default). */
export class RecordingWebhook {
  readonly requests: RecordedRequest[] = [];
  answer: WebhookAnswer = () => 200;
  /** What the challenge GET gets back; the right echo by default. */
  challengeEcho: (challenge: string) => string = (challenge) => challenge;

  private readonly server: Server = createServer((incoming, outgoing) => this.handle(incoming, outgoing));
  /** The webhook URL to register; set once it listens. */
  url = '';

  private constructor() {}

  static async start(): Promise<RecordingWebhook> {
    const webhook = new RecordingWebhook();
    await new Promise<void>((resolve) => webhook.server.listen(0, '127.0.0.1', resolve));
    const { port } = webhook.server.address() as AddressInfo;
    webhook.url = `http://127.0.0.1:${port}/webhook`;
    return webhook;
  }

  private handle(incoming: IncomingMessage, outgoing: ServerResponse): void {
    const chunks: Buffer[] = [];
    incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
    incoming.on('end', () => {
      const recorded: RecordedRequest = {
        method: incoming.method ?? '',
        url: incoming.url ?? '',
        headers: incoming.headers,
        body: Buffer.concat(chunks).toString('utf8'),
        at: Date.now(),
      };
      this.requests.push(recorded);
      if (recorded.method === 'GET') {
        const challenge = new URL(recorded.url, 'http://webhook').searchParams.get('challenge') ?? '';
        outgoing.writeHead(200, { 'content-type': 'text/plain' }).end(this.challengeEcho(challenge));
        return;
      }
      void Promise.resolve(this.answer(recorded)).then(
        (status) => outgoing.writeHead(status).end(),
        () => outgoing.writeHead(500).end(),
      );
    });
  }

  /** The event deliveries received (POSTs), oldest first. */
  get deliveries(): RecordedRequest[] {
    return this.requests.filter((recorded) => recorded.method === 'POST');
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

/** Polls `probe` until it returns something other than undefined; fails naming what was awaited. */
export async function waitFor<T>(
  description: string,
  probe: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 15_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${description}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** The event code and id a delivery carries, from its headers. */
export function deliveredEvent(recorded: RecordedRequest): { eventId: string; eventCode: string } {
  return {
    eventId: String(recorded.headers['x-adobe-event-id']),
    eventCode: String(recorded.headers['x-adobe-event-code']),
  };
}
