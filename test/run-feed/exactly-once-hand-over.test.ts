/**
 * Exactly once, counted where a hand-over happens: the finished runs named in every `runUpdates` signal the
 * monitors' histories recorded, across every generation of every monitor (test/harness/run-update-signals.ts).
 * A monitor's own count cannot show a run handed on twice (it drops run ids it already settled); these counts do.
 * Each scenario ends with the same check against the simulator: every finished run of the sandbox named in exactly
 * one signal, none missing, none that did not finish.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createActivities } from '../../src/activities';
import { createAepClient } from '../../src/aep';
import {
  flowRunEventsSignal,
  type PushedRunEvent,
  type SandboxRunFeedInput,
} from '../../src/contracts/run-feed-messages';
import { runFeedWorkflowId } from '../../src/contracts/workflow-ids';
import { runFactsOf } from '../../src/events/run-facts';
import { sandboxRunFeed } from '../../src/workflows/sandbox-run-feed';
import {
  executionHistories,
  finishedRunIds,
  handOnCounts,
  handOnDiscrepancies,
  runUpdateSignals,
} from '../harness/run-update-signals';
import { asRunFeedAttempt } from '../harness/run-feed-attempt';
import { getTemporal } from '../harness/temporal';
import {
  childProcessEnv,
  simulatorAepSettings,
  startTestWorker,
  testSecretBox,
  type TestWorker,
} from '../harness/test-worker';
import { waitFor } from '../monitor/monitor-fixtures';
import { uniqueName } from '../provisioning/provisioning-fixtures';
import { spawnTsx, workflowBundleFile, type SpawnedProcess } from '../provisioning/spawned-process';
import { signalledAndLingering } from './lingering-hand-over-worker';
import { pushRunsOf, type PushedSandbox } from './pushed-sandbox';
import { finished, sandboxFleet, type SandboxFleet, type SimulatedRun } from './sandbox-fleet';

describe('run feed: each finished run handed to its monitor exactly once, counted at the signal level', function () {
  const fleets: SandboxFleet[] = [];
  const processes: SpawnedProcess[] = [];
  let worker: TestWorker | undefined;
  let pushed: PushedSandbox | undefined;

  afterEach(async function () {
    if (pushed) await fleets[0]?.admin.clearIoEventFaults();
    await pushed?.close();
    pushed = undefined;
    for (const fleet of fleets.splice(0)) await fleet.dispose();
    await worker?.stop();
    worker = undefined;
    for (const spawned of processes.splice(0)) await spawned.stop();
  });

  it('continues as new under a steady push, every run named in exactly one message, none missing', async function () {
    this.timeout(120_000);
    const taskQueue = uniqueName('once');
    const sandbox = uniqueName('once');
    worker = await startTestWorker({ taskQueue });
    // Looks every 3 s besides the push, and a budget of 60 history events: a generation lasts a few hand-overs.
    await startFeed(sandbox, taskQueue, { intervalMs: 3_000, continueAsNewAfterEvents: 60 });
    // Every start and end of the sandbox's runs is delivered, from the first run on: some twice, some out of order,
    // and some only after a look has handed their run on.
    pushed = await pushRunsOf(sandbox, taskQueue);
    const fleet = await sandboxFleet({ taskQueue, dataflows: 3, sandbox });
    fleets.push(fleet);
    const { registrationId } = pushed;
    await fleet.admin.setIoEventFaults(
      { kind: 'duplicate', times: 20, registrationId },
      { kind: 'reorder', times: 5, registrationId },
      { kind: 'delay', delayMs: 5_000, times: 10, registrationId, eventCode: 'sources_flow_run_success' },
    );

    // Each flow runs about every second: three runs end per second, each end pushed.
    await waitFor(
      'the feed to continue as new three times while runs are pushed',
      async () => {
        const feed = await fleet.feed();
        return feed.continuedAsNew >= 3 && feed.pushed.runsDelivered >= 30 ? feed : undefined;
      },
      60_000,
    );
    await fleet.stopRunning();
    await untilEveryRunNamed(fleet);
    await oneMoreLook(fleet);

    const feed = await fleet.feed();
    assert.ok(feed.continuedAsNew >= 3, `the feed continued as new (${feed.continuedAsNew} times)`);
    assert.ok(feed.pushed.runsDelivered >= 30, `push handed runs on (${feed.pushed.runsDelivered})`);
    assert.ok(feed.pushed.duplicates >= 1, 'duplicated deliveries reached the feed and were dropped');
    assert.equal(feed.listingErrors, 0);
    await assertEachRunNamedOnce(fleet);
  });

  it('signals once when a hand-over is retried with the same input after its attempt had signalled', async function () {
    const taskQueue = uniqueName('once');
    const sandbox = uniqueName('once');
    worker = await startTestWorker({ taskQueue });
    // The feed looks only in an hour and nothing is pushed to it: the test's own calls are the only hand-overs.
    await startFeed(sandbox, taskQueue, { intervalMs: 3_600_000 });
    const fleet = await sandboxFleet({ taskQueue, dataflows: 2, sandbox });
    fleets.push(fleet);
    await fleet.stopRunning();
    await endedRuns(fleet, 1);
    const { client } = await getTemporal();
    const aep = createAepClient(await simulatorAepSettings());
    try {
      const activities = createActivities({ aep, secrets: testSecretBox(), temporalClient: () => client });

      // Pushed ends, half with the run's metrics in the event (handed on as is), half without (read from AEP).
      const ended = finished(await fleet.runs());
      const events = ended.map((run, index) => endEvent(run, { withMetrics: index % 2 === 0 }));
      const handOver = { sandbox, events, followedIds: [] };
      const first = await asRunFeedAttempt(1, () => activities.deliverPushedRuns(handOver));
      // The attempt signalled, then its worker died: the retry runs the same input again.
      const retry = await asRunFeedAttempt(2, () => activities.deliverPushedRuns(handOver));
      assert.equal(first.monitorsSignalled, 2, 'both monitors were signalled');
      assert.deepEqual(retry.delivered, first.delivered, 'the retry hands on the same runs');
      await assertEachRunNamedOnce(fleet);

      // A look retried the same way: runs that ended since, listed with the pushed ones already handed on.
      await endedRuns(fleet, 1);
      // The look sees the sandbox as of its start, so a run that ends between the attempts changes nothing.
      const asOfMs = Date.now();
      const look = {
        sandbox,
        listFromMs: asOfMs - 15 * 60_000,
        pageSize: 500,
        followed: [],
        deliveredIds: first.delivered.map(([id]) => id),
        lookNow: [],
        asOfMs,
      };
      const listed = await asRunFeedAttempt(1, () => activities.deliverSandboxRuns(look));
      assert.equal(listed.delivered.length, fleet.members.length, 'the look handed on one new run per flow');
      // Between the attempts: a run of the first flow (started before the look's instant) ends, and a run of the
      // second flow starts and ends after it. A retry that saw them would signal both monitors anew.
      const [firstFlow, secondFlow] = fleet.members.map((member) => member.flowId);
      const endedLate = await fleet.admin.startRun(firstFlow!, asOfMs - 1_000);
      const startedLate = await fleet.admin.startRun(secondFlow!);
      await waitFor('the late runs to end', async () => {
        const ended = new Set(finished(await fleet.runs()).map((run) => run.id));
        return ended.has(endedLate.id) && ended.has(startedLate.id);
      });
      const retried = await asRunFeedAttempt(2, () => activities.deliverSandboxRuns(look));
      assert.deepEqual(retried.delivered, listed.delivered, 'the retry hands on what the first attempt did');
      assert.ok(
        retried.followed.some(([id]) => id === endedLate.id),
        'a run that ended after the look’s instant is still in progress for it',
      );
      assert.ok(!retried.followed.some(([id]) => id === startedLate.id), 'a later start waits for the next look');
      await assertHandedOnAtMostOnce(fleet);

      // The next look (a new instant) hands on the two late runs, once.
      await activities.deliverSandboxRuns({
        ...look,
        asOfMs: Date.now(),
        followed: retried.followed,
        deliveredIds: [...look.deliveredIds, ...retried.delivered.map(([id]) => id)],
      });
      await assertEachRunNamedOnce(fleet);
    } finally {
      await aep.close();
    }
  });

  it('hands each run on once when a worker is SIGKILLed right after a hand-over signalled; the other carries on', async function () {
    this.timeout(240_000);
    const taskQueue = uniqueName('once');
    const sandbox = uniqueName('once');
    const env = {
      ...(await childProcessEnv(taskQueue)),
      WORKFLOW_BUNDLE_PATH: await workflowBundleFile(),
      // Long enough to be killed in, far shorter than the hand-over's 30 s heartbeat timeout.
      HAND_OVER_LINGER_MS: '3000',
    };
    const workers = [0, 1].map(() =>
      spawnTsx('test/run-feed/lingering-hand-over-worker.ts', [], env, { runner: 'node' }),
    );
    processes.push(...workers);
    await Promise.all(workers.map((spawned) => spawned.waitForOutput(/worker started/, 60_000)));
    await startFeed(sandbox, taskQueue, { intervalMs: 3_000 });
    pushed = await pushRunsOf(sandbox, taskQueue);
    const fleet = await sandboxFleet({ taskQueue, dataflows: 3, sandbox });
    fleets.push(fleet);

    // The first hand-over that signalled a monitor: its worker dies before the activity reports back.
    const victim = await waitFor('a hand-over to signal', () =>
      workers.find((spawned) => spawned.output().includes(signalledAndLingering)),
    );
    victim.signal('SIGKILL');
    assert.notEqual(await victim.exited, 0);
    const killedAttemptRuns = /runs ([\w,-]+)\)/.exec(victim.output())![1]!.split(',');
    const survivor = workers.find((spawned) => spawned !== victim)!;
    const killedAtMs = Date.now();

    // After the heartbeat timeout (30 s) the attempt is retried on the other worker, runs ending all the while. The
    // PostgreSQL-backed server fires that timeout late under CI's load (once not within 90 s): 150 s, and if even
    // that passes, the feed's pending activities say where the retry stood.
    const { client } = await getTemporal();
    const feedId = runFeedWorkflowId(sandbox);
    const retried = await waitFor(
      'the killed hand-over to be retried and completed',
      async () => retriedHandOver(await executionHistories(client, feedId)),
      150_000,
      1_000,
    ).catch(async (error: Error) => {
      throw new Error(`${error.message}; pending on the feed: ${await pendingActivitiesOf(feedId)}`);
    });
    console.log(`      retried hand-over completed ${((Date.now() - killedAtMs) / 1000).toFixed(1)} s after the kill`);
    assert.match(retried.identity, new RegExp(`^${survivor.child.pid}@`), 'the retry ran on the other worker');
    // The feed carries on: it looks again after the retry.
    await oneMoreLook(fleet);
    await fleet.stopRunning();
    await untilEveryRunNamed(fleet);
    await oneMoreLook(fleet);

    const counts = await monitorCounts(fleet);
    for (const runId of killedAttemptRuns) {
      assert.equal(counts.get(runId), 1, `run ${runId} of the killed attempt (signalled, then retried) named once`);
    }
    const feed = await fleet.feed();
    assert.ok(Date.parse(feed.lastTickAt!) > killedAtMs, 'the feed looked after the kill');
    assert.ok(feed.pushed.runsDelivered >= 1);
    await assertEachRunNamedOnce(fleet);
  });

  it('drops a redelivered end older than anything the feed remembers, and counts it as a stale duplicate', async function () {
    const taskQueue = uniqueName('once');
    const sandbox = uniqueName('once');
    worker = await startTestWorker({ taskQueue });
    // A look every 3 s with an overlap of 2 s: the feed forgets a run it handed on a few seconds later.
    await startFeed(sandbox, taskQueue, { intervalMs: 3_000, overlapMs: 2_000 });
    const fleet = await sandboxFleet({ taskQueue, dataflows: 1, sandbox });
    fleets.push(fleet);
    const member = fleet.members[0]!;
    const { client } = await getTemporal();
    const monitors = [member.handle.workflowId];

    // A run a look handed on with others: a message naming it alone is not the same message again (which the
    // server would drop by its request id), so only the feed's own rule can keep it from the monitor.
    const old = await waitFor('a run handed on by a look, with others', async () => {
      const batch = (await runUpdateSignals(client, monitors))
        .map(({ update }) => finishedRunIds(update))
        .find((ids) => ids.length >= 2);
      return batch && finished(await fleet.runs()).find((run) => run.id === batch[0]);
    });
    const startedAtMs = old.metrics.durationSummary.startedAtUTC;
    const pastIt = await waitFor('the cursor less the overlap to pass its start', async () => {
      const feed = await fleet.feed();
      return feed.cursor !== undefined && Date.parse(feed.cursor) - feed.overlapMs > startedAtMs ? feed : undefined;
    });
    // The look that moved the cursor there (or the next one) no longer keeps its id.
    await waitFor('one more look', async () => (await fleet.feed()).ticks > pastIt.ticks);

    // The same end again, under an event id the feed has never seen (a redelivery from the journal, say).
    const feedHandle = client.workflow.getHandle(runFeedWorkflowId(sandbox));
    await feedHandle.signal(flowRunEventsSignal, { events: [endEvent(old, { withMetrics: true })] });
    const feed = await waitFor('the pushed end to be dealt with', async () => {
      const status = await fleet.feed();
      return status.pushed.staleDuplicates + status.pushed.runsDelivered >= 1 ? status : undefined;
    });
    assert.equal((await handOnCounts(client, monitors)).get(old.id), 1, 'no second message for the run');
    assert.equal(feed.pushed.staleDuplicates, 1, 'counted as a stale duplicate');
    assert.equal(feed.pushed.duplicates, 0, 'not recognised by event id or as remembered: the feed had forgotten it');

    await fleet.stopRunning();
    await untilEveryRunNamed(fleet);
    await assertEachRunNamedOnce(fleet);
  });
});

async function startFeed(
  sandbox: string,
  taskQueue: string,
  input: Omit<SandboxRunFeedInput, 'sandbox' | 'carriedState'>,
): Promise<void> {
  const { client } = await getTemporal();
  await client.workflow.start(sandboxRunFeed, {
    workflowId: runFeedWorkflowId(sandbox),
    taskQueue,
    args: [{ sandbox, ...input }],
  });
}

/** A run's end as the events receiver hands it to the feed: with the run's metrics when the event carries them. */
function endEvent(run: SimulatedRun, options: { withMetrics: boolean }): PushedRunEvent {
  const outcome = run.metrics.statusSummary.status === 'success' ? 'succeeded' : 'failed';
  const facts = options.withMetrics ? runFactsOf(run, outcome) : undefined;
  assert.ok(!options.withMetrics || facts, 'the simulated run has metrics an event would carry');
  return { eventId: randomUUID(), runId: run.id, flowId: run.flowId, outcome, ...(facts ? { run: facts } : {}) };
}

