import assert from 'node:assert/strict';
import { generateKeyPairSync, sign } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { request } from 'undici';
import { startEventsReceiver, type FlowRunEvent, type RunningEventsReceiver } from '../../src/events';
import type { EventsReceiverLogger } from '../../src/events';
import { simulatorDefaults } from '../../src/simulator';
import type { RegistrationInput, RegistrationView } from '../harness/simulator-admin';
import { createIdleFlow, sharedPlatform, sleep, uniqueSandbox, waitFor } from '../simulator/io-event-fixtures';

/** Records what the receiver hands off; `failNext` makes the next hand-offs fail (or hang) as told. */
class RecordingHandOff {
  readonly batches: FlowRunEvent[][] = [];
  behaviours: Array<'fail' | 'hang'> = [];

  readonly handOff = async (events: FlowRunEvent[]): Promise<void> => {
    const behaviour = this.behaviours.shift();
    if (behaviour === 'fail') throw new Error('the hand-off is down');
    if (behaviour === 'hang') await sleep(1_000);
    this.batches.push(events);
  };

  get events(): FlowRunEvent[] {
    return this.batches.flat();
  }
}

/** Log lines kept in memory, so tests can check that refused bodies are not logged. */
function memoryLogger(lines: string[]): EventsReceiverLogger {
  const write = (level: string) => (message: string, meta?: Record<string, unknown>) =>
    void lines.push(JSON.stringify({ level, message, ...meta }));
  return { info: write('info'), warn: write('warn'), error: write('error') };
}

