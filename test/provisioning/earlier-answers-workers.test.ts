/**
 * AEP's answer to an activity's attempt reaches the next attempt whichever worker runs it: the first attempt of a
 * step meets AEP's 503 on worker A, A is killed, and the retry on worker B cannot send its call before the step's
 * deadline; the step's failure still names AEP's 503 (status, code, message), not only "deadline exceeded".
 */
import assert from 'node:assert/strict';
import type { WorkflowHandle } from '@temporalio/client';
import { getTemporal } from '../harness/temporal';
import { childProcessEnv } from '../harness/test-worker';
import { progressQuery } from '../../src/contracts/provisioning-messages';
import type { ProvisioningFailure } from '../../src/contracts/provisioning-messages';
import {
  fastActivityTiming,
  newScenario,
  simulatorAdmin,
  startProvisioning,
  workflowInput,
} from './provisioning-fixtures';
import { spawnTsx, workflowBundleFile, type SpawnedProcess } from './spawned-process';

const createBaseConnection = '/data/foundation/flowservice/connections(\\?|$)';
const stepActivity = 'ensureBaseConnection';

describe('an activity retried on another worker process', function () {
  afterEach(async () => {
    await (await simulatorAdmin()).clearFaults();
  });

  it("reports AEP's 503 to the attempt on the killed worker when the retry on the other cannot send its call", async function () {
    this.timeout(90_000);
    const scenario = await newScenario();
    const env = {
      ...(await childProcessEnv(scenario.taskQueue)),
      WORKFLOW_BUNDLE_PATH: await workflowBundleFile(),
      LOG_LEVEL: 'INFO',
    };
    const admin = await simulatorAdmin();
    // The first create is refused with a 503 asking for 5 s: time to kill worker A before the retry is due.
    await admin.addFault({ method: 'POST', path: createBaseConnection, status: 503, retryAfter: 5, times: 1 });

    const workerA = spawnTsx('src/worker.ts', [], env, { runner: 'node' });
    let workerB: SpawnedProcess | undefined;
    let handle: WorkflowHandle | undefined;
    try {
      await workerA.waitForOutput(/worker started/, 60_000);
      handle = await startProvisioning(
        scenario,
        workflowInput(scenario, { activityTiming: { ...fastActivityTiming, stepRetryTimeout: '60s' } }),
      );
      const firstAttempt = await failedFirstAttempt(handle);
      workerA.signal('SIGKILL');
      await workerA.exited;

      // Worker B sends one AEP call a hundred seconds: the retry's look-up goes out, its create cannot before the
      // step's deadline, so the attempt ends "not sent" without any answer of its own (and is not retried).
      workerB = spawnTsx('src/worker.ts', [], { ...env, AEP_MAX_REQUESTS_PER_SECOND: '0.01' }, { runner: 'node' });
      const failure = await stepFailureOf(handle, 60_000);

      assert.equal(failure.step, 'base-connection');
      assert.equal(failure.status, 503);
      assert.equal(failure.code, 'FLOW-1103-503');
      assert.equal(failure.saidBy, 'AEP');
      assert.match(failure.detail ?? '', /^Service Unavailable \(simulated\)\. \(last attempt: not sent: waiting /);
      assert.match(
        failure.message,
        /^Provisioning failed at step 1 of 8 \(Base connection\): HTTP 503 FLOW-1103-503: /,
      );
      const lastAttempt = await lastStartedAttempt(handle);
      assert.ok(lastAttempt.attempt > 1, 'the step was retried');
      assert.notEqual(lastAttempt.identity, firstAttempt.identity, 'the retry ran on the other worker');
    } finally {
      await handle?.terminate('test over').catch(() => undefined);
      workerA.signal('SIGKILL');
      await workerB?.stop();
    }
  });
});

/**
 * Waits for the step's first attempt to have failed and for the steps that do not need it to have finished (so the
 * step is the only one worker B retries); returns the identity of the worker that ran it.
 */
async function failedFirstAttempt(handle: WorkflowHandle): Promise<{ identity: string }> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const pendingActivities = (await handle.describe()).raw.pendingActivities ?? [];
    const pending = pendingActivities.find((activity) => activity.activityType?.name === stepActivity);
    if (pending?.lastFailure && pendingActivities.length === 1) return { identity: pending.lastWorkerIdentity ?? '' };
    if (Date.now() > deadline) {
      throw new Error(`the first attempt of ${stepActivity} did not fail, alone, within 30 s`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** The step's failure as the workflow reports it (set before the rollback starts). */
async function stepFailureOf(handle: WorkflowHandle, timeoutMs: number): Promise<ProvisioningFailure> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const progress = await handle.query(progressQuery).catch(() => undefined);
    if (progress?.failure) return progress.failure;
    if (Date.now() > deadline) throw new Error(`the step did not fail within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** The attempt number and worker of the step's last attempt, as its history records them. */
async function lastStartedAttempt(handle: WorkflowHandle): Promise<{ attempt: number; identity: string }> {
  const history = await (await getTemporal()).client.workflow.getHandle(handle.workflowId).fetchHistory();
  const events = history.events ?? [];
  const scheduled = events.find(
    (event) => event.activityTaskScheduledEventAttributes?.activityType?.name === stepActivity,
  );
  const started = events.find(
    (event) =>
      scheduled !== undefined &&
      String(event.activityTaskStartedEventAttributes?.scheduledEventId) === String(scheduled.eventId),
  );
  return {
    attempt: started?.activityTaskStartedEventAttributes?.attempt ?? 0,
    identity: started?.activityTaskStartedEventAttributes?.identity ?? '',
  };
}
