/**
 * A failure that retrying cannot fix, at any step k: the workflow fails naming step k with AEP's HTTP status,
 * error code and message, the other branch of the graph stops, and the compensations leave the sandbox empty.
 */
import assert from 'node:assert/strict';
import { setTimeout as delay } from 'node:timers/promises';
import { WorkflowNotFoundError } from '@temporalio/client';
import { getTemporal } from '../harness/temporal';
import { monitorWorkflowId } from '../../src/contracts/workflow-ids';
import type { DataflowMonitorResult } from '../../src/contracts/monitor-messages';
import { progressQuery } from '../../src/contracts/provisioning-messages';
import { provisioningSteps, type ProvisioningStepKey } from '../../src/contracts/provisioning-steps';
import { provisioningGraph } from '../../src/workflows/provisioning/provisioning-graph';
import {
  newScenario,
  noneOfAny,
  provisionExpectingFailure,
  resourceCounts,
  simulatorAdmin,
  type Scenario,
  useProvisioningWorker,
} from './provisioning-fixtures';

/** The create call each step makes, refused with a 400 by the simulator's fault injection. */
const refusedCreates: Array<{ step: ProvisioningStepKey; path: string }> = [
  { step: 'base-connection', path: '/data/foundation/flowservice/connections(\\?|$)' },
  { step: 'source-connection', path: '/data/foundation/flowservice/sourceConnections(\\?|$)' },
  { step: 'target-schema', path: '/data/foundation/schemaregistry/tenant/schemas(\\?|$)' },
  { step: 'dataset', path: '/data/foundation/catalog/dataSets(\\?|$)' },
  { step: 'target-connection', path: '/data/foundation/flowservice/targetConnections(\\?|$)' },
  { step: 'mapping-set', path: '/data/foundation/conversion/mappingSets(\\?|$)' },
  { step: 'dataflow', path: '/data/foundation/flowservice/flows(\\?|$)' },
];