describe('events receiver (I/O Events webhook) against the simulator', () => {
  let receiver: RunningEventsReceiver;
  const handOff = new RecordingHandOff();
  const logLines: string[] = [];
  const registrations: string[] = [];

  before(async () => {
    const platform = await sharedPlatform();
    receiver = await startEventsReceiver({
      port: 0,
      keyHost: platform.simulator.url,
      clientId: simulatorDefaults.clientId,
      orgId: simulatorDefaults.orgId,
      handOff: handOff.handOff,
      deadlineMs: 300,
      logger: memoryLogger(logLines),
    });
  });
  after(async () => {
    const platform = await sharedPlatform();
    for (const id of registrations) await platform.admin.deleteIoEventRegistration(id).catch(() => undefined);
    await receiver.close();
  });
  afterEach(async () => {
    handOff.behaviours = [];
    await (await sharedPlatform()).admin.clearIoEventFaults();
  });

  /** A sandbox with an idle flow, and the receiver registered for its runs (the simulator sends the challenge). */
  async function registeredSandbox(input: Partial<RegistrationInput> = {}) {
    const platform = await sharedPlatform();
    const sandbox = uniqueSandbox('receiver');
    const flowId = await createIdleFlow(sandbox);
    const registration = await platform.admin.registerWebhook({
      url: `${receiver.url}/events`,
      sandboxName: sandbox,
      ...input,
    });
    registrations.push(registration.id);
    return { platform, sandbox, flowId, registration };
  }

  function handedOff(runId: string): FlowRunEvent[] {
    return handOff.events.filter((event) => event.runId === runId);
  }

  async function settled(registration: RegistrationView, events: number): Promise<RegistrationView> {
    const platform = await sharedPlatform();
    return waitFor(`${events} events settled`, async () => {
      const state = await platform.admin.ioEventRegistration(registration.id);
      const { delivered, refused, givenUp } = state.counts;
      return delivered + refused + givenUp >= events && state.counts.pending === 0 ? state : undefined;
    });
  }

  it('answers the challenge with the challenge as JSON', async () => {
    const response = await request(`${receiver.url}/events?challenge=8ec8d794-e0ab-42df-9017-e3dada8e84f7`);
    assert.equal(response.statusCode, 200);
    assert.match(String(response.headers['content-type']), /^application\/json/);
    assert.deepEqual(await response.body.json(), { challenge: '8ec8d794-e0ab-42df-9017-e3dada8e84f7' });
    const empty = await request(`${receiver.url}/events`);
    assert.equal(empty.statusCode, 400);
    await empty.body.dump();
  });

  it('verifies and hands off a run start and success, answering 200 only after the hand-off', async () => {
    const { platform, sandbox, flowId, registration } = await registeredSandbox();
    const run = await platform.admin.startRun(flowId);
    await settled(registration, 2);
    const events = handedOff(run.id);
    assert.deepEqual(
      events.map((event) => event.outcome),
      ['started', 'succeeded'],
    );
    const { run: facts, ...success } = events[1]!;
    assert.deepEqual(success, {
      eventId: events[1]!.eventId,
      eventCode: 'sources_flow_run_success',
      outcome: 'succeeded',
      runId: run.id,
      flowId,
      sandboxName: sandbox,
      organizationId: simulatorDefaults.orgId,
      recipientClientId: simulatorDefaults.clientId,
    });
    // The success event carries the run's metrics: the feed hands it on without reading the run.
    assert.equal(facts?.status, 'success');
    assert.ok(facts.startedAtMs !== undefined && facts.completedAtMs !== undefined);
    assert.ok(facts.completedAtMs >= facts.startedAtMs);
    assert.deepEqual(Object.keys(facts.records ?? {}).sort(), ['failed', 'input', 'output']);
    assert.equal(events[0]!.run, undefined, 'a start carries no facts of an ended run');
    const attempts = await platform.admin.ioEventDeliveries(registration.id);
    assert.deepEqual(
      attempts.map((attempt) => attempt.status),
      [200, 200],
    );
  });

  it('reads failed runs in the messages envelope, and successes sent in it', async () => {
    const { platform, sandbox, flowId, registration } = await registeredSandbox({ envelope: 'messages' });
    const succeeded = await platform.admin.startRun(flowId);
    await settled(registration, 2);
    await platform.admin.failRuns(sandbox, 1);
    try {
      const failed = await platform.admin.startRun(flowId);
      await settled(registration, 4);
      assert.deepEqual(
        handedOff(succeeded.id).map((event) => event.outcome),
        ['started', 'succeeded'],
      );
      const failure = handedOff(failed.id).find((event) => event.outcome === 'failed');
      assert.equal(failure?.eventCode, 'sources_flow_run_failed');
      assert.equal(failure?.flowId, flowId);
      assert.equal(failure?.sandboxName, sandbox);
    } finally {
      await platform.admin.failRuns(sandbox, 0);
    }
  });

  it('refuses events signed with a key the key host does not serve (401), without handing them off', async () => {
    const { platform, flowId, registration } = await registeredSandbox();
    await platform.admin.setIoEventFaults({ kind: 'wrong-key', registrationId: registration.id });
    const run = await platform.admin.startRun(flowId);
    await settled(registration, 2);
    const attempts = await platform.admin.ioEventDeliveries(registration.id);
    assert.deepEqual(
      attempts.map((attempt) => [attempt.status, attempt.outcome]),
      [
        [401, 'refused'],
        [401, 'refused'],
      ],
    );
    assert.deepEqual(handedOff(run.id), []);
  });

  it('picks up rotated keys at their new paths', async () => {
    const { platform, flowId, registration } = await registeredSandbox();
    const rotated = await platform.admin.rotateIoEventKeys();
    const keyFetches = async () =>
      (await platform.admin.requests()).filter((entry) => entry.path === rotated.publicKey1Path).length;
    const fetchedBefore = await keyFetches();
    const run = await platform.admin.startRun(flowId);
    await settled(registration, 2);
    assert.equal(handedOff(run.id).length, 2);
    assert.equal(await keyFetches(), fetchedBefore + 1, 'the new key was fetched once, then served from the cache');
  });

  it('refuses events meant for another client id (403), without handing them off', async () => {
    const { platform, flowId, registration } = await registeredSandbox({ clientId: 'someone-else' });
    const run = await platform.admin.startRun(flowId);
    await settled(registration, 2);
    const attempts = await platform.admin.ioEventDeliveries(registration.id);
    assert.deepEqual(
      attempts.map((attempt) => attempt.status),
      [403, 403],
    );
    assert.deepEqual(handedOff(run.id), []);
  });

  it('answers 5xx when the hand-off fails or overruns, so the simulator redelivers and the retry is accepted', async () => {
    const { platform, flowId, registration } = await registeredSandbox();
    handOff.behaviours = ['fail', 'hang'];
    const run = await platform.admin.startRun(flowId);
    await settled(registration, 2);
    const attempts = await platform.admin.ioEventDeliveries(registration.id);
    const statuses = attempts.map((attempt) => attempt.status);
    assert.deepEqual(statuses.filter((status) => status === 500).length, 1);
    assert.deepEqual(statuses.filter((status) => status === 503).length, 1);
    assert.deepEqual(statuses.filter((status) => status === 200).length, 2);
    const retried = attempts.filter((attempt) => attempt.retryCount > 0);
    assert.ok(retried.every((attempt) => attempt.status === 200));
    const events = handedOff(run.id);
    assert.equal(new Set(events.map((event) => event.eventId)).size, 2);
    assert.ok(logLines.some((line) => line.includes('event hand-off failed')));
    assert.ok(logLines.some((line) => line.includes('event delivery overran its deadline')));
  });

  describe('requests that can never be good', () => {
    /** A key host of our own, serving one key the test signs with, and recording what it is asked. */
    let keyHost: Server;
    let keyHostUrl: string;
    const keyHostRequests: string[] = [];
    const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    let ownReceiver: RunningEventsReceiver;
    const ownHandOff = new RecordingHandOff();
    const ownLogLines: string[] = [];

    before(async () => {
      keyHost = createServer((incoming, outgoing) => {
        keyHostRequests.push(incoming.url ?? '');
        if (incoming.url === '/keys/pub-key-test.pem') {
          outgoing.writeHead(200).end(publicKey.export({ type: 'spki', format: 'pem' }));
        } else outgoing.writeHead(404).end();
      });
      await new Promise<void>((resolve) => keyHost.listen(0, '127.0.0.1', resolve));
      keyHostUrl = `http://127.0.0.1:${(keyHost.address() as AddressInfo).port}`;
      ownReceiver = await startEventsReceiver({
        port: 0,
        keyHost: keyHostUrl,
        clientId: 'our-client',
        orgId: 'our-org',
        handOff: ownHandOff.handOff,
        logger: memoryLogger(ownLogLines),
      });
    });
    after(async () => {
      await ownReceiver.close();
      keyHost.closeAllConnections();
      await new Promise((resolve) => keyHost.close(resolve));
    });

    const body = JSON.stringify({
      event_id: 'crafted-event',
      recipient_client_id: 'our-client',
      event: {
        id: 'run-1',
        flowId: 'flow-1',
        sandboxName: 'prod',
        header: { _adobeio: { imsOrgId: 'our-org', eventCode: 'sources_flow_run_success' } },
        secretMarker: 'do-not-log-me',
      },
    });
    const signatureOf = (text: string) => sign('sha256', Buffer.from(text), privateKey).toString('base64');

    async function post(text: string, headers: Record<string, string>): Promise<number> {
      const response = await request(`${ownReceiver.url}/events`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: text,
      });
      await response.body.dump();
      return response.statusCode;
    }

    function signedHeaders(text: string, keyPath = '/keys/pub-key-test.pem'): Record<string, string> {
      return {
        'x-adobe-digital-signature-1': signatureOf(text),
        'x-adobe-public-key1-path': keyPath,
        'x-adobe-digital-signature-2': signatureOf(text),
        'x-adobe-public-key2-path': keyPath,
      };
    }

    it('accepts a well-signed event from our own key host (the control case)', async () => {
      assert.equal(await post(body, signedHeaders(body)), 200);
      assert.deepEqual(
        ownHandOff.events.map((event) => event.eventId),
        ['crafted-event'],
      );
    });

    it('refuses a delivery without signatures (401)', async () => {
      const before = ownHandOff.events.length;
      assert.equal(await post(body, {}), 401);
      assert.equal(await post(body, { 'x-adobe-digital-signature-1': signatureOf(body) }), 401);
      assert.equal(ownHandOff.events.length, before);
    });

    it('refuses a body changed after signing (401)', async () => {
      const before = ownHandOff.events.length;
      const changed = body.replace('run-1', 'run-2');
      assert.equal(await post(changed, signedHeaders(body)), 401);
      assert.equal(ownHandOff.events.length, before);
    });

    it('refuses key paths that leave the key host, without fetching them (401)', async () => {
      const before = ownHandOff.events.length;
      const fetchedBefore = keyHostRequests.length;
      for (const keyPath of [
        `${keyHostUrl}/keys/pub-key-test.pem`,
        '//127.0.0.1/keys/pub-key-test.pem',
        '/keys/../keys/pub-key-test.pem',
        '/keys/test.pem',
      ]) {
        assert.equal(await post(body, signedHeaders(body, keyPath)), 401, keyPath);
      }
      assert.equal(ownHandOff.events.length, before);
      assert.equal(keyHostRequests.length, fetchedBefore);
    });

    it('refuses a well-signed but malformed event (400), naming the field, and logs no body', async () => {
      const malformed = body.replace('"flowId":"flow-1",', '');
      assert.equal(await post(malformed, signedHeaders(malformed)), 400);
      assert.ok(ownLogLines.some((line) => line.includes('event.flowId is missing')));
      assert.ok(ownLogLines.every((line) => !line.includes('do-not-log-me')));
    });

    it('refuses a body over 2 MB (413) without handing it off', async () => {
      const before = ownHandOff.events.length;
      const oversized = `{"padding":"${'x'.repeat(2 * 1024 * 1024)}"}`;
      assert.equal(await post(oversized, signedHeaders(oversized)), 413);
      assert.equal(ownHandOff.events.length, before);
      assert.ok(ownLogLines.every((line) => !line.includes('xxxxxxxx')));
    });
  });
});