/** Starts `perFlow` runs of each flow (the flows are paused) and waits until they have ended. */
async function endedRuns(fleet: SandboxFleet, perFlow: number): Promise<void> {
  const started: string[] = [];
  for (const member of fleet.members) {
    for (let index = 0; index < perFlow; index += 1) started.push((await fleet.admin.startRun(member.flowId)).id);
  }
  await waitFor('the started runs to end', async () => {
    const ended = new Set(finished(await fleet.runs()).map((run) => run.id));
    return started.every((id) => ended.has(id));
  });
}

async function monitorCounts(fleet: SandboxFleet): Promise<Map<string, number>> {
  const { client } = await getTemporal();
  return handOnCounts(
    client,
    fleet.members.map((member) => member.handle.workflowId),
  );
}

/** Waits until every finished run of the sandbox is named in some `runUpdates` signal. */
async function untilEveryRunNamed(fleet: SandboxFleet): Promise<void> {
  let last: ReturnType<typeof handOnDiscrepancies> | undefined;
  try {
    await waitFor(
      'every finished run to be named in a runUpdates signal',
      async () => {
        const [counts, runs] = await Promise.all([monitorCounts(fleet), fleet.runs()]);
        last = handOnDiscrepancies(
          counts,
          finished(runs).map((run) => run.id),
        );
        return last.missing.length === 0;
      },
      30_000,
      500,
    );
  } catch (error) {
    throw new Error(`${(error as Error).message} (missing: ${JSON.stringify(last?.missing)})`);
  }
}

