/**
 * An activity attempt never outlives its start-to-close timeout: an AEP call still unanswered at the attempt's
 * deadline is abandoned, so it cannot complete beside the retry that replaced it and make a second resource.
 * And the timeout counts from the attempt's start: an attempt that waited in the queue longer than that still has
 * all of it for its calls.
 */
import assert from 'node:assert/strict';
import { getTemporal } from '../harness/temporal';
import { startTestWorker, type TestWorker } from '../harness/test-worker';
import {
  exactlyOneOfEach,
  fastActivityTiming,
  newScenario,
  provision,
  resourceCounts,
  simulatorAdmin,
  startProvisioning,
  workflowInput,
  useProvisioningWorker,
} from './provisioning-fixtures';

const createBaseConnection = '/data/foundation/flowservice/connections(\\?|$)';

describe('a provisioning step whose AEP call outlasts its attempt', function () {
  const { taskQueue } = useProvisioningWorker('provisioning-deadlines');

  it('abandons the call at the attempt’s deadline, and its retry creates exactly one resource', async function () {
    this.timeout(60_000);
    const scenario = { ...(await newScenario()), taskQueue };
    const admin = await simulatorAdmin();
    // AEP's gateway holds the first create longer than an attempt may last (3 s), then would perform it.
    const holdMs = 6_000;
    await admin.addFault({ method: 'POST', path: createBaseConnection, delayMs: holdMs, times: 1 });

    const startedAt = Date.now();
    const result = await provision(
      scenario,
      workflowInput(scenario, { activityTiming: { ...fastActivityTiming, startToCloseTimeout: '3s' } }),
    );
    // Count only after the held create would have been performed, had its caller still been waiting for it.
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, startedAt + holdMs + 1_000 - Date.now())));

    assert.equal(result.alreadyExisted, false);
    assert.deepEqual(await resourceCounts(scenario.sandbox), exactlyOneOfEach);
    const creates = (await admin.requests(scenario.sandbox)).filter(
      (entry) => entry.method === 'POST' && entry.path === '/data/foundation/flowservice/connections',
    );
    // Only the retry's create was served: the abandoned one's client had gone before AEP got to it.
    assert.deepEqual(
      creates.map((entry) => entry.status),
      [201],
    );
  });
});

describe('provisioning steps that wait in the queue longer than their start-to-close timeout', function () {
  it('make their calls in their first attempt, once a worker takes them', async function () {
    this.timeout(60_000);
    const scenario = await newScenario();
    const startToCloseMs = 3_000;
    const activityTiming = { ...fastActivityTiming, startToCloseTimeout: startToCloseMs };
    // Workflow tasks are taken at once; no worker takes the steps' tasks yet (as when every worker is busy, the
    // queue's rate limit holds them, or a restarted server hands out again what it had not delivered).
    const workflows = await startTestWorker({ taskQueue: scenario.taskQueue, only: 'workflows' });
    let activities: TestWorker | undefined;
    try {
      const handle = await startProvisioning(scenario, workflowInput(scenario, { activityTiming }));
      const firstScheduledAt = await waitForScheduledStep(handle.workflowId);
      await new Promise((resolve) => setTimeout(resolve, firstScheduledAt + startToCloseMs + 1_000 - Date.now()));
      activities = await startTestWorker({ taskQueue: scenario.taskQueue, only: 'activities' });

      const result = await handle.result();

      assert.equal(result.alreadyExisted, false);
      assert.deepEqual(await resourceCounts(scenario.sandbox), exactlyOneOfEach);
      const retried = (await startedAttempts(handle.workflowId)).filter(({ attempt }) => attempt > 1);
      assert.deepEqual(retried, [], 'no step needed a second attempt');
    } finally {
      await activities?.stop();
      await workflows.stop();
    }
  });
});

async function waitForScheduledStep(workflowId: string): Promise<number> {
  const { client } = await getTemporal();
  for (const deadline = Date.now() + 20_000; Date.now() < deadline;) {
    const { events } = await client.workflow.getHandle(workflowId).fetchHistory();
    const scheduled = events?.find((event) => event.activityTaskScheduledEventAttributes);
    if (scheduled?.eventTime)
      return Number(scheduled.eventTime.seconds) * 1000 + (scheduled.eventTime.nanos ?? 0) / 1e6;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${workflowId} scheduled no step within 20 s`);
}

/** Each activity task started, by its type and attempt. */
async function startedAttempts(workflowId: string): Promise<Array<{ step: string; attempt: number }>> {
  const { client } = await getTemporal();
  const events = (await client.workflow.getHandle(workflowId).fetchHistory()).events ?? [];
  const typeOf = new Map(
    events
      .filter((event) => event.activityTaskScheduledEventAttributes)
      .map((event) => [String(event.eventId), event.activityTaskScheduledEventAttributes?.activityType?.name ?? '?']),
  );
  return events
    .filter((event) => event.activityTaskStartedEventAttributes)
    .map((event) => ({
      step: typeOf.get(String(event.activityTaskStartedEventAttributes?.scheduledEventId)) ?? '?',
      attempt: event.activityTaskStartedEventAttributes?.attempt ?? 0,
    }));
}
