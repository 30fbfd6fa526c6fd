/**
 * Two worker processes provisioning for one organisation behind AEP's gateway limit (the simulator's 429 +
 * Retry-After above it): they pace through the provisioning queue's rate limit in Temporal, which the first 429 sets
 * and every worker reads, and one of them is SIGKILLed half-way: every dataflow is still provisioned, once.
 */
import assert from 'node:assert/strict';
import { temporal as proto } from '@temporalio/proto';
import { monitorWorkflowId, runFeedWorkflowId } from '../../src/contracts/workflow-ids';
import { getTemporal } from '../harness/temporal';
import { childProcessEnv } from '../harness/test-worker';
import {
  exactlyOneOfEach,
  newScenario,
  resourceCounts,
  simulatorAdmin,
  startProvisioning,
  uniqueName,
  workflowInput,
  type Scenario,
} from './provisioning-fixtures';
import { spawnTsx, workflowBundleFile, type SpawnedProcess } from './spawned-process';

function describeFailure(error: unknown): string {
  const messages: string[] = [];
  for (let at = error as { message?: string; cause?: unknown } | undefined; at; at = at.cause as typeof at) {
    messages.push(at.message ?? '(no message)');
  }
  return messages.join(' <- ');
}

describe('several workers pacing one organisation through Temporal', function () {
  this.timeout(180_000);
  const workers: SpawnedProcess[] = [];
  const scenarios: Scenario[] = [];

  after(async () => {
    await (await simulatorAdmin()).setRateLimit(undefined);
    const { client } = await getTemporal();
    await Promise.all(
      scenarios.flatMap((scenario) =>
        [monitorWorkflowId(scenario.sandbox, scenario.name), runFeedWorkflowId(scenario.sandbox)].map((id) =>
          client.workflow
            .getHandle(id)
            .terminate('test over')
            .catch(() => undefined),
        ),
      ),
    );
    await Promise.all(workers.map((worker) => worker.stop()));
  });

  it('learns the limit on the shared queue, and loses nothing when a worker is killed mid-way', async () => {
    const taskQueue = uniqueName('shared-pacing');
    const env = { ...(await childProcessEnv(taskQueue)), WORKFLOW_BUNDLE_PATH: await workflowBundleFile() };
    // INFO: each decrease of the shared rate is logged.
    for (let index = 0; index < 2; index += 1)
      workers.push(spawnTsx('src/worker.ts', [], { ...env, LOG_LEVEL: 'INFO' }));
    await Promise.all(workers.map((worker) => worker.waitForOutput(/worker started/, 90_000)));

    const admin = await simulatorAdmin();
    await admin.setRateLimit(8);
    for (let index = 0; index < 10; index += 1) scenarios.push({ ...(await newScenario()), taskQueue });
    const before = await admin.requestCountsByOrganization();
    // The killed worker's steps in flight are retried elsewhere once their attempt times out: 20 s here (2 minutes by
    // default), inside a retry window long enough for ten provisionings behind the limit.
    const timing = {
      activityTiming: { startToCloseTimeout: '20s', stepRetryTimeout: '3m', initialInterval: '200ms' },
    } as const;
    const results = scenarios.map(async (scenario) => {
      const handle = await startProvisioning(scenario, workflowInput(scenario, timing));
      return handle.result();
    });

    // Half-way, one worker dies without a word; the other carries on with everything.
    let finished = 0;
    const halfDone = new Promise<void>((resolve) => {
      for (const result of results)
        void result.then(
          () => ++finished === 5 && resolve(),
          () => undefined,
        );
    });
    await halfDone;
    workers[0]!.signal('SIGKILL');
    const outcomes = await Promise.allSettled(results);
    const after = await admin.requestCountsByOrganization();

    assert.deepEqual(
      outcomes.filter((outcome) => outcome.status === 'rejected').map((outcome) => describeFailure(outcome.reason)),
      [],
      'every provisioning succeeded',
    );
    for (const scenario of scenarios) assert.deepEqual(await resourceCounts(scenario.sandbox), exactlyOneOfEach);

    // The 429s set a limit on the queue, in Temporal, with what was learned in its metadata.
    const { connection } = await getTemporal();
    const described = await connection.workflowService.describeTaskQueue({
      namespace: 'default',
      taskQueue: { name: taskQueue },
      taskQueueType: proto.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY,
      reportConfig: true,
    });
    const limit = described.config?.queueRateLimit;
    assert.ok(limit?.rateLimit?.requestsPerSecond, 'a shared rate limit is set on the provisioning queue');
    assert.match(limit?.metadata?.reason ?? '', /"pacing":\{"step":"(decrease|increase)","limitEstimate":[\d.]+/);
    const throttled = after.platformCalls.throttled - before.platformCalls.throttled;
    const admitted = after.platformCalls.admitted - before.platformCalls.admitted;
    assert.ok(throttled > 0, 'the gateway limit was reached (else nothing was learned)');
    const lowered = workers.map(
      (worker) => (worker.output().match(/AEP answered 429: (set|lowered) the shared AEP call rate/g) ?? []).length,
    );
    assert.ok(
      lowered.reduce((sum, count) => sum + count, 0) >= 1,
      `a worker set or lowered the shared rate (logs: ${lowered.join(', ')})`,
    );
    console.log(
      `      ${admitted} calls admitted, ${throttled} throttled (${(throttled / admitted).toFixed(3)} per admitted call); shared limit ${limit?.rateLimit?.requestsPerSecond}/s`,
    );
  });
});
