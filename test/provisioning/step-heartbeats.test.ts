/**
 * Provisioning steps are scheduled with a heartbeat timeout, so a step lost with its worker is retried after it
 * rather than after the whole start-to-close timeout; a step that is merely slow keeps beating and is never timed out.
 */
import assert from 'node:assert/strict';
import { temporal } from '@temporalio/proto';
import { getTemporal } from '../harness/temporal';
import {
  exactlyOneOfEach,
  fastActivityTiming,
  newScenario,
  provision,
  resourceCounts,
  simulatorAdmin,
  useProvisioningWorker,
  workflowInput,
} from './provisioning-fixtures';

const createBaseConnection = '/data/foundation/flowservice/connections(\\?|$)';
const { EventType } = temporal.api.enums.v1;

describe('a provisioning step slower than its heartbeat timeout', function () {
  const { taskQueue } = useProvisioningWorker('step-heartbeats');

  it('keeps beating while its AEP call runs, so it completes in one attempt', async function () {
    this.timeout(60_000);
    const scenario = { ...(await newScenario()), taskQueue };
    // AEP takes three heartbeat timeouts to answer the create.
    await (await simulatorAdmin()).addFault({ method: 'POST', path: createBaseConnection, delayMs: 3_000, times: 1 });

    const result = await provision(
      scenario,
      workflowInput(scenario, { activityTiming: { ...fastActivityTiming, heartbeatTimeout: '1s' } }),
    );

    assert.deepEqual(await resourceCounts(scenario.sandbox), exactlyOneOfEach);
    const { client } = await getTemporal();
    const history = await client.workflow.getHandle(result.workflowId).fetchHistory();
    const events = history.events ?? [];
    const timedOut = events.filter((event) => event.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT);
    assert.equal(timedOut.length, 0, 'no step timed out for want of a heartbeat');
    const retried = events.filter(
      (event) =>
        event.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED &&
        (event.activityTaskStartedEventAttributes?.attempt ?? 1) > 1,
    );
    assert.equal(retried.length, 0, 'every step ran once');
    const scheduled = events.find((event) => event.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED);
    assert.equal(
      Number(scheduled?.activityTaskScheduledEventAttributes?.heartbeatTimeout?.seconds ?? 0),
      1,
      'steps are scheduled with the heartbeat timeout asked for',
    );
  });
});
