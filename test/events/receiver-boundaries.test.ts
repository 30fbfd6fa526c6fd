/**
 * The receiver's boundaries (issue 21): what is not ours is answered 200 and starts nothing; other event types are
 * skipped, not refused; a journal's next link never takes the token to another origin; forged key paths cannot
 * flood the key host or push the genuine keys out; one good signature is enough. Deliveries are real HTTP, signed
 * with a key served by a key host of the test's own, as in events-receiver.test.ts.
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync, randomUUID, sign, type KeyObject } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WorkflowNotFoundError } from '@temporalio/common';
import { request } from 'undici';
import { createEventsJournalReader, JournalUrlRefusedError } from '../../src/aep/events-journal';
import { startEventsReceiver, type FlowRunEvent, type RunningEventsReceiver } from '../../src/events';
import type { ReceiverStatus } from '../../src/events/events-receiver';
import { temporalHandOff } from '../../src/events/temporal-hand-off';
import { simulatorDefaults } from '../../src/simulator';
import type { SandboxRunFeedInput } from '../../src/contracts/run-feed-messages';
import { monitorWorkflowId, runFeedWorkflowId } from '../../src/contracts/workflow-ids';
import { getTemporal } from '../harness/temporal';
import { sharedPlatform, uniqueSandbox, waitFor } from '../simulator/io-event-fixtures';

const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };
const ourOrg = simulatorDefaults.orgId;
const ourClient = 'our-client';

/** A local HTTP server answering with `answer`, recording each request's path and how many were open at once. */
class LocalServer {
  readonly paths: string[] = [];
  mostAtOnce = 0;
  private open = 0;
  private readonly server: Server;
  url = '';