/** Every finished run of the sandbox in exactly one `runUpdates` signal; nothing else in any. */
async function assertEachRunNamedOnce(fleet: SandboxFleet): Promise<void> {
  const [counts, runs] = await Promise.all([monitorCounts(fleet), fleet.runs()]);
  const ended = finished(runs).map((run) => run.id);
  const { missing, twice, unexpected } = handOnDiscrepancies(counts, ended);
  assert.deepEqual(twice, [], `runs named in more than one message (of ${ended.length} finished)`);
  assert.deepEqual(missing, [], `finished runs named in no message (of ${ended.length})`);
  assert.deepEqual(unexpected, [], 'messages name only finished runs of the sandbox');
  assert.ok(ended.length > 0);
}

/** No finished run named in two messages (runs not handed on yet are allowed). */
async function assertHandedOnAtMostOnce(fleet: SandboxFleet): Promise<void> {
  const [counts, runs] = await Promise.all([monitorCounts(fleet), fleet.runs()]);
  const { twice } = handOnDiscrepancies(
    counts,
    finished(runs).map((run) => run.id),
  );
  assert.deepEqual(twice, [], 'runs named in more than one message');
}

/** Waits for a look that started after now to finish: a late second message would be in a history by then. */
async function oneMoreLook(fleet: SandboxFleet): Promise<void> {
  const ticks = (await fleet.feed()).ticks;
  await waitFor('the feed to look once more', async () => (await fleet.feed()).ticks >= ticks + 2, 30_000);
}

