/**
 * Issue 9, item 2: the production-shaped Temporal server (PostgreSQL-backed, scripts/temporal-production.sh) is
 * SIGKILLed, or its PostgreSQL is, while a provisioning, a rollback, a token rotation or a teardown has a step in
 * flight, then restarted. The simulator holds that step's AEP call, so the crash lands while AEP is handling it,
 * and the call is answered while Temporal is still down: the worker's report of the step meets the crash.
 *
 * Each operation must finish as if nothing happened: exactly one of each resource (none after a rollback or a
 * teardown), no alert delivered twice, and the CLI that was following ends with the outcome, or with exit 3 saying
 * it lost Temporal and how to look again. The last tests keep the server down longer than the CLI retries, so the
 * CLI must take the second way.
 *
 * Run with TEMPORAL_TEST_SERVER=production; without it every test fails in `before`.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WorkflowFailedError } from '@temporalio/client';
import { exitCodes } from '../../src/runtime/command-io';
import { provisioningFailureOf } from '../../src/cli/provision-command';
import type { provisionDataflow } from '../../src/workflows/provision-dataflow';
import { monitorWorkflowId, provisionWorkflowId } from '../../src/contracts/workflow-ids';
import type { ProductionTemporal } from '../harness/production-temporal';
import { getSimulator } from '../harness/simulator';
import { getTemporal } from '../harness/temporal';
import { getWorkflowBundle, startTestWorker } from '../harness/test-worker';
import { monitoredDataflow, startAlertReceiver, waitFor, type MonitoredDataflow } from '../monitor/monitor-fixtures';
import {
  exactlyOneOfEach,
  fastActivityTiming,
  newScenario,
  noneOfAny,
  resourceCounts,
  simulatorAdmin,
  type Scenario,
} from '../provisioning/provisioning-fixtures';
import {
  answeredCalls,
  assertNoDuplicateAlerts,
  assertNoStackTrace,
  assertOutcomeOrLostTemporal,
  crashTargetNames,
  crashTargets,
  failRunsUntilAlerted,
  holdNextCall,
  provisionWithCli,
  requireProductionTemporal,
  secretFingerprint,
  spawnCli,
  stopMonitoring,
  waitUntil,
  whileCrashed,
  type CliResult,
  type CrashTarget,
  type HeldCall,
} from './restart-fixtures';

/** Long enough for the SIGKILL (about 2 s with the script's checks) to land before AEP answers. */
const midStepHoldMs = 4_000;
/**
 * Longer than the CLI keeps retrying a lost Temporal (about 20 s of gRPC retries), shorter than the AEP client's
 * 30 s request timeout: the call is answered after the server is back, so the worker's report reaches it.
 */
const beyondCliRetriesHoldMs = 27_000;

const createDataset = { method: 'POST', path: '^/data/foundation/catalog/dataSets(\\?|$)' };
const createDatasetPath = /^\/data\/foundation\/catalog\/dataSets$/;
const deleteDataset = { method: 'DELETE', path: '^/data/foundation/catalog/dataSets/' };
const refuseFlowCreate = {
  method: 'POST',
  path: '^/data/foundation/flowservice/flows(\\?|$)',
  status: 400,
  times: 1,
};

function provisioningHandle(scenario: Scenario) {
  return getTemporal().then(({ client }) =>
    client.workflow.getHandle<typeof provisionDataflow>(provisionWorkflowId(scenario.sandbox, scenario.name)),
  );
}

/** What `provision` prints when Temporal goes away while it follows (src/cli/provision-command.ts). */
function provisionLostTemporal(scenario: Scenario) {
  const workflowId = provisionWorkflowId(scenario.sandbox, scenario.name);
  return {
    lost: new RegExp(`^Lost Temporal while following ${workflowId}: `, 'm'),
    lookAgain: /It may still be running: run this command again to follow it\.\nWeb UI: http\S+/,
  };
}

/** A monitor verb that lost Temporal must say so, and name how to see what became of the request. */
function monitorVerbLostTemporal(target: string) {
  return {
    lost: /Lost Temporal while waiting for dataflow:\S+ to answer/,
    lookAgain: new RegExp(`status ${target}|run this command again`),
  };
}

