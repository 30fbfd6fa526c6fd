import assert from 'node:assert/strict';
import type { ApplicationFailure } from '@temporalio/common';
import { toActivityFailure } from '../../src/activities/aep-failure';
import { AepCallCancelledError, AepError, type AepWaitInfo } from '../../src/aep';
import { FlowService } from '../../src/aep/flow-service';
import { AepRequester, HttpTransport } from '../../src/aep/http';
import { ImsTokenProvider } from '../../src/aep/ims-token';
import { RequestPacer } from '../../src/aep/request-pacer';
import { SimulatorAdmin } from '../harness/simulator-admin';
import { FakeClock, settle } from './fake-clock';
import { baseConnectionBody } from './onetrust-resources';
import { collect, freshSandbox, rejectionOf, SimulatorFixture } from './simulator-fixture';

const connectionsPath = '/data/foundation/flowservice/connections';
const limit = 20;

describe('AEP client: pacing under the gateway rate limit (simulator)', () => {
  let fixture: SimulatorFixture;
  let admin: SimulatorAdmin;

  before(async () => {
    fixture = await SimulatorFixture.start();
    admin = new SimulatorAdmin(fixture.url);
  });
  afterEach(async () => {
    await admin.setRateLimit(undefined);
    await fixture.clearFaults();
  });
  after(async () => {
    await fixture?.close();
  });

  async function postStatuses(): Promise<number[]> {
    return (await fixture.requests())
      .filter((entry) => entry.method === 'POST' && entry.path === connectionsPath)
      .map((entry) => entry.status);
  }

  it(`keeps 400 concurrent GETs and POSTs near a ${limit}/s limit with few 429s, each POST creating one resource`, async function () {
    this.timeout(45_000);
    const client = fixture.client();
    try {
      const { flowService } = client.forSandbox(freshSandbox('bulk'));
      const existing = await flowService.createConnection(baseConnectionBody('existing'));
      await admin.setRateLimit(limit);
      await admin.clearRequestCounts();
      const started = Date.now();
      const finishedAt: number[] = [];
      await Promise.all(
        Array.from({ length: 400 }, async (_, index) => {
          if (index % 2 === 0) await flowService.getConnection(existing.id);
          else await flowService.createConnection(baseConnectionBody(`bulk-${index}`));
          finishedAt.push(Date.now());
        }),
      );
      const elapsedMs = Date.now() - started;
      const afterFirstSecond = finishedAt.filter((at) => at - started > 1000).length;
      const admittedShareOfLimit = afterFirstSecond / ((elapsedMs - 1000) / 1000) / limit;
      const { platformCalls } = await admin.requestCountsByOrganization();
      const throttledPerAdmitted = platformCalls.throttled / platformCalls.admitted;
      console.log(
        `      ${platformCalls.admitted} admitted, ${platformCalls.throttled} throttled in ${elapsedMs} ms: ` +
          `${admittedShareOfLimit.toFixed(3)} of the limit after the first second, ` +
          `${throttledPerAdmitted.toFixed(3)} 429s per admitted call`,
      );
      assert.ok(throttledPerAdmitted <= 0.1, `${throttledPerAdmitted} 429s per admitted call`);
      assert.ok(admittedShareOfLimit >= 0.85, `admitted ${admittedShareOfLimit} of the limit`);

      const pacing = client.pacing()!;
      assert.equal(pacing.admitted, platformCalls.admitted + 1, 'the client saw what the gateway admitted (+ setup)');
      assert.equal(pacing.throttled, platformCalls.throttled);
      assert.ok(pacing.requestsPerSecond !== undefined && pacing.requestsPerSecond <= limit * 1.05);
      assert.equal(client.pacing('another-org@AdobeOrg'), undefined);

      await admin.setRateLimit(undefined);
      const names = (await collect(flowService.listConnections())).map((connection) => connection.name);
      assert.equal(names.length, 201, 'every POST answered 429 was resent and created its connection once');
      assert.equal(new Set(names).size, 201);
    } finally {
      await client.close();
    }
  });

  it('resends a write answered 429 after Retry-After, creating exactly one resource', async () => {
    const client = fixture.client();
    try {
      const waits: AepWaitInfo[] = [];
      const { flowService } = client.forSandbox(freshSandbox('resend'), { onWait: (info) => waits.push(info) });
      await admin.setRateLimit(1);
      await flowService.countConnections(); // takes the second's only slot
      await fixture.clearRequests();
      const started = Date.now();
      const created = await flowService.createConnection(baseConnectionBody('resent'));
      assert.ok(Date.now() - started >= 1000, 'not resent before Retry-After passed');
      assert.deepEqual(await postStatuses(), [429, 201]);
      assert.equal(waits[0]?.reason, 'retry-after');
      assert.ok(waits[0].waitMs > 900 && waits[0].waitMs <= 1000, `reported a wait of ${waits[0].waitMs} ms`);
      const named = await collect(flowService.listConnections({ property: ['name==resent'] }));
      assert.deepEqual(
        named.map((connection) => connection.id),
        [created.id],
      );
    } finally {
      await client.close();
    }
  });

  it('with adaptivePacing off, leaves a 429 on a write to the caller, as before', async () => {
    const client = fixture.client({ adaptivePacing: false });
    try {
      await fixture.addFault({
        method: 'POST',
        path: 'flowservice/connections$',
        status: 429,
        retryAfter: 1,
        times: 1,
      });
      await fixture.clearRequests();
      const { flowService } = client.forSandbox(freshSandbox('unpaced'));
      const throttled = await rejectionOf(flowService.createConnection(baseConnectionBody('unpaced')));
      assert.ok(throttled instanceof AepError && throttled.status === 429 && throttled.retryable);
      assert.deepEqual(await postStatuses(), [429]);
      assert.equal(client.pacing()?.requestsPerSecond, undefined);
      assert.equal(client.pacing()?.throttled, 1);
    } finally {
      await client.close();
    }
  });

  it('hands a 429 up, retryable, when its resend would pass the deadline', async () => {
    const client = fixture.client();
    try {
      await admin.setRateLimit(1);
      await client.forSandbox(freshSandbox('warmup')).flowService.countConnections();
      await fixture.clearRequests();
      const deadlineMs = Date.now() + 500;
      const { flowService } = client.forSandbox(freshSandbox('deadline'), { deadlineMs });
      const refused = await rejectionOf(flowService.createConnection(baseConnectionBody('late')));
      assert.ok(refused instanceof AepError);
      assert.equal(refused.status, 429);
      assert.equal(refused.retryable, true);
      assert.match(refused.message, new RegExp(`deadline ${new Date(deadlineMs).toISOString()}`));
      assert.ok(Date.now() < deadlineMs, 'it failed instead of waiting');
      assert.deepEqual(await postStatuses(), [429]);

      const notSent = await rejectionOf(flowService.countConnections());
      assert.ok(notSent instanceof AepError);
      assert.equal(notSent.code, 'DEADLINE_EXCEEDED', 'a new call is not sent during the Retry-After either');
      assert.equal(notSent.retryable, true);
    } finally {
      await client.close();
    }
  });

  it('refuses at once a call whose pacing slot comes after the deadline: its retry takes the step’s backoff, unless the slot is after the retry window', async () => {
    const client = fixture.client({ pacedWithOtherWorkers: true });
    try {
      const { flowService } = client.forSandbox(freshSandbox('slot'));
      await flowService.countConnections(); // the IMS token first
      client.followSharedRate(0.5);
      await flowService.countConnections(); // takes the slot: the next one is 2 s away
      const deadlineMs = Date.now() + 500;
      const withinWindow = await rejectionOf(
        client
          .forSandbox(freshSandbox('slot'), { deadlineMs, retryWindowEndsMs: deadlineMs + 60_000 })
          .flowService.countConnections(),
      );
      assert.ok(withinWindow instanceof AepError);
      assert.equal(withinWindow.code, 'DEADLINE_EXCEEDED');
      assert.match(withinWindow.message, /\(pacing\) would pass the call's deadline/);
      assert.ok(Date.now() < deadlineMs, 'it failed instead of waiting');
      // The slot was estimated at the rate in force, which may rise before then: no retry delay of its own.
      assert.equal(withinWindow.retryAfterMs, undefined);
      assert.equal(
        (toActivityFailure(withinWindow, 'base-connection') as ApplicationFailure).nextRetryDelay,
        undefined,
      );

      // The same slot when the step has no retry left before it: its wait is the retry delay, which Temporal turns
      // into the end of the step's retries (the retry would come after the schedule-to-close).
      const pastWindow = await rejectionOf(
        client
          .forSandbox(freshSandbox('slot'), { deadlineMs, retryWindowEndsMs: deadlineMs })
          .flowService.countConnections(),
      );
      assert.ok(pastWindow instanceof AepError);
      assert.equal(pastWindow.code, 'DEADLINE_EXCEEDED');
      assert.ok(
        pastWindow.retryAfterMs !== undefined && pastWindow.retryAfterMs > 500 && pastWindow.retryAfterMs <= 2000,
        `the slot's wait, ${pastWindow.retryAfterMs} ms`,
      );
      assert.equal(
        (toActivityFailure(pastWindow, 'base-connection') as ApplicationFailure).nextRetryDelay,
        pastWindow.retryAfterMs,
      );
    } finally {
      await client.close();
    }
  });

  it('retries a GET after a 503, but never sleeps past the deadline, and leaves a 503 on a write to the caller', async () => {
    const client = fixture.client();
    try {
      await fixture.addFault({ method: 'GET', path: 'flowservice/connections', status: 503, retryAfter: 5, times: 1 });
      const deadlineMs = Date.now() + 2000;
      const refused = await rejectionOf(
        client.forSandbox(freshSandbox('backoff'), { deadlineMs }).flowService.countConnections(),
      );
      assert.ok(refused instanceof AepError);
      assert.equal(refused.status, 503);
      assert.equal(refused.retryable, true);
      assert.match(refused.message, /not retried: waiting 5000 ms \(retry-after\) would pass the call's deadline/);

      await fixture.addFault({ method: 'POST', path: 'flowservice/connections$', status: 503, times: 1 });
      await fixture.clearRequests();
      const unavailable = await rejectionOf(
        client.forSandbox(freshSandbox('write503')).flowService.createConnection(baseConnectionBody('once')),
      );
      assert.ok(unavailable instanceof AepError && unavailable.status === 503);
      assert.deepEqual(await postStatuses(), [503]);
    } finally {
      await client.close();
    }
  });

  it('cancels a request in flight, and one waiting for its slot, as soon as the signal fires', async () => {
    const client = fixture.client();
    try {
      await fixture.addFault({ method: 'GET', path: 'flowservice/connections', delayMs: 3000, times: 1 });
      const inFlight = new AbortController();
      const started = Date.now();
      setTimeout(() => inFlight.abort(), 100);
      const cancelled = await rejectionOf(
        client.forSandbox(freshSandbox('abort'), { signal: inFlight.signal }).flowService.countConnections(),
      );
      assert.ok(cancelled instanceof AepCallCancelledError);
      assert.equal(cancelled.name, 'AbortError', 'Temporal reports a cancelled activity that throws it as cancelled');
      assert.match(cancelled.message, /^GET \/data\/foundation\/flowservice\/connections was cancelled in flight$/);
      assert.ok(Date.now() - started < 1000);

      await admin.setRateLimit(1);
      const { flowService } = client.forSandbox(freshSandbox('abort-waiting'));
      await flowService.countConnections();
      const waiting = new AbortController();
      const resend = rejectionOf(
        client.forSandbox(freshSandbox('abort-waiting'), { signal: waiting.signal }).flowService.countConnections(),
      );
      setTimeout(() => waiting.abort(), 300);
      const cancelledWhileWaiting = await resend;
      assert.ok(cancelledWhileWaiting instanceof AepCallCancelledError);
      assert.match(cancelledWhileWaiting.message, /was cancelled while waiting \(retry-after\)$/);
    } finally {
      await client.close();
    }
  });

  it('holds the organisation only for the resend cap after "Retry-After: 3600"; the throttled write waits its hour in the activity\'s retry', async () => {
    // The client's own parts, wired as createAepClient wires them, with the pacer's waits on a fake clock.
    const clock = new FakeClock();
    const transport = new HttpTransport({ retries: { initialDelayMs: 20 } });
    const settings = fixture.settings();
    const capMs = transport.retryOptions.maxRetryAfterMs;
    const pacer = new RequestPacer({ clock, maxRetryAfterHoldMs: capMs });
    const requester = new AepRequester(
      transport,
      new ImsTokenProvider(transport, settings),
      { platformUrl: settings.platformUrl, clientId: settings.clientId, orgId: settings.orgId },
      freshSandbox('hour'),
      pacer,
      {},
      clock,
    );
    const flowService = new FlowService(requester);
    try {
      await fixture.addFault({ method: 'POST', path: 'flowservice/connections$', status: 429, retryAfter: 3600 });
      await fixture.clearRequests();
      const throttled = await rejectionOf(flowService.createConnection(baseConnectionBody('an-hour')));
      assert.ok(throttled instanceof AepError && throttled.status === 429 && throttled.retryable);
      assert.equal(throttled.retryAfterMs, 3_600_000, 'the failure carries the whole hour');
      assert.equal(pacer.snapshot().retryAfterUntil, clock.now() + capMs, 'the organisation is held for the cap');

      // Another call of the same organisation waits out the cap, then goes.
      const otherCall = flowService.countConnections();
      await settle();
      await clock.advance(capMs - 1);
      assert.equal(pacer.snapshot().waiting, 1, 'held while the cap lasts');
      await clock.advance(1);
      assert.equal(pacer.snapshot().waiting, 0, 'let through when the cap ends, not after the hour');
      assert.equal(typeof (await otherCall), 'number');

      const logged = (await fixture.requests()).map((entry) => `${entry.method} ${entry.path} ${entry.status}`);
      assert.deepEqual(
        logged.filter((line) => line.includes(connectionsPath)),
        [`POST ${connectionsPath} 429`, `GET ${connectionsPath} 200`],
        'the throttled write was not resent in process',
      );
      // The activity hands Temporal the wait, so the write's retry comes after the hour and not earlier.
      const failure = toActivityFailure(throttled, 'baseConnection') as ApplicationFailure;
      assert.equal(failure.nonRetryable, false);
      assert.equal(failure.nextRetryDelay, 3_600_000);
    } finally {
      await transport.close();
    }
  });

  it("bounds the organisation's hold by the client's retries.maxRetryAfterMs, an HTTP-date Retry-After too", async () => {
    const client = fixture.client({ retries: { maxRetryAfterMs: 20_000 } });
    try {
      const inAnHour = new Date(Date.now() + 3_600_000).toUTCString();
      await fixture.addFault({ method: 'POST', path: 'flowservice/connections$', status: 429, retryAfter: inAnHour });
      const { flowService } = client.forSandbox(freshSandbox('dated'));
      const throttled = await rejectionOf(flowService.createConnection(baseConnectionBody('dated')));
      assert.ok(throttled instanceof AepError && throttled.retryAfterMs !== undefined);
      assert.ok(throttled.retryAfterMs > 3_500_000, `the date was read as ${throttled.retryAfterMs} ms away`);
      const heldUntil = client.pacing()?.retryAfterUntil;
      assert.ok(heldUntil !== undefined && heldUntil <= Date.now() + 20_000, `held until ${heldUntil}`);
    } finally {
      await client.close();
    }
  });

  it('paces from the first request at AEP_MAX_REQUESTS_PER_SECOND, drawing no 429', async () => {
    const client = fixture.client({}, { maxRequestsPerSecond: 5 });
    try {
      // A gateway limit just above the ceiling: timers and the network jitter by a millisecond or so.
      await admin.setRateLimit(6);
      const { flowService } = client.forSandbox(freshSandbox('ceiling'));
      await client.forSandbox(freshSandbox('ceiling')).flowService.countConnections(); // the IMS token first
      const started = Date.now();
      await Promise.all(Array.from({ length: 10 }, () => flowService.countConnections()));
      assert.ok(Date.now() - started >= 1700, 'ten requests at 5 a second take about 2 s');
      // How many answered in the trailing second depends on when it is asked: not compared.
      const { admittedInLastSecond, waitedForRate, expectedWaitMs, ...pacing } = client.pacing()!;
      assert.ok(
        expectedWaitMs >= 0 && expectedWaitMs <= 200,
        `at most one interval to the next slot: ${expectedWaitMs}`,
      );
      assert.deepEqual(pacing, {
        requestsPerSecond: 5,
        maxRequestsPerSecond: 5,
        admitted: 11,
        throttled: 0,
        waiting: 0,
        inFlight: 0,
        retryAfterUntil: undefined,
        lastThrottledSentAt: undefined,
      });
      // Answers, not sends: when they arrive depends on the simulator's load, so only their kind is checked.
      assert.equal(typeof admittedInLastSecond, 'number');
      assert.ok(waitedForRate >= 9, 'all but the first one or two waited for the rate');
    } finally {
      await client.close();
    }
  });
});
