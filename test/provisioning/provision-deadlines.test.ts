/**
 * An activity attempt never outlives its start-to-close timeout: an AEP call still unanswered at the attempt's
 * deadline is abandoned, so it cannot complete beside the retry that replaced it and make a second resource.
 */
import assert from 'node:assert/strict';
import {
  exactlyOneOfEach,
  fastActivityTiming,
  newScenario,
  provision,
  resourceCounts,
  simulatorAdmin,
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