/** Each pending activity of a workflow: its attempt, state, last worker and last failure (for a late retry). */
async function pendingActivitiesOf(workflowId: string): Promise<string> {
  const { client } = await getTemporal();
  const { raw } = await client.workflow.getHandle(workflowId).describe();
  return JSON.stringify(
    (raw.pendingActivities ?? []).map((activity) => ({
      type: activity.activityType?.name,
      state: activity.state,
      attempt: activity.attempt,
      lastWorker: activity.lastWorkerIdentity,
      lastStartedSecondsAgo: Date.now() / 1000 - Number(activity.lastStartedTime?.seconds ?? 0),
      lastFailure: activity.lastFailure?.message,
    })),
  );
}

/**
 * In the feed's histories, a hand-over of pushed runs that completed on a later attempt (its first died with its
 * worker): the identity of the worker that ran the attempt that completed.
 */
function retriedHandOver(
  histories: Awaited<ReturnType<typeof executionHistories>>,
): { identity: string; attempt: number } | undefined {
  for (const { events } of histories) {
    const handOvers = new Set(
      events
        .filter((event) => event.activityTaskScheduledEventAttributes?.activityType?.name === 'deliverPushedRuns')
        .map((event) => String(event.eventId)),
    );
    for (const event of events) {
      const started = event.activityTaskStartedEventAttributes;
      if (!started || !handOvers.has(String(started.scheduledEventId)) || (started.attempt ?? 1) < 2) continue;
      const completed = events.some(
        (other) => String(other.activityTaskCompletedEventAttributes?.startedEventId) === String(event.eventId),
      );
      if (completed) return { identity: started.identity ?? '', attempt: started.attempt ?? 0 };
    }
  }
  return undefined;
}
