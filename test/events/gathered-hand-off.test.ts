/**
 * The receiver gathers the events of one sandbox that arrive within `gatherMs` into one `flowRunEvents` signal to
 * its run feed, and answers every delivery of the window only once that signal is accepted: many deliveries, few
 * signals, no event lost. When the signal cannot be sent, no delivery of the window is answered 200 (I/O Events
 * sends them all again). Real receiver, real signed HTTP, real Temporal dev server; the feeds run on a task queue
 * no worker polls, so their histories hold exactly the signals the receiver sent.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { Client, Connection } from '@temporalio/client';
import { startEventsReceiver, type RunningEventsReceiver } from '../../src/events';
import { temporalHandOff } from '../../src/events/temporal-hand-off';
import type { PushedRunEvent } from '../../src/contracts/run-feed-messages';
import { runFeedWorkflowId } from '../../src/contracts/workflow-ids';
import { findFreePort } from '../harness/free-port';
import { getTemporal } from '../harness/temporal';
import { uniqueSandbox } from '../simulator/io-event-fixtures';
import { deliverSigned, flowRunEventBody, KeyHost, ourClient, ourOrg } from './signed-deliveries';

const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };
const gatherMs = 300;

/** The events of each `flowRunEvents` signal in the workflow's history, by event id. */
async function signalledEventIds(workflowId: string): Promise<string[][]> {
  const { client } = await getTemporal();
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  return (history.events ?? [])
    .map((event) => event.workflowExecutionSignaledEventAttributes)
    .filter((signal) => signal?.signalName === 'flowRunEvents')
    .map((signal) => {
      const payload = JSON.parse(Buffer.from(signal!.input!.payloads![0]!.data!).toString('utf8')) as {
        events: PushedRunEvent[];
      };
      return payload.events.map((event) => event.eventId);
    });
}

describe('the receiver gathers a sandbox’s events into one signal', () => {
  let keys: KeyHost;
  const receivers: RunningEventsReceiver[] = [];
  /** No worker polls it: what the receiver signals stays in the feeds' histories, and nothing else happens. */
  const taskQueue = `gathered-hand-off-${randomUUID().slice(0, 8)}`;
  const feeds: string[] = [];

  before(async () => {
    keys = await KeyHost.start();
  });
  after(async () => {
    const { client } = await getTemporal();
    for (const id of feeds)
      await client.workflow
        .getHandle(id)
        .terminate('test finished')
        .catch(() => undefined);
    for (const receiver of receivers) await receiver.close();
    await keys.close();
  });

  async function receiverInFrontOf(client: Client, deadlineMs?: number): Promise<RunningEventsReceiver> {
    const receiver = await startEventsReceiver({
      port: 0,
      keyHost: keys.url,
      clientId: ourClient,
      orgId: ourOrg,
      handOff: temporalHandOff({ client, runFeed: { taskQueue }, logger: quiet, gatherMs }),
      logger: quiet,
      ...(deadlineMs !== undefined ? { deadlineMs } : {}),
    });
    receivers.push(receiver);
    // The key is fetched and cached by a delivery that hands nothing on (another organisation's event): the
    // deliveries under test then reach the hand-off together, not one key fetch apart.
    const warmUp = flowRunEventBody({ sandbox: uniqueSandbox('warm-up'), org: 'SOMEONE-ELSE@AdobeOrg' });
    assert.equal(await deliverSigned(receiver, warmUp.body), 200);
    return receiver;
  }

  /** A sandbox whose run feed runs (started here, by name), so the receiver signals it. */
  async function sandboxWithFeed(prefix: string): Promise<string> {
    const { client } = await getTemporal();
    const sandbox = uniqueSandbox(prefix);
    const workflowId = runFeedWorkflowId(sandbox);
    await client.workflow.start('sandboxRunFeed', { workflowId, taskQueue, args: [{ sandbox }] });
    feeds.push(workflowId);
    return sandbox;
  }

  it('answers each of 12 deliveries for one sandbox 200, with fewer signals carrying all 12 events', async () => {
    const { client } = await getTemporal();
    const receiver = await receiverInFrontOf(client);
    const sandbox = await sandboxWithFeed('gathered');
    const deliveries = Array.from({ length: 12 }, () => flowRunEventBody({ sandbox }));

    const statuses = await Promise.all(deliveries.map((delivery) => deliverSigned(receiver, delivery.body)));

    assert.deepEqual(statuses, Array(12).fill(200));
    const signals = await signalledEventIds(runFeedWorkflowId(sandbox));
    assert.ok(signals.length < deliveries.length, `${signals.length} signals for ${deliveries.length} deliveries`);
    assert.deepEqual(
      signals.flat().sort(),
      deliveries.map((delivery) => delivery.eventId).sort(),
      'every event, each once',
    );
  });

  it('sends one signal to each sandbox’s feed, with that sandbox’s events only', async () => {
    const { client } = await getTemporal();
    const receiver = await receiverInFrontOf(client);
    const sandboxes = [await sandboxWithFeed('first'), await sandboxWithFeed('second')];
    // Interleaved: first, second, first, second, …
    const deliveries = Array.from({ length: 12 }, (_, index) => flowRunEventBody({ sandbox: sandboxes[index % 2]! }));

    const statuses = await Promise.all(deliveries.map((delivery) => deliverSigned(receiver, delivery.body)));

    assert.deepEqual(statuses, Array(12).fill(200));
    for (const [index, sandbox] of sandboxes.entries()) {
      const signals = await signalledEventIds(runFeedWorkflowId(sandbox));
      assert.equal(signals.length, 1, `one signal to the feed of ${sandbox}`);
      const own = deliveries.filter((_, position) => position % 2 === index).map((delivery) => delivery.eventId);
      assert.deepEqual([...signals[0]!].sort(), own.sort());
    }
  });

  /** Six deliveries for one sandbox, at once, to a receiver whose Temporal is `connection`; their statuses. */
  async function deliveriesThrough(connection: Connection, deadlineMs?: number): Promise<number[]> {
    const receiver = await receiverInFrontOf(new Client({ connection }), deadlineMs);
    const sandbox = uniqueSandbox('not-taken');
    const deliveries = Array.from({ length: 6 }, () => flowRunEventBody({ sandbox }));
    return Promise.all(deliveries.map((delivery) => deliverSigned(receiver, delivery.body)));
  }

  it('answers no delivery of the window 200 when Temporal cannot be reached', async () => {
    // Nothing listens there. Without the client's gRPC retries the signal fails at once (with them, a retry would
    // outlive the test and meet a closed connection).
    const connection = Connection.lazy({ address: `127.0.0.1:${await findFreePort()}`, interceptors: [] });
    try {
      const statuses = await deliveriesThrough(connection);
      assert.deepEqual(statuses, Array(6).fill(500), 'every delivery of the window: taken by none');
    } finally {
      await connection.close();
    }
  });

  it('answers no delivery of the window 200 when the hand-off is aborted at the deadline', async function () {
    this.timeout(20_000);
    // A server that accepts connections and never answers: the signal waits until the delivery's deadline aborts it.
    const sockets: Socket[] = [];
    const silent = createServer((socket) => void sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const connection = Connection.lazy({ address: `127.0.0.1:${(silent.address() as AddressInfo).port}` });
    try {
      const startedAt = Date.now();
      const statuses = await deliveriesThrough(connection, 2_000);
      assert.ok(
        statuses.every((status) => status >= 500),
        `every delivery refused for now: ${statuses.join(', ')}`,
      );
      assert.ok(Date.now() - startedAt < 5_000, 'answered at the deadline, not later');
    } finally {
      await connection.close();
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });
});
