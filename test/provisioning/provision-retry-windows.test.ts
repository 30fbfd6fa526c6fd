/**
 * Retrying is bounded by time, not by a count of attempts: a step keeps retrying what may succeed later (a long
 * throttle, an outage) until its retry window closes, and a rollback keeps deleting through an AEP outage
 * instead of leaving orphans. What AEP refuses still stops at once (provision-step-failures.test.ts).
 */
import assert from 'node:assert/strict';
import { getTemporal } from '../harness/temporal';
import { progressQuery } from '../../src/contracts/provisioning-messages';
import { provisioningFailureOf } from '../../src/cli/provision-command';
import {
  exactlyOneOfEach,
  fastActivityTiming,
  newScenario,
  noneOfAny,
  provisionExpectingFailure,
  resourceCounts,
  simulatorAdmin,
  startProvisioning,
  workflowInput,
  useProvisioningWorker,
} from './provisioning-fixtures';

const createBaseConnection = '/data/foundation/flowservice/connections(\\?|$)';
const createDataflow = '/data/foundation/flowservice/flows(\\?|$)';

/** The attempts before this change: a step or a compensation gave up after this many. */
const formerAttemptLimit = 10;

describe('provisioning retries for a time, not a number of attempts', function () {
  const { taskQueue } = useProvisioningWorker('provisioning-retry-windows');

  it('outlasts a throttle of more attempts than the old limit, honouring Retry-After, and builds the dataflow', async function () {
    this.timeout(90_000);
    const scenario = { ...(await newScenario()), taskQueue };
    const throttled = formerAttemptLimit + 2;
    await (
      await simulatorAdmin()
    ).addFault({ method: 'POST', path: createBaseConnection, status: 429, retryAfter: 1, times: throttled });

    const startedAt = Date.now();
    const handle = await startProvisioning(scenario);
    const result = await handle.result();

    assert.equal(result.alreadyExisted, false);
    assert.deepEqual(await resourceCounts(scenario.sandbox), exactlyOneOfEach);
    // A 429 means the gateway did not process the call, so the client resends it itself (paced) before the
    // activity gives up and Temporal retries it: every throttled call was sent again, the last one made it.
    assert.deepEqual(await baseConnectionCreates(scenario.sandbox), [...repeated(429, throttled), 201]);
    assert.ok((await lastAttemptOf(handle.workflowId, 'ensureBaseConnection')) > 1, 'the activity was retried too');
    // Retry-After: 1 second, each time (the step's own backoff would have been 100 ms, then 200 ms, …).
    assert.ok(Date.now() - startedAt >= throttled * 1_000, 'each retry waited for Retry-After');
  });

  it('keeps retrying a step AEP answers with Retry-After: 0 (a zero retry delay would end it in Temporal)', async function () {
    this.timeout(60_000);
    const scenario = { ...(await newScenario()), taskQueue };
    // More than the client resends in process, so attempts fail carrying the zero Retry-After.
    const unavailable = formerAttemptLimit + 2;
    await (
      await simulatorAdmin()
    ).addFault({ method: 'POST', path: createBaseConnection, status: 503, retryAfter: 0, times: unavailable });

    const handle = await startProvisioning(scenario);
    const result = await handle.result();

    assert.equal(result.alreadyExisted, false);
    assert.deepEqual(await resourceCounts(scenario.sandbox), exactlyOneOfEach);
    assert.deepEqual(await baseConnectionCreates(scenario.sandbox), [...repeated(503, unavailable), 201]);
    assert.ok((await lastAttemptOf(handle.workflowId, 'ensureBaseConnection')) > 1, 'the activity was retried');
  });

  it('rolls back when a step still fails at the end of its retry window, saying how long it tried', async function () {
    this.timeout(60_000);
    const scenario = { ...(await newScenario()), taskQueue };
    await (await simulatorAdmin()).addFault({ method: 'POST', path: createDataflow, status: 503 });

    const { failure } = await provisionExpectingFailure(
      scenario,
      workflowInput(scenario, { activityTiming: { ...fastActivityTiming, stepRetryTimeout: '3s' } }),
    );

    assert.equal(failure.step, 'dataflow');
    assert.equal(failure.status, 503);
    assert.match(failure.message, /^Provisioning failed at step 8 of 8 \(Dataflow\): HTTP 503 /);
    assert.match(failure.message, /still failing after retrying for 3s/);
    assert.deepEqual(failure.leftBehind, []);
    assert.deepEqual(await resourceCounts(scenario.sandbox), noneOfAny);
  });

  it('keeps rolling back through an AEP outage longer than the old attempt limit, leaving nothing behind', async function () {
    this.timeout(90_000);
    const scenario = { ...(await newScenario()), taskQueue };
    const admin = await simulatorAdmin();
    // Step 8 is refused, and every delete of the rollback meets an outage until the test ends it.
    await admin.addFault({ method: 'POST', path: createDataflow, status: 400, times: 1 });
    await admin.addFault({ method: 'DELETE', path: '^/data/foundation/', status: 503 });

    const handle = await startProvisioning(scenario);
    const { client } = await getTemporal();
    await waitUntil(async () => {
      const description = await client.workflow.getHandle(handle.workflowId).describe();
      const deleting = description.raw.pendingActivities?.find((activity) =>
        activity.activityType?.name?.startsWith('delete'),
      );
      return (deleting?.attempt ?? 0) > formerAttemptLimit;
    }, 60_000);
    assert.equal((await handle.query(progressQuery)).phase, 'compensating', 'still rolling back, not given up');
    await admin.clearFaults();

    const failure = await handle.result().then(
      () => assert.fail('provisioning was expected to fail'),
      (error: unknown) => provisioningFailureOf(error),
    );
    assert.match(failure?.message ?? '', /^Provisioning failed at step 8 of 8 \(Dataflow\): HTTP 400 /);
    assert.deepEqual(failure?.leftBehind, []);
    const progress = await handle.query(progressQuery);
    assert.equal(progress.phase, 'failed');
    assert.ok(
      progress.steps.every((step) => step.state !== 'rollback-failed'),
      'every compensation completed',
    );
    assert.deepEqual(await resourceCounts(scenario.sandbox), noneOfAny);
  });
});

/** The attempt number of an activity's last start, as its history records it. */
/** The statuses AEP answered the sandbox's base connection creates with, in order. */
async function baseConnectionCreates(sandbox: string): Promise<number[]> {
  return (await (await simulatorAdmin()).requests(sandbox))
    .filter((entry) => entry.method === 'POST' && entry.path === '/data/foundation/flowservice/connections')
    .map((entry) => entry.status);
}

function repeated<T>(value: T, times: number): T[] {
  return Array.from({ length: times }, () => value);
}

async function lastAttemptOf(workflowId: string, activityType: string): Promise<number> {
  const history = await (await getTemporal()).client.workflow.getHandle(workflowId).fetchHistory();
  const events = history.events ?? [];
  const scheduledIds = new Set(
    events
      .filter((event) => event.activityTaskScheduledEventAttributes?.activityType?.name === activityType)
      .map((event) => String(event.eventId)),
  );
  const started = events.filter(
    (event) =>
      event.activityTaskStartedEventAttributes &&
      scheduledIds.has(String(event.activityTaskStartedEventAttributes.scheduledEventId)),
  );
  return Math.max(0, ...started.map((event) => event.activityTaskStartedEventAttributes?.attempt ?? 0));
}

async function waitUntil(condition: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}