function tokenFileWith(token: string): string {
  const file = join(mkdtempSync(join(tmpdir(), 'rotate-')), 'token');
  writeFileSync(file, `${token}\n`, { mode: 0o600 });
  return file;
}

/** Waits for the held call to be answered while the target is down: the step's report then meets the crash. */
async function answeredWhileDown(held: HeldCall, target: CrashTarget): Promise<void> {
  assert.equal(
    await held.answered(),
    false,
    `the crash landed while AEP was still handling ${held.method} ${held.path}`,
  );
  await waitUntil(`AEP to answer ${held.method} ${held.path} while ${crashTargetNames[target]} is down`, () =>
    held.answered(),
  );
}

/** Resolves with the CLI's result, or fails if it is still running after `timeoutMs` (it would hang). */
async function exitWithin(cli: Promise<CliResult>, timeoutMs: number, what: string): Promise<CliResult> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} still runs ${timeoutMs} ms after the server died`)), timeoutMs);
  });
  try {
    return await Promise.race([cli, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

describe('production Temporal: SIGKILL and restart in the middle of an operation', function () {
  let production: ProductionTemporal;

  before(async function () {
    this.timeout(240_000);
    production = await requireProductionTemporal();
    // Built once per run, so that no test spends its time on webpack or on starting the simulator.
    await Promise.all([getWorkflowBundle(), getSimulator()]);
  });

  afterEach(async () => {
    await (await simulatorAdmin()).clearFaults();
  });

  for (const target of crashTargets) {
    const who = crashTargetNames[target];

    describe(`${who} SIGKILLed`, function () {
      let dataflow: MonitoredDataflow | undefined;

      afterEach(async () => {
        await dataflow?.dispose();
        dataflow = undefined;
      });

      it(`finishes a provisioning with exactly one of each resource when ${who} is SIGKILLed mid-step and restarted`, async function () {
        this.timeout(90_000);
        const alerts = await startAlertReceiver();
        const scenario = await newScenario({ alerts: { webhookUrl: alerts.url } });
        const worker = await startTestWorker({ taskQueue: scenario.taskQueue });
        try {
          const admin = await simulatorAdmin();
          const startedAt = Date.now();
          // Its runs fail, so the monitor it starts has something to alert.
          await admin.failRuns(scenario.sandbox, 1);
          const held = await holdNextCall(admin, scenario.sandbox, { ...createDataset, delayMs: midStepHoldMs });
          const cli = provisionWithCli(scenario);
          await held.waitUntilHeld();

          await whileCrashed(production, target, () => answeredWhileDown(held, target));

          const followed = await cli;
          const ending = assertOutcomeOrLostTemporal(followed, {
            exitCode: exitCodes.ok,
            outcome: new RegExp(`^Dataflow consent is provisioned in sandbox ${scenario.sandbox} `, 'm'),
            ...provisionLostTemporal(scenario),
          });
          if (ending === 'lost-temporal') {
            // As it says: run the command again, which follows the same provisioning to its end.
            const again = await provisionWithCli(scenario);
            assert.equal(again.exitCode, exitCodes.ok, again.stderr);
            assertNoStackTrace(again);
          }

          const result = await (await provisioningHandle(scenario)).result();
          assert.equal(result.created.length, 7, `every step created its resource: ${JSON.stringify(result)}`);
          assert.deepEqual(await resourceCounts(scenario.sandbox), exactlyOneOfEach);
          const creates = await answeredCalls(admin, scenario.sandbox, 'POST', createDatasetPath, startedAt);
          assert.equal(creates.length, 1, 'AEP was asked to create the dataset once');
          const { client } = await getTemporal();
          const monitor = await client.workflow
            .getHandle(monitorWorkflowId(scenario.sandbox, scenario.name))
            .describe();
          assert.equal(monitor.status.name, 'RUNNING', 'the monitor watches the dataflow');
          await waitFor('the monitor’s run-failed alert', () => alerts.ofKind('run-failed').length > 0, 30_000);
          assertNoDuplicateAlerts(alerts, ['run-failed']);
        } finally {
          await stopMonitoring(scenario.sandbox, scenario.name);
          await worker.stop();
          await alerts.close();
        }
      });

      it(`completes a rollback leaving nothing behind when ${who} is SIGKILLed mid-compensation and restarted`, async function () {
        this.timeout(90_000);
        const alerts = await startAlertReceiver();
        const scenario = await newScenario({ alerts: { webhookUrl: alerts.url } });
        const worker = await startTestWorker({ taskQueue: scenario.taskQueue });
        try {
          const admin = await simulatorAdmin();
          // Step 8 is refused for good, so every earlier step is rolled back; the dataset's delete is held.
          await admin.addFault(refuseFlowCreate);
          const held = await holdNextCall(admin, scenario.sandbox, { ...deleteDataset, delayMs: midStepHoldMs });
          const cli = provisionWithCli(scenario);
          await held.waitUntilHeld();

          await whileCrashed(production, target, () => answeredWhileDown(held, target));

          const followed = await cli;
          const ending = assertOutcomeOrLostTemporal(followed, {
            exitCode: exitCodes.failed,
            outcome: /^Provisioning failed at step 8 of 8 \(Dataflow\): HTTP 400 [\s\S]*^Rolled back: .*dataset /m,
            ...provisionLostTemporal(scenario),
          });
          if (ending === 'outcome') assert.doesNotMatch(followed.stderr, /LEFT BEHIND/);

          const error = await (await provisioningHandle(scenario)).result().then(
            () => assert.fail('the provisioning succeeded although its last step was refused'),
            (reason: unknown) => reason,
          );
          assert.ok(error instanceof WorkflowFailedError, String(error));
          const failure = provisioningFailureOf(error);
          assert.ok(failure, `a ProvisioningFailure: ${error.message}`);
          assert.equal(failure.step, 'dataflow');
          assert.deepEqual(failure.leftBehind, []);
          assert.ok(
            failure.rolledBack.some((entry) => entry.startsWith('dataset ')),
            `the held delete is among what was rolled back: ${JSON.stringify(failure.rolledBack)}`,
          );
          assert.deepEqual(await resourceCounts(scenario.sandbox), noneOfAny, 'nothing is left behind');
          // Provisioning itself never alerts, and a rolled-back one starts no monitor that could.
          assert.deepEqual(alerts.received, [], 'a rolled-back provisioning alerted');
        } finally {
          await worker.stop();
          await alerts.close();
        }
      });

      it(`rotates the token once, with one token-rotated alert, when ${who} is SIGKILLed mid-rotation and restarted`, async function () {
        this.timeout(90_000);
        dataflow = await monitoredDataflow();
        const { admin, alerts, sandbox } = dataflow;
        await failRunsUntilAlerted(admin, sandbox, alerts);
        const { baseConnectionId } = dataflow.provisioned.ids;
        const freshToken = (await admin.mintOneTrustToken(90 * 24 * 3600)).access_token;
        const startedAt = Date.now();
        const held = await holdNextCall(admin, sandbox, {
          method: 'PATCH',
          path: `/flowservice/connections/${baseConnectionId}(\\?|$)`,
          delayMs: midStepHoldMs,
        });
        const cli = spawnCli(dataflow.scenario.taskQueue, [
          'rotate-token',
          dataflow.target,
          '--token-file',
          tokenFileWith(freshToken),
        ]);
        await held.waitUntilHeld();

        await whileCrashed(production, target, () => answeredWhileDown(held, target));

        const followed = await cli;
        assertOutcomeOrLostTemporal(followed, {
          exitCode: exitCodes.ok,
          outcome: /token rotated on request: expires /,
          ...monitorVerbLostTemporal(dataflow.target),
        });
        assert.ok(!followed.stdout.includes(freshToken), 'the CLI never prints the token');

        const status = await dataflow.waitForStatus('the rotation recorded as done', (current) =>
          current.recentActions.some((action) => action.kind === 'rotateToken' && action.ok),
        );
        assert.ok(Date.parse(status.token.expiresAt) > Date.now() + 89 * 24 * 3600_000, 'the new expiry is recorded');
        const connection = (await admin.resources(sandbox)).connections!.find((c) => c.id === baseConnectionId);
        assert.equal(
          (connection?.secretFingerprints as Record<string, string> | undefined)?.accessToken,
          secretFingerprint(freshToken),
          'the base connection holds the new token',
        );
        const patches = await answeredCalls(admin, sandbox, 'PATCH', new RegExp(baseConnectionId), startedAt);
        assert.deepEqual(
          patches.map((entry) => entry.status),
          [200],
          'the base connection was PATCHed once',
        );
        await waitFor('the token-rotated alert', () => alerts.ofKind('token-rotated').length > 0);
        assert.equal(alerts.ofKind('token-rotated').length, 1, 'the rotation is alerted once');
        assertNoDuplicateAlerts(alerts, ['run-failed', 'token-rotated']);
      });

      it(`tears a dataflow down completely, monitor ended, when ${who} is SIGKILLed mid-teardown and restarted`, async function () {
        this.timeout(90_000);
        dataflow = await monitoredDataflow();
        const { admin, alerts, sandbox } = dataflow;
        await failRunsUntilAlerted(admin, sandbox, alerts);
        const held = await holdNextCall(admin, sandbox, {
          method: 'DELETE',
          path: `/flowservice/flows/${dataflow.provisioned.ids.flowId}(\\?|$)`,
          delayMs: midStepHoldMs,
        });
        const cli = spawnCli(dataflow.scenario.taskQueue, ['teardown', dataflow.target]);
        await held.waitUntilHeld();

        await whileCrashed(production, target, () => answeredWhileDown(held, target));

        const followed = await cli;
        assertOutcomeOrLostTemporal(followed, {
          exitCode: exitCodes.ok,
          outcome: /torn down: \d deleted, \d already gone, 0 kept/,
          ...monitorVerbLostTemporal(dataflow.target),
        });

        const result = await dataflow.handle.result();
        assert.equal(result.state, 'torn-down');
        const { deleted, alreadyGone } = result.teardown.details as { deleted: string[]; alreadyGone: string[] };
        assert.equal(deleted.length + alreadyGone.length, 8, JSON.stringify(result.teardown.details));
        assert.match(deleted[0] ?? '', /^flow /, 'the flow went first');
        assert.deepEqual(await resourceCounts(sandbox), noneOfAny, 'nothing is left');
        assertNoDuplicateAlerts(alerts, ['run-failed']);
      });
    });
  }

  describe('the Temporal server down for longer than the CLI retries', function () {
    let dataflow: MonitoredDataflow | undefined;

    afterEach(async () => {
      await dataflow?.dispose();
      dataflow = undefined;
    });

    it('provision exits 3 saying it lost Temporal; run again, it follows the same provisioning to exactly one of each', async function () {
      this.timeout(240_000);
      const scenario = await newScenario();
      const worker = await startTestWorker({ taskQueue: scenario.taskQueue });
      try {
        const admin = await simulatorAdmin();
        const startedAt = Date.now();
        // A short hold: the create is answered while the server is down, so its report is lost and the step is
        // retried after its 15 s start-to-close timeout (fastActivityTiming), finding the dataset it made.
        const held = await holdNextCall(admin, scenario.sandbox, { ...createDataset, delayMs: 3_000 });
        // Each step's retry window outlasts the outage (the CLI's 20 s of retries, then a PostgreSQL-backed server's
        // restart, slow when the machine is busy), as production's ten minutes do: the provisioning must go on.
        const timing = { ...fastActivityTiming, stepRetryTimeout: '150s', compensationRetryTimeout: '150s' } as const;
        const cli = provisionWithCli(scenario, timing);
        await held.waitUntilHeld();

        const followed = await whileCrashed(production, 'server', () => exitWithin(cli, 45_000, 'provision'));

        const again = await provisionWithCli(scenario, timing);
        const timeline = again.exitCode === exitCodes.ok ? '' : await stepTimeline(scenario);
        assert.equal(again.exitCode, exitCodes.ok, `${again.stdout}\n${again.stderr}\n${timeline}`);
        assert.match(
          again.stdout,
          new RegExp(`Dataflow consent (is provisioned|already exists) in sandbox ${scenario.sandbox}`),
        );
        assertNoStackTrace(again);
        assert.deepEqual(await resourceCounts(scenario.sandbox), exactlyOneOfEach);
        const creates = await answeredCalls(admin, scenario.sandbox, 'POST', createDatasetPath, startedAt);
        // Seen once under CI load (2 creates): say when each came and how the dataset step's attempts went.
        const attempts = creates.length === 1 ? '' : await stepTimeline(scenario, 'ensureDatasetAndTargetConnection');
        assert.equal(
          creates.length,
          1,
          `AEP was asked to create the dataset once (${creates.map((c) => `${c.time} ${c.status}`).join(', ')}; ${attempts})`,
        );

        assert.equal(followed.exitCode, exitCodes.unavailable, `${followed.stdout}\n${followed.stderr}`);
        const { lost, lookAgain } = provisionLostTemporal(scenario);
        assert.match(followed.stderr, lost);
        assert.match(followed.stderr, lookAgain);
        assertNoStackTrace(followed);
      } finally {
        await stopMonitoring(scenario.sandbox, scenario.name);
        await worker.stop();
      }
    });

    it('rotate-token exits 3 saying it lost Temporal and how to look; the rotation still completes once', async function () {
      this.timeout(120_000);
      dataflow = await monitoredDataflow();
      const { admin, alerts, sandbox } = dataflow;
      await failRunsUntilAlerted(admin, sandbox, alerts);
      const { baseConnectionId } = dataflow.provisioned.ids;
      const freshToken = (await admin.mintOneTrustToken(90 * 24 * 3600)).access_token;
      const startedAt = Date.now();
      const held = await holdNextCall(admin, sandbox, {
        method: 'PATCH',
        path: `/flowservice/connections/${baseConnectionId}(\\?|$)`,
        delayMs: beyondCliRetriesHoldMs,
      });
      const cli = spawnCli(dataflow.scenario.taskQueue, [
        'rotate-token',
        dataflow.target,
        '--token-file',
        tokenFileWith(freshToken),
      ]);
      await held.waitUntilHeld();

      const followed = await whileCrashed(production, 'server', async () => {
        const result = await exitWithin(cli, 45_000, 'rotate-token');
        assert.equal(await held.answered(), false, 'the server restarts before AEP answers the held PATCH');
        return result;
      });

      const status = await dataflow.waitForStatus(
        'the rotation recorded as done after the restart',
        (current) => current.recentActions.some((action) => action.kind === 'rotateToken' && action.ok),
        30_000,
      );
      const patches = await answeredCalls(admin, sandbox, 'PATCH', new RegExp(baseConnectionId), startedAt);
      assert.deepEqual(
        patches.map((entry) => entry.status),
        [200],
        'the base connection was PATCHed once',
      );
      await waitFor('the token-rotated alert', () => alerts.ofKind('token-rotated').length > 0);
      assert.equal(alerts.ofKind('token-rotated').length, 1);
      assertNoDuplicateAlerts(alerts, ['run-failed', 'token-rotated']);
      // Looking again with `status` shows the new token in place.
      const looked = await spawnCli(dataflow.scenario.taskQueue, ['status', dataflow.target]);
      assert.equal(looked.exitCode, exitCodes.ok, looked.stdout);
      assert.ok(looked.stdout.includes(`expires ${status.token.expiresAt}`), looked.stdout);
      assert.match(looked.stdout, /last alert\s+\[token-rotated\]/);

      assert.equal(followed.exitCode, exitCodes.unavailable, followed.stdout);
      assertNoStackTrace(followed);
      const { lost, lookAgain } = monitorVerbLostTemporal(dataflow.target);
      assert.match(followed.stdout, lost, `rotate-token says it lost Temporal:\n${followed.stdout}`);
      assert.match(followed.stdout, lookAgain, `rotate-token says how to look again:\n${followed.stdout}`);
    });

    it('teardown exits 3 saying it lost Temporal and how to look; the teardown still completes', async function () {
      this.timeout(120_000);
      dataflow = await monitoredDataflow();
      const { admin, alerts, sandbox } = dataflow;
      await failRunsUntilAlerted(admin, sandbox, alerts);
      const held = await holdNextCall(admin, sandbox, {
        method: 'DELETE',
        path: `/flowservice/flows/${dataflow.provisioned.ids.flowId}(\\?|$)`,
        delayMs: beyondCliRetriesHoldMs,
      });
      const cli = spawnCli(dataflow.scenario.taskQueue, ['teardown', dataflow.target]);
      await held.waitUntilHeld();

      const followed = await whileCrashed(production, 'server', async () => {
        const result = await exitWithin(cli, 45_000, 'teardown');
        assert.equal(await held.answered(), false, 'the server restarts before AEP answers the held DELETE');
        return result;
      });

      const result = await dataflow.handle.result();
      assert.equal(result.state, 'torn-down');
      assert.deepEqual(await resourceCounts(sandbox), noneOfAny, 'nothing is left');
      assertNoDuplicateAlerts(alerts, ['run-failed']);
      // Looking again with `status`: the ended monitor still answers, with the state it ended in.
      const looked = await spawnCli(dataflow.scenario.taskQueue, ['status', dataflow.target]);
      assert.equal(looked.exitCode, exitCodes.ok, looked.stdout);
      assert.match(looked.stdout, new RegExp(`^${dataflow.target}: torn-down$`, 'm'));

      assert.equal(followed.exitCode, exitCodes.unavailable, followed.stdout);
      assertNoStackTrace(followed);
      const { lost, lookAgain } = monitorVerbLostTemporal(dataflow.target);
      assert.match(followed.stdout, lost, `teardown says it lost Temporal:\n${followed.stdout}`);
      assert.match(followed.stdout, lookAgain, `teardown says how to look again:\n${followed.stdout}`);
    });
  });
});

/** The dataset step's activity events in the provisioning's history: when each was scheduled, started (attempt), ended. */
/** When each step's attempts were scheduled, started and ended, with how they failed: for a failed assertion's message. */
async function stepTimeline(scenario: Scenario, activityType?: string): Promise<string> {
  const { client } = await getTemporal();
  const history = await client.workflow.getHandle(provisionWorkflowId(scenario.sandbox, scenario.name)).fetchHistory();
  const scheduledTypes = new Map<string, string>();
  const lines: string[] = [];
  for (const event of history.events ?? []) {
    const at = new Date(Number(event.eventTime?.seconds ?? 0) * 1000 + (event.eventTime?.nanos ?? 0) / 1e6);
    const scheduled = event.activityTaskScheduledEventAttributes;
    const name = scheduled?.activityType?.name;
    if (name && (activityType === undefined || name === activityType)) {
      scheduledTypes.set(String(event.eventId), name);
      lines.push(`${name} scheduled ${at.toISOString()}`);
    }
    const started = event.activityTaskStartedEventAttributes;
    const startedType = started && scheduledTypes.get(String(started.scheduledEventId));
    if (startedType) lines.push(`${startedType} started ${at.toISOString()} attempt ${started.attempt}`);
    const ended =
      event.activityTaskCompletedEventAttributes ??
      event.activityTaskFailedEventAttributes ??
      event.activityTaskTimedOutEventAttributes;
    const endedType = ended && scheduledTypes.get(String(ended.scheduledEventId));
    if (endedType) {
      const failure = event.activityTaskFailedEventAttributes ?? event.activityTaskTimedOutEventAttributes;
      const retryState = failure?.retryState;
      lines.push(
        `${endedType} ended ${at.toISOString()}` +
          (failure ? ` (${failure.failure?.message ?? ''}; retry state ${String(retryState)})` : ''),
      );
    }
  }
  return lines.join('\n');
}