  constructor(private readonly answer: (incoming: IncomingMessage, outgoing: ServerResponse) => void) {
    this.server = createServer((incoming, outgoing) => {
      this.paths.push(incoming.url ?? '');
      this.open += 1;
      this.mostAtOnce = Math.max(this.mostAtOnce, this.open);
      outgoing.on('close', () => (this.open -= 1));
      this.answer(incoming, outgoing);
    });
  }

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  count(path: string): number {
    return this.paths.filter((seen) => seen === path).length;
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

const genuine = generateKeyPairSync('rsa', { modulusLength: 2048 });
const forger = generateKeyPairSync('rsa', { modulusLength: 2048 });
const genuinePath = '/keys/pub-key-genuine.pem';
const failingPath = '/keys/pub-key-failing.pem';

/** Serves the genuine key; answers 500 at the failing path and 404 anywhere else. */
function keyHost(): LocalServer {
  return new LocalServer((incoming, outgoing) => {
    if (incoming.url === genuinePath)
      outgoing.writeHead(200).end(genuine.publicKey.export({ type: 'spki', format: 'pem' }));
    else if (incoming.url === failingPath) outgoing.writeHead(500).end();
    else outgoing.writeHead(404).end();
  });
}

interface EventFields {
  sandbox?: string;
  org?: string;
  code?: string;
}

function eventBody(fields: EventFields = {}): string {
  return JSON.stringify({
    event_id: randomUUID(),
    recipient_client_id: ourClient,
    event: {
      id: `run-${randomUUID()}`,
      flowId: 'flow-1',
      sandboxName: fields.sandbox ?? 'prod',
      header: { _adobeio: { imsOrgId: fields.org ?? ourOrg, eventCode: fields.code ?? 'sources_flow_run_success' } },
    },
  });
}

const signatureOf = (body: string, key: KeyObject) => sign('sha256', Buffer.from(body), key).toString('base64');

interface Signing {
  path1?: string;
  key1?: KeyObject;
  path2?: string;
  key2?: KeyObject;
}

function signed(body: string, signing: Signing = {}): Record<string, string> {
  return {
    'x-adobe-digital-signature-1': signatureOf(body, signing.key1 ?? genuine.privateKey),
    'x-adobe-public-key1-path': signing.path1 ?? genuinePath,
    'x-adobe-digital-signature-2': signatureOf(body, signing.key2 ?? genuine.privateKey),
    'x-adobe-public-key2-path': signing.path2 ?? genuinePath,
  };
}

async function deliver(
  receiver: RunningEventsReceiver,
  body: string,
  headers: Record<string, string>,
): Promise<{ status: number; answer: Record<string, unknown> }> {
  const response = await request(`${receiver.url}/events`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body,
  });
  const text = await response.body.text();
  return { status: response.statusCode, answer: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

async function statusPage(receiver: RunningEventsReceiver): Promise<ReceiverStatus> {
  const response = await request(`${receiver.url}/status`);
  assert.equal(response.statusCode, 200);
  return (await response.body.json()) as ReceiverStatus;
}

describe('events receiver boundaries (issue 21)', () => {
  describe('into Temporal: what is not ours starts nothing', () => {
    let keys: LocalServer;
    let receiver: RunningEventsReceiver;
    /** No worker polls it: a feed started here would only show as a workflow, which is what is checked. */
    const taskQueue = `receiver-boundaries-${randomUUID().slice(0, 8)}`;
    const started: string[] = [];

    before(async () => {
      keys = await keyHost().start();
      const { client } = await getTemporal();
      receiver = await startEventsReceiver({
        port: 0,
        keyHost: keys.url,
        clientId: ourClient,
        orgId: ourOrg,
        handOff: temporalHandOff({ client, runFeed: { taskQueue, intervalMs: 123_000, pageSize: 7 }, logger: quiet }),
        logger: quiet,
      });
    });
    after(async () => {
      const { client } = await getTemporal();
      for (const id of started)
        await client.workflow
          .getHandle(id)
          .terminate('test finished')
          .catch(() => undefined);
      await receiver.close();
      await keys.close();
    });

    async function feedExists(sandbox: string): Promise<boolean> {
      const { client } = await getTemporal();
      try {
        await client.workflow.getHandle(runFeedWorkflowId(sandbox)).describe();
        started.push(runFeedWorkflowId(sandbox));
        return true;
      } catch (error) {
        if (error instanceof WorkflowNotFoundError) return false;
        throw error;
      }
    }

    async function aepCallsFor(sandbox: string): Promise<number> {
      const { admin } = await sharedPlatform();
      return (await admin.requests()).filter((entry) => entry.sandbox === sandbox).length;
    }

    /** A `dataflowMonitor` workflow (no worker runs it) that makes the sandbox managed, once visibility lists it. */
    async function runningMonitorIn(sandbox: string): Promise<void> {
      const { client } = await getTemporal();
      const monitorId = monitorWorkflowId(sandbox, 'consent');
      await client.workflow.start('dataflowMonitor', { workflowId: monitorId, taskQueue, args: [] });
      started.push(monitorId);
      await waitFor('the monitor to be visible', async () =>
        (await client.workflow.count(`WorkflowId = '${monitorId}' AND ExecutionStatus = 'Running'`)).count > 0
          ? true
          : undefined,
      );
    }

    it('answers 200 to another organisation’s event, counts it as foreign, and starts no feed', async () => {
      // A sandbox with a monitor: only the organisation keeps its feed from being started.
      const sandbox = uniqueSandbox('foreign');
      await runningMonitorIn(sandbox);
      const body = eventBody({ sandbox, org: 'SOMEONE-ELSE@AdobeOrg' });
      const { status, answer } = await deliver(receiver, body, signed(body));
      assert.equal(status, 200);
      assert.deepEqual([answer.accepted, answer.foreign], [0, 1]);
      assert.equal((await statusPage(receiver)).foreignEvents, 1);
      assert.equal(await feedExists(sandbox), false, 'no run feed was started');
      assert.equal(await aepCallsFor(sandbox), 0, 'AEP was not called for the sandbox');
    });

    it('answers 200 to an event of a sandbox no dataflow monitor runs in, and starts no feed', async () => {
      const sandbox = uniqueSandbox('unmanaged');
      const body = eventBody({ sandbox });
      const { status, answer } = await deliver(receiver, body, signed(body));
      assert.equal(status, 200);
      assert.deepEqual([answer.accepted, answer.unmanaged], [0, 1]);
      assert.equal((await statusPage(receiver)).unmanagedSandboxEvents, 1);
      assert.equal(await feedExists(sandbox), false, 'no run feed was started');
      assert.equal(await aepCallsFor(sandbox), 0, 'AEP was not called for the sandbox');
    });

    it('starts the feed of a sandbox with a running monitor, with the configured interval and page size', async () => {
      const sandbox = uniqueSandbox('managed');
      await runningMonitorIn(sandbox);
      const body = eventBody({ sandbox });
      const { status, answer } = await deliver(receiver, body, signed(body));
      assert.equal(status, 200);
      assert.deepEqual([answer.accepted, answer.unmanaged], [1, 0]);
      assert.equal(await feedExists(sandbox), true);
      const { client } = await getTemporal();
      const history = await client.workflow.getHandle(runFeedWorkflowId(sandbox)).fetchHistory();
      const startedEvent = history.events?.[0]?.workflowExecutionStartedEventAttributes;
      const payload = startedEvent?.input?.payloads?.[0]?.data;
      assert.ok(payload, 'the feed has an input');
      const input = JSON.parse(Buffer.from(payload).toString('utf8')) as SandboxRunFeedInput;
      assert.deepEqual(input, { sandbox, intervalMs: 123_000, pageSize: 7 });
      // The runs it names are AEP's to tell, and the feed (no worker here) never asked: the receiver did not either.
      assert.equal(await aepCallsFor(sandbox), 0);
    });
  });

  describe('event codes, key paths and signatures', () => {
    let keys: LocalServer;
    let receiver: RunningEventsReceiver;
    const handedOff: FlowRunEvent[] = [];

    before(async () => {
      keys = await keyHost().start();
      receiver = await startEventsReceiver({
        port: 0,
        keyHost: keys.url,
        clientId: ourClient,
        orgId: ourOrg,
        handOff: (events) => Promise.resolve(void handedOff.push(...events)),
        logger: quiet,
      });
    });
    after(async () => {
      await receiver.close();
      await keys.close();
    });

    it('answers 200 to an event code it does not know, counts it and hands nothing off', async () => {
      const body = eventBody({ code: 'asset_created' });
      const before = handedOff.length;
      const { status, answer } = await deliver(receiver, body, {
        ...signed(body),
        'x-adobe-event-code': 'asset_created',
      });
      assert.equal(status, 200);
      assert.deepEqual([answer.accepted, answer.skipped], [0, 1]);
      assert.deepEqual((await statusPage(receiver)).skippedEventCodes, { asset_created: 1 });
      assert.equal(handedOff.length, before);
    });

    it('accepts a delivery whose first key cannot be fetched when the second signature verifies', async () => {
      const body = eventBody();
      const { status } = await deliver(receiver, body, signed(body, { path1: failingPath, key1: forger.privateKey }));
      assert.equal(status, 200);
      // Both keys are asked for at once; the answer need not wait for the failing one.
      await waitFor('the first key to be asked for', () => (keys.count(failingPath) >= 1 ? true : undefined));
      const refusedShape = eventBody();
      const second = await deliver(
        receiver,
        refusedShape,
        signed(refusedShape, { path1: '/keys/not-a-key.txt', key1: forger.privateKey }),
      );
      assert.equal(second.status, 200, 'a first key path of the wrong shape does not refuse it either');
      assert.equal(keys.count('/keys/not-a-key.txt'), 0, 'the refused path was not fetched');
      assert.equal((await statusPage(receiver)).refusedKeyPaths, 1);
    });
  });

  describe('a flood of forged key paths', () => {
    const floodSize = 2_000;

    async function flood(receiver: RunningEventsReceiver): Promise<Map<number, number>> {
      const statuses = new Map<number, number>();
      let sent = 0;
      const sender = async () => {
        while (sent < floodSize) {
          sent += 1;
          const body = eventBody();
          const path = `/keys/pub-key-${randomUUID().replace(/-/g, '').slice(0, 10)}.pem`;
          const { status } = await deliver(
            receiver,
            body,
            signed(body, { path1: path, key1: forger.privateKey, path2: path, key2: forger.privateKey }),
          );
          statuses.set(status, (statuses.get(status) ?? 0) + 1);
        }
      };
      await Promise.all(Array.from({ length: 32 }, sender));
      return statuses;
    }

    it('keeps key fetches under the cap, and genuine deliveries working', async function () {
      this.timeout(60_000);
      const keys = await keyHost().start();
      const handedOff: string[] = [];
      const receiver = await startEventsReceiver({
        port: 0,
        keyHost: keys.url,
        clientId: ourClient,
        orgId: ourOrg,
        handOff: (events) => Promise.resolve(void handedOff.push(...events.map((event) => event.eventId))),
        logger: quiet,
        keyFetchLimits: { maxConcurrent: 4, maxPerWindow: 30, windowMs: 3_600_000 },
      });
      try {
        const first = eventBody();
        assert.equal((await deliver(receiver, first, signed(first))).status, 200);
        const statuses = await flood(receiver);
        assert.equal(statuses.get(200) ?? 0, 0, 'no forged delivery accepted');
        assert.equal((statuses.get(401) ?? 0) + (statuses.get(503) ?? 0), floodSize);
        assert.ok(keys.paths.length <= 31, `${keys.paths.length} key fetches: the genuine key and at most 30 more`);
        assert.ok(keys.mostAtOnce <= 4, `${keys.mostAtOnce} key fetches at once`);
        const status = await statusPage(receiver);
        assert.equal(status.keys.keyFetches, keys.paths.length);
        assert.ok(status.keys.keyFetchesRefusedByCap > 0);

        const after = eventBody();
        assert.equal((await deliver(receiver, after, signed(after))).status, 200, 'a genuine delivery after it');
        assert.equal(keys.count(genuinePath), 1, 'the genuine key was fetched once');
        assert.equal(handedOff.length, 2);
      } finally {
        await receiver.close();
        await keys.close();
      }
    });

    it('never evicts a key that verified, however many forged paths it fetched', async function () {
      this.timeout(60_000);
      const keys = await keyHost().start();
      const receiver = await startEventsReceiver({
        port: 0,
        keyHost: keys.url,
        clientId: ourClient,
        orgId: ourOrg,
        handOff: () => Promise.resolve(),
        logger: quiet,
        // No cap to speak of: every forged path is fetched, more than the cache holds.
        keyFetchLimits: { maxConcurrent: 64, maxPerWindow: 100_000 },
      });
      try {
        const first = eventBody();
        assert.equal((await deliver(receiver, first, signed(first))).status, 200);
        const statuses = await flood(receiver);
        assert.equal(statuses.get(401), floodSize, 'every forged delivery fetched its path and was refused');
        const after = eventBody();
        assert.equal((await deliver(receiver, after, signed(after))).status, 200);
        assert.equal(keys.count(genuinePath), 1, 'the genuine key was still cached');
      } finally {
        await receiver.close();
        await keys.close();
      }
    });
  });

  describe('the journal reader', () => {
    const tokens = { accessToken: () => Promise.resolve('org-bearer-token'), invalidate: () => undefined };
    const reader = createEventsJournalReader({ tokens, clientId: ourClient, orgId: ourOrg });
    let foreign: LocalServer;
    let journal: LocalServer;
    let nextLink = '';
    let journalStatus = 200;

    before(async () => {
      foreign = await new LocalServer((_incoming, outgoing) => outgoing.writeHead(200).end('{"events":[]}')).start();
      journal = await new LocalServer((_incoming, outgoing) => {
        outgoing.writeHead(journalStatus, { link: `<${nextLink}>; rel="next"`, 'retry-after': '10' });
        outgoing.end(journalStatus === 200 ? '{"events":[]}' : undefined);
      }).start();
    });
    after(async () => {
      await foreign.close();
      await journal.close();
    });

    it('follows a next link on the journal’s own origin (the control case)', async () => {
      nextLink = `${journal.url}/journal?since=abc`;
      journalStatus = 200;
      const page = await reader.readPage(`${journal.url}/journal`);
      assert.equal(page.next, nextLink);
    });

    for (const status of [200, 204]) {
      it(`refuses a next link to another origin (${status}) and sends it nothing`, async () => {
        nextLink = `${foreign.url}/journal?since=abc`;
        journalStatus = status;
        await assert.rejects(reader.readPage(`${journal.url}/journal`), (error: unknown) => {
          assert.ok(error instanceof JournalUrlRefusedError);
          assert.match(error.message, /leads to http:\/\/127\.0\.0\.1:\d+, not to the journal's origin/);
          return true;
        });
        assert.deepEqual(foreign.paths, [], 'the other origin got no request');
      });
    }

    it('refuses plain http to a host that is not this machine, before any request', async () => {
      await assert.rejects(reader.readPage('http://journal.example.invalid/events'), JournalUrlRefusedError);
      await assert.rejects(reader.readPage(`ftp://127.0.0.1/journal`), JournalUrlRefusedError);
    });
  });
});
