/**
 * Bounded history: the monitor continues as new (forced here by a low event threshold), carries its state over
 * intact, and processes every signal sent while that happens. Also measures how much history one run costs.
 */
import assert from 'node:assert/strict';
import { defaultPayloadConverter } from '@temporalio/common';
import { Worker } from '@temporalio/worker';
import { createKeyringSecretBox, generateSecretsKeyPair } from '../../src/secrets';
import type { DataflowMonitorInput } from '../../src/contracts/monitor-messages';
import { pauseSignal, updateDataflowSignal } from '../../src/contracts/monitor-messages';
import { DataflowName, DataflowSandbox, DataflowState } from '../../src/contracts/search-attributes';
import { getTemporal } from '../harness/temporal';
import { getWorkflowBundle, testSecretBox } from '../harness/test-worker';
import { monitoredDataflow, sleep, waitFor, type MonitoredDataflow } from './monitor-fixtures';

describe('dataflow monitor: continue-as-new', function () {
  let dataflow: MonitoredDataflow | undefined;

  afterEach(async function () {
    await dataflow?.dispose();
    dataflow = undefined;
  });

  it('continues as new with its state intact, and no signal sent around it is lost', async function () {
    const threshold = 60;
    dataflow = await monitoredDataflow({ monitorInput: { continueAsNewAfterEvents: threshold } });
    const before = await dataflow.waitForStatus(
      'a first continue-as-new, with runs seen',
      (status) => status.continuedAsNew >= 1 && status.lastRuns.some((run) => run.outcome === 'success'),
      40_000,
    );

    // A stream of signals, one every 400 ms: continue-as-new happens in the middle of it.
    await dataflow.handle.signal(pauseSignal);
    const signals = 8;
    for (let index = 0; index < signals; index += 1) {
      await dataflow.handle.signal(updateDataflowSignal, { description: `description ${index}` });
      await sleep(400);
    }
    const lastDescription = `description ${signals - 1}`;
    await waitFor('the last description on the flow', async () => {
      const flows = (await dataflow!.admin.resources(dataflow!.sandbox)).flows as unknown as Array<{
        description: string;
      }>;
      return flows[0]!.description.startsWith(lastDescription) ? true : undefined;
    });
    const after = await dataflow.waitForStatus('no work left', (status) => status.pendingWork.length === 0);

    assert.ok(after.continuedAsNew > before.continuedAsNew, 'it continued as new while the signals arrived');
    assert.equal(after.monitoringSince, before.monitoringSince, 'the same monitor, carried over');
    assert.equal(after.state, 'paused', 'the pause sent before the continue-as-new still holds');
    assert.deepEqual(
      after.recentActions.map((action) => `${action.kind}:${action.ok}`),
      [...Array.from({ length: signals }, () => 'updateDataflow:true'), 'pause:true'],
      'every signal was done, in order, and the record of them survived',
    );
    assert.ok(after.lastRuns.length >= before.lastRuns.length, 'the runs seen are carried over');
    // Started by hand (not by provisioning), it made itself findable, and the new generations kept that.
    const attributes = (await dataflow.handle.describe()).typedSearchAttributes;
    assert.equal(attributes.get(DataflowSandbox), dataflow.sandbox);
    assert.equal(attributes.get(DataflowName), dataflow.name);
    assert.equal(attributes.get(DataflowState), 'paused');

    const { client } = await getTemporal();
    const generations: Array<{ status: string; historyLength: number }> = [];
    for await (const execution of client.workflow.list({ query: `WorkflowId = '${dataflow.handle.workflowId}'` })) {
      generations.push({ status: execution.status.name, historyLength: execution.historyLength });
    }
    const closed = generations.filter((generation) => generation.status === 'CONTINUED_AS_NEW');
    assert.ok(closed.length >= 2, JSON.stringify(generations));
    for (const generation of closed) {
      assert.ok(generation.historyLength <= threshold + 60, `a generation grew to ${generation.historyLength} events`);
    }

    const updateEvents = await waitFor('the history of all generations', async () => {
      let processed = 0;
      for await (const execution of client.workflow.list({ query: `WorkflowId = '${dataflow!.handle.workflowId}'` })) {
        const history = await client.workflow.getHandle(execution.workflowId, execution.runId).fetchHistory();
        processed += (history.events ?? []).filter(
          (event) => event.activityTaskScheduledEventAttributes?.activityType?.name === 'updateFlowSettings',
        ).length;
      }
      return processed >= signals ? processed : undefined;
    });
    assert.equal(updateEvents, signals, 'each signal was done exactly once, across generations');
  });

  it('has its state in the Web UI’s current details from the first task after a continue-as-new', async function () {
    dataflow = await monitoredDataflow({ monitorInput: { continueAsNewAfterEvents: 60 } });
    await dataflow.waitForStatus('a continue-as-new', (status) => status.continuedAsNew >= 1, 40_000);
    const { client } = await getTemporal();
    const { runId, raw } = await dataflow.handle.describe();
    const run = client.workflow.getHandle(dataflow.handle.workflowId, runId);
    // The status can answer before the new run's first task is recorded complete (seen on PostgreSQL under load).
    await waitFor('the continued run’s first workflow task', async () =>
      ((await run.fetchHistory()).events ?? []).some((event) => event.workflowTaskCompletedEventAttributes),
    );
    // What the UI reads: the built-in metadata query, answered by the worker for this run.
    const metadata = await run.query<{ currentDetails?: string }>('__temporal_workflow_metadata');
    assert.match(metadata.currentDetails ?? '', new RegExp(`^### ${dataflow.sandbox}/consent: \\*\\*\\w`));
    assert.match(metadata.currentDetails ?? '', /continued as new \d+× .*Summary and Details belong to its first run/);
    // SDK 1.24 gives a continued run no start-time summary: the current details are where its state is.
    assert.equal(raw.executionConfig?.userMetadata?.summary ?? undefined, undefined);
  });

  it('re-seals the secrets it carries with the worker’s newest key when it continues as new', async function () {
    // The worker's keyring has a key newer than the legacy one the CLI sealed this dataflow's secrets with.
    const worker = createKeyringSecretBox({ keyring: [generateSecretsKeyPair()], legacy: testSecretBox() });
    dataflow = await monitoredDataflow({ monitorInput: { continueAsNewAfterEvents: 60 }, workerSecrets: worker });
    assert.match(dataflow.descriptor.oneTrust.token.sealed, /^v1\./, 'sealed with the legacy key to begin with');

    await dataflow.waitForStatus('a continue-as-new', (status) => status.continuedAsNew >= 1, 40_000);
    const history = await dataflow.handle.fetchHistory(); // the newest run's
    const started = history.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0];
    const input = defaultPayloadConverter.fromPayload<DataflowMonitorInput>(started!);
    const carried = input.carriedState!.dataflow;
    const newest = new RegExp(`^v2\\.${worker.keyId}\\.`);
    assert.match(carried.oneTrust.token.sealed, newest);
    const webhookUrl = carried.alerts?.webhookUrl;
    assert.ok(typeof webhookUrl === 'object' && newest.test(webhookUrl.sealed), JSON.stringify(webhookUrl));
    assert.equal(worker.open(carried.oneTrust.token), dataflow.token, 'the same token, sealed anew');
    assert.equal((await dataflow.status()).state, 'healthy');
  });

  it('adds four history events per message from the run feed, and no timer churn', async function () {
    dataflow = await monitoredDataflow();
    await dataflow.waitForStatus('six runs handed over', (status) => status.counts.runsLearned >= 6, 30_000);
    const history = await dataflow.handle.fetchHistory();
    const events = history.events ?? [];
    const messageIndexes = events
      .map((event, index) => (event.workflowExecutionSignaledEventAttributes?.signalName === 'runUpdates' ? index : -1))
      .filter((index) => index >= 0);
    const gaps = messageIndexes.slice(1).map((index, position) => index - messageIndexes[position]!);
    // A message that raises no alert: the signal and one workflow task (scheduled, started, completed). The
    // monitor's timer (next reconcile, token calendar) is left running: no TimerCanceled/TimerStarted pairs.
    assert.ok(gaps.filter((gap) => gap === 4).length >= 3, `events between messages: ${gaps.join(', ')}`);
    assert.equal(Math.min(...gaps), 4, `events between messages: ${gaps.join(', ')}`);
    const timersStarted = events.filter((event) => event.timerStartedEventAttributes).length;
    assert.ok(timersStarted <= 2, `${timersStarted} timers started for ${messageIndexes.length} messages`);
    // The recorded history replays against the current code without nondeterminism.
    await Worker.runReplayHistory({ workflowBundle: await getWorkflowBundle() }, history, dataflow.handle.workflowId);

    const { historyLength, historySize } = await dataflow.handle.describe();
    const bytesPerEvent = (historySize ?? 0) / historyLength;
    // A 15-minute flow: 96 messages a day, 4 reconciles (about 11 events each), a continue-as-new every ~75 runs.
    const perDay = 96 * 4 + 4 * 11 + Math.ceil(96 / 75) * 6;
    console.log(
      `      events between messages: ${gaps.join(', ')}; ${historyLength} events, ${historySize} bytes ` +
        `(~${Math.round(bytesPerEvent)} bytes/event); a 15-minute flow: ~${perDay} events/day ` +
        `(budget 5 × 96 + 20 = 500), ~${Math.round((perDay * bytesPerEvent) / 1024)} KiB/day`,
    );
  });
});
