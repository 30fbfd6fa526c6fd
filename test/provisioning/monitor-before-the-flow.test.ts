/**
 * The monitor starts before its flow exists (once provisioning's survey has ended), so its start is not on
 * provisioning's critical path. It is told its flow and every other id by the dataflow step's activity (or by
 * provisioning, when the activity could not); it stands down when provisioning rolls back, even once told; and when
 * provisioning was stopped from outside and tells it nothing, it asks Temporal how that provisioning went and
 * stands down.
 */
import assert from 'node:assert/strict';
import { setTimeout as delay } from 'node:timers/promises';
import { createActivities } from '../../src/activities';
import { createAepClient } from '../../src/aep';
import { statusQuery, type DataflowMonitorResult } from '../../src/contracts/monitor-messages';
import { monitorWorkflowId } from '../../src/contracts/workflow-ids';
import { getTemporal } from '../harness/temporal';
import { simulatorAepSettings, startTestWorker, testSecretBox } from '../harness/test-worker';
import {
  fastActivityTiming,
  newScenario,
  noneOfAny,
  provision,
  resourceCounts,
  simulatorAdmin,
  startProvisioning,
  uniqueName,
  useProvisioningWorker,
  workflowInput,
  type Scenario,
} from './provisioning-fixtures';

const createFlow = '/data/foundation/flowservice/flows(\\?|$)';

describe('the monitor started before its flow exists', function () {
  const { taskQueue } = useProvisioningWorker('monitor-before-flow');

  it('stands down when provisioning is cancelled during the create, after it was told the flow', async function () {
    this.timeout(60_000);
    const scenario = { ...(await newScenario()), taskQueue };
    const admin = await simulatorAdmin();
    await admin.addFault({ method: 'POST', path: createFlow, delayMs: 1_500, times: 1 });
    const createsBefore = (await admin.requestCounts())['POST /flows'] ?? 0;

    const handle = await startProvisioning(scenario);
    await admin.waitForArrivals('POST /flows', createsBefore, 30_000);
    await handle.cancel();
    await assert.rejects(handle.result());

    const ended = await monitorResult(scenario);
    assert.equal(ended.state, 'torn-down');
    assert.match(ended.teardown.summary, /^nothing to watch: Provisioning was cancelled at step 8 of 8 \(Dataflow\)/);
    assert.deepEqual(await resourceCounts(scenario.sandbox), noneOfAny, 'the flow made during the cancel is gone');
  });

  it('asks how provisioning went when it was terminated during the create, and stands down', async function () {
    this.timeout(60_000);
    const scenario = { ...(await newScenario()), taskQueue };
    const admin = await simulatorAdmin();
    // The create is held past the monitor's wait (the step's retry window, 2 s, and half again).
    await admin.addFault({ method: 'POST', path: createFlow, delayMs: 8_000, times: 1 });
    const createsBefore = (await admin.requestCounts())['POST /flows'] ?? 0;
    const input = workflowInput(scenario, { activityTiming: { ...fastActivityTiming, stepRetryTimeout: '2s' } });

    const handle = await startProvisioning(scenario, input);
    await admin.waitForArrivals('POST /flows', createsBefore, 30_000);
    // Terminated once its monitor runs (a child whose start has not landed when its parent closes never starts).
    const { client } = await getTemporal();
    await waitFor(() => client.workflow.getHandle(monitorWorkflowId(scenario.sandbox, scenario.name)).describe());
    await handle.terminate('stopped by an operator');

    const ended = await monitorResult(scenario);
    assert.equal(ended.state, 'torn-down');
    assert.equal(
      ended.teardown.summary,
      `nothing to watch: provisioning provision:${scenario.sandbox}:${scenario.name} terminated`,
    );
  });

  it('hears its flow from provisioning when the dataflow step’s activity could not tell it', async function () {
    this.timeout(60_000);
    // A worker whose dataflow step never tells the monitor (as when the signal cannot get through).
    const real = createActivities({ aep: createAepClient(await simulatorAepSettings()), secrets: testSecretBox() });
    const silent = await startTestWorker({
      taskQueue: uniqueName('monitor-told-by-provisioning'),
      activityOverrides: {
        ensureDataflow: (input) => real.ensureDataflow({ ...input, tellMonitor: undefined }),
      },
    });
    try {
      const scenario = { ...(await newScenario()), taskQueue: silent.taskQueue };
      const result = await provision(scenario);
      const { client } = await getTemporal();
      const status = await client.workflow
        .getHandle(monitorWorkflowId(scenario.sandbox, scenario.name))
        .query(statusQuery);
      assert.deepEqual(status.ids, result.ids);
      assert.deepEqual(status.schedule, result.schedule);
    } finally {
      await silent.stop();
    }
  });
});

/** The monitor's result, or a failure naming what it did not do in time. */
async function monitorResult(scenario: Scenario): Promise<DataflowMonitorResult> {
  const { client } = await getTemporal();
  const monitor = client.workflow.getHandle<() => Promise<DataflowMonitorResult>>(
    monitorWorkflowId(scenario.sandbox, scenario.name),
  );
  return Promise.race([
    monitor.result(),
    delay(20_000).then(() => assert.fail('the monitor did not stand down within 20 s')),
  ]);
}

async function waitFor(attempt: () => Promise<unknown>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await attempt();
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await delay(50);
    }
  }
}
