/**
 * A worker takes an activity task only while its AEP calls wait little for their turn: the rest wait in Temporal's
 * queue, where a worker that joins takes them, instead of in one worker's pacer.
 */
import assert from 'node:assert/strict';
import { hostname } from 'node:os';
import type { WorkflowHandle } from '@temporalio/client';
import { temporal as proto } from '@temporalio/proto';
import { activitySlotsAdmittedByPace } from '../../src/temporal/activity-admission';
import { childProcessEnv } from '../harness/test-worker';
import { newScenario, startProvisioning, uniqueName, workflowInput } from './provisioning-fixtures';
import { spawnTsx, workflowBundleFile, type SpawnedProcess } from './spawned-process';

const { PENDING_ACTIVITY_STATE_STARTED: started, PENDING_ACTIVITY_STATE_SCHEDULED: scheduled } =
  proto.api.enums.v1.PendingActivityState;

describe('activity slots admitted by the pace of AEP calls', () => {
  const reserveContext = {
    slotType: 'activity',
    taskQueue: 'q',
    workerIdentity: 'w',
    workerBuildId: '',
    isSticky: false,
  } as const;

  it('issues a slot while the backlog is short, holds the reservation while it is long, and never more than the maximum', async () => {
    let backlogMs = 0;
    const slots = activitySlotsAdmittedByPace({
      maxSlots: 2,
      pace: () => ({ expectedWaitMs: backlogMs, requestsPerSecond: undefined }),
      recheckEveryMs: 10,
    });
    const aborted = new AbortController().signal;
    await slots.reserveSlot(reserveContext, aborted);
    backlogMs = 5_000;
    assert.equal(slots.tryReserveSlot(reserveContext), null, 'no eager task while calls queue for 5 s');
    let issued = false;
    const held = slots.reserveSlot(reserveContext, aborted).then(() => (issued = true));
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(issued, false, 'the poll waits while the backlog is long');
    backlogMs = 2_000;
    await held;
    assert.equal(slots.tryReserveSlot(reserveContext), null, 'both slots are taken');
    slots.releaseSlot({ permit: {} });
    assert.notEqual(slots.tryReserveSlot(reserveContext), null, 'a released slot is issued again');
  });

  it('counts each task just taken as a call about to queue: eager tasks come many at once, before any has called', () => {
    let nowMs = 0;
    const slots = activitySlotsAdmittedByPace({
      maxSlots: 100,
      pace: () => ({ expectedWaitMs: 0, requestsPerSecond: 2 }),
      now: () => nowMs,
    });
    const taken = Array.from({ length: 10 }, () => slots.tryReserveSlot(reserveContext)).filter(Boolean).length;
    assert.equal(taken, 6, 'six calls at 2/s are 3 s of backlog');
    nowMs = 1_000;
    assert.notEqual(slots.tryReserveSlot(reserveContext), null, 'a second later they count as queued (or sent)');
  });

  it('gives up a held reservation with an AbortError when the SDK aborts it', async () => {
    const slots = activitySlotsAdmittedByPace({
      maxSlots: 5,
      pace: () => ({ expectedWaitMs: 10_000, requestsPerSecond: 1 }),
      recheckEveryMs: 10,
    });
    const abort = new AbortController();
    const held = slots.reserveSlot(reserveContext, abort.signal);
    abort.abort();
    await assert.rejects(held, { name: 'AbortError' });
  });
});

describe('several worker processes, one slow organisation', function () {
  this.timeout(120_000);
  const workers: SpawnedProcess[] = [];
  const handles: WorkflowHandle[] = [];

  after(async () => {
    await Promise.all(handles.map((handle) => handle.terminate('test over').catch(() => undefined)));
    await Promise.all(workers.map((worker) => worker.stop()));
  });

  it("leaves steps in Temporal's queue while a worker's calls wait their turn, and a worker that joins takes them", async () => {
    const taskQueue = uniqueName('admission');
    // One AEP call a second: a step's calls soon wait longer than the few seconds a worker takes a task for.
    const env = {
      ...(await childProcessEnv(taskQueue)),
      WORKFLOW_BUNDLE_PATH: await workflowBundleFile(),
      AEP_MAX_REQUESTS_PER_SECOND: '1',
      LOG_LEVEL: 'INFO',
    };
    const first = spawnTsx('src/worker.ts', [], env, { runner: 'node' });
    workers.push(first);
    await first.waitForOutput(/worker started/, 60_000);

    // Sixteen provisionings schedule 32 first steps; the survey alone makes six calls.
    const timing = { activityTiming: { startToCloseTimeout: '60s', stepRetryTimeout: '2m' } } as const;
    for (let index = 0; index < 16; index += 1) {
      const scenario = { ...(await newScenario()), taskQueue };
      handles.push(await startProvisioning(scenario, workflowInput(scenario, timing)));
    }
    await new Promise((resolve) => setTimeout(resolve, 4_000));
    const held = await pendingSteps(handles);
    // Measured: 3 started, 29 in the queue; 25 started without admission. At most the ten polls the worker had
    // reserved slots for before any call queued, and the one eager task its first workflow task brought.
    assert.ok(held.started <= 11, `steps started on the first worker: ${held.started}`);
    assert.ok(held.scheduled >= 20, `steps left in Temporal's queue: ${held.scheduled}`);

    const second = spawnTsx('src/worker.ts', [], env, { runner: 'node' });
    workers.push(second);
    await second.waitForOutput(/worker started/, 60_000);
    const secondIdentity = `${second.child.pid}@${hostname()}`;
    const deadline = Date.now() + 30_000;
    for (;;) {
      const { identities } = await pendingSteps(handles);
      if (identities.has(secondIdentity)) break;
      if (Date.now() > deadline)
        throw new Error(`the second worker took no step in 30 s (${[...identities].join(', ')})`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  });
});

/** The provisionings' pending steps: how many a worker has started, how many wait in the queue, and on which workers. */
async function pendingSteps(
  handles: WorkflowHandle[],
): Promise<{ started: number; scheduled: number; identities: Set<string> }> {
  const counts = { started: 0, scheduled: 0, identities: new Set<string>() };
  for (const handle of handles) {
    for (const activity of (await handle.describe()).raw.pendingActivities ?? []) {
      if (activity.state === started) {
        counts.started += 1;
        counts.identities.add(activity.lastWorkerIdentity ?? '');
      }
      if (activity.state === scheduled) counts.scheduled += 1;
    }
  }
  return counts;
}