/** A JWT-shaped token OneTrust never issued: AEP's explore call relays OneTrust's 401 as a 400. */
function unknownOneTrustToken(): string {
  const segment = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${segment({ alg: 'HS256', typ: 'JWT' })}.${segment({ exp: Math.floor(Date.now() / 1000) + 86_400 })}.forged`;
}

describe('provisioning that fails for good at step k', function () {
  const { taskQueue } = useProvisioningWorker('provisioning-failures');

  async function expectFailureAt(step: ProvisioningStepKey, scenario: Scenario) {
    const { failure } = await provisionExpectingFailure(scenario);
    const number = provisioningSteps.findIndex((candidate) => candidate.key === step) + 1;
    const title = provisioningSteps[number - 1]!.title;

    assert.equal(failure.step, step);
    assert.equal(failure.stepNumber, number);
    assert.match(failure.message, new RegExp(`^Provisioning failed at step ${number} of 8 \\(${title}\\): HTTP 400 `));
    assert.equal(failure.status, 400);
    assert.match(failure.code ?? '', /-400$/, `an AEP error code (got ${failure.code})`);
    assert.ok(failure.detail && failure.message.includes(failure.detail), 'the message carries AEP’s own message');
    assert.deepEqual(failure.leftBehind, []);

    assert.deepEqual(await resourceCounts(scenario.sandbox), noneOfAny, 'nothing is left behind');

    const { client } = await getTemporal();
    const progress = await client.workflow
      .getHandle(`provision:${scenario.sandbox}:${scenario.name}`)
      .query(progressQuery);
    assert.equal(progress.phase, 'failed');
    const states = Object.fromEntries(progress.steps.map((s) => [s.key, s.state]));
    assert.equal(states[step], 'failed');
    // What needs the failed step never started; what it needs was built and is undone; the other branch was
    // stopped wherever it had got to, and undone too. Only the explore preview (it builds nothing) stays done.
    for (const later of dependentsOf(step)) assert.equal(states[later], 'pending', later);
    // A step left pending says nothing (not that the dataset's activity was about to make it).
    for (const pending of progress.steps.filter((s) => s.state === 'pending')) {
      assert.equal(pending.note, undefined, `${pending.key}: ${pending.note}`);
    }
    for (const earlier of prerequisitesOf(step)) {
      assert.equal(states[earlier], earlier === 'explore-preview' ? 'done' : 'rolled-back', earlier);
    }
    for (const [key, state] of Object.entries(states)) {
      if (key === step || key === 'explore-preview') continue;
      assert.ok(['pending', 'cancelled', 'rolled-back'].includes(state), `${key} ended ${state}`);
    }
    // Newest first: undone in the reverse of the order the steps started in.
    const started = progress.transitions.filter((t) => t.state === 'running').map((t) => t.key);
    const undone = progress.transitions.filter((t) => t.state === 'rolled-back').map((t) => t.key);
    assert.deepEqual(undone, started.filter((key) => undone.includes(key)).reverse());

    // No monitor is left watching what was rolled back: one started before the flow (once the survey ended, so
    // always before the dataflow step) stands down, with the failure as its reason.
    const monitor = client.workflow.getHandle<() => Promise<DataflowMonitorResult>>(
      monitorWorkflowId(scenario.sandbox, scenario.name),
    );
    const monitorStarted = await monitor.describe().then(
      () => true,
      (error: unknown) => {
        if (error instanceof WorkflowNotFoundError) return false;
        throw error;
      },
    );
    if (step === 'dataflow') assert.ok(monitorStarted, 'the monitor was started before the flow');
    if (monitorStarted) {
      const ended = await Promise.race([
        monitor.result(),
        delay(15_000).then(() => assert.fail('the monitor started before the flow did not stand down within 15 s')),
      ]);
      assert.equal(ended.state, 'torn-down');
      assert.equal(ended.teardown.summary, `nothing to watch: ${failure.message}`);
    }
    return failure;
  }

  for (const { step, path } of refusedCreates) {
    it(`fails at "${step}" when AEP refuses its create, and deletes everything made before it`, async () => {
      const scenario = { ...(await newScenario()), taskQueue };
      await (await simulatorAdmin()).addFault({ method: 'POST', path, status: 400, times: 1 });
      await expectFailureAt(step, scenario);
    });
  }

  it('fails at "explore-preview" when OneTrust does not accept the token, before anything reads with it', async () => {
    const scenario = { ...(await newScenario()), taskQueue };
    scenario.env = { ONETRUST_ACCESS_TOKEN: unknownOneTrustToken() };
    // A slow preview: the schema branch and the source connection are all done long before OneTrust says no.
    await (await simulatorAdmin()).addFault({ method: 'GET', path: '/explore', delayMs: 1_500, times: 1 });
    const failure = await expectFailureAt('explore-preview', scenario);
    assert.match(failure.detail ?? '', /OneTrust answered 401/);
    const undone = failure.rolledBack.map((entry) => entry.split(' ').slice(0, 2).join(' '));
    assert.ok(undone.includes('base connection'), undone.join('; '));
    // The source connection is made beside the preview (it reads nothing) and undone with the rest; the dataflow,
    // which would read with the token, is never made.
    const flowCreates = (await (await simulatorAdmin()).requests(scenario.sandbox)).filter(
      (entry) => entry.method === 'POST' && /\/flowservice\/flows$/.test(entry.path),
    );
    assert.deepEqual(flowCreates, []);
  });

  it('fails before step 1 when the survey is refused, and undoes what the schema branch made beside it', async () => {
    const scenario = { ...(await newScenario()), taskQueue };
    // The survey looks the base connection up by name; the base connection step (which would list it too) never runs.
    await (
      await simulatorAdmin()
    ).addFault({ method: 'GET', path: '/data/foundation/flowservice/connections\\?', status: 400, times: 1 });

    const { failure } = await provisionExpectingFailure(scenario);

    assert.equal(failure.step, 'look-for-existing');
    assert.match(failure.message, /^Provisioning failed before step 1 \(looking for existing resources\): HTTP 400 /);
    assert.deepEqual(failure.leftBehind, []);
    assert.deepEqual(await resourceCounts(scenario.sandbox), noneOfAny, 'nothing is left behind');
  });
});

/** Every step that needs `key`, directly or through others. */
function dependentsOf(key: ProvisioningStepKey): ProvisioningStepKey[] {
  const dependents = provisioningGraph.filter((step) => step.needs.includes(key)).map((step) => step.key);
  return [...new Set([...dependents, ...dependents.flatMap(dependentsOf)])];
}

/** Every step `key` needs, directly or through others. */
function prerequisitesOf(key: ProvisioningStepKey): ProvisioningStepKey[] {
  const needs = provisioningGraph.find((step) => step.key === key)?.needs ?? [];
  return [...new Set([...needs, ...needs.flatMap(prerequisitesOf)])];
}
