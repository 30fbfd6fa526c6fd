/**
 * Provisioning survives what real platforms and real machines do: throttling and outages on a third of the
 * calls, answers lost after AEP committed a create, and the worker killed mid-way. Each time the dataflow ends
 * up complete with exactly one of each resource.
 */
import assert from 'node:assert/strict';
import { getTemporal } from '../harness/temporal';
import { childProcessEnv, startTestWorker } from '../harness/test-worker';
import {
  exactlyOneOfEach,
  fastActivityTiming,
  newScenario,
  provision,
  resourceCounts,
  simulatorAdmin,
  startProvisioning,
  workflowInput,
} from './provisioning-fixtures';
import { spawnTsx, workflowBundleFile, type SpawnedProcess } from './spawned-process';

/** Every create call provisioning makes. */
const createCalls = [
  '/data/foundation/flowservice/connections(\\?|$)',
  '/data/foundation/flowservice/sourceConnections(\\?|$)',
  '/data/foundation/schemaregistry/tenant/fieldgroups(\\?|$)',
  '/data/foundation/schemaregistry/tenant/schemas(\\?|$)',
  '/data/foundation/catalog/dataSets(\\?|$)',
  '/data/foundation/flowservice/targetConnections(\\?|$)',
  '/data/foundation/conversion/mappingSets(\\?|$)',
  '/data/foundation/flowservice/flows(\\?|$)',
];

interface FaultRuleState {
  path: string;
  fired: number;
}

async function faultRules(): Promise<FaultRuleState[]> {
  const response = await fetch(`${(await simulatorAdmin()).baseUrl}/__sim/faults`);
  return ((await response.json()) as { items: FaultRuleState[] }).items;
}

describe('provisioning under faults', function () {
  afterEach(async () => {
    await (await simulatorAdmin()).clearFaults();
  });

  it('succeeds with exactly one of each resource when ~30% of AEP calls answer 503 or 429 with Retry-After', async function () {
    this.timeout(120_000);
    const scenario = await newScenario();
    const worker = await startTestWorker({ taskQueue: scenario.taskQueue });
    try {
      const admin = await simulatorAdmin();
      // 0.15 + 0.85 × 0.18 ≈ 30% of platform calls fail, half of them throttled with a Retry-After.
      await admin.addFault({ path: '^/data/foundation/', status: 503, probability: 0.15 });
      await admin.addFault({ path: '^/data/foundation/', status: 429, retryAfter: 1, probability: 0.18 });

      const result = await provision(scenario);

      const fired = (await faultRules()).reduce((sum, rule) => sum + rule.fired, 0);
      assert.ok(fired > 0, 'some calls really failed');
      assert.equal(result.alreadyExisted, false);
      assert.deepEqual(await resourceCounts(scenario.sandbox), exactlyOneOfEach);
    } finally {
      await worker.stop();
    }
  });

  it('succeeds with exactly one of each resource when the answer to every create is lost after AEP committed it', async function () {
    this.timeout(120_000);
    const scenario = await newScenario();
    const worker = await startTestWorker({ taskQueue: scenario.taskQueue });
    try {
      const admin = await simulatorAdmin();
      for (const path of createCalls) await admin.addFault({ method: 'POST', path, dropAfterCommit: true, times: 1 });

      const result = await provision(scenario);

      assert.deepEqual(await faultRules(), [], 'every create lost its first answer');
      assert.deepEqual(result.created.length, 7);
      assert.deepEqual(await resourceCounts(scenario.sandbox), exactlyOneOfEach);
    } finally {
      await worker.stop();
    }
  });

  it('completes with exactly one of each resource when the worker is SIGKILLed mid-provisioning and restarted', async function () {
    this.timeout(120_000);
    const scenario = await newScenario();
    const env = {
      ...(await childProcessEnv(scenario.taskQueue)),
      WORKFLOW_BUNDLE_PATH: await workflowBundleFile(),
      LOG_LEVEL: 'INFO',
    };
    // The target connection's create is held for 3 s at AEP's gateway, so the kill lands while it is in flight.
    const admin = await simulatorAdmin();
    const targetConnectionCreatesBefore = (await admin.requestCounts())['POST /targetConnections'] ?? 0;
    await admin.addFault({
      method: 'POST',
      path: createCalls[5]!,
      delayMs: 3_000,
      times: 1,
    });

    let worker: SpawnedProcess | undefined = spawnTsx('src/worker.ts', [], env);
    try {
      await worker.waitForOutput(/worker started/, 60_000);
      const handle = await startProvisioning(
        scenario,
        workflowInput(scenario, { activityTiming: { ...fastActivityTiming, startToCloseTimeout: '5s' } }),
      );
      // Kill once the held create has reached AEP: the crash lands while AEP is making the resource (the dataset's
      // activity makes its target connection too, so the checklist shows the dataset running).
      await admin.waitForArrivals('POST /targetConnections', targetConnectionCreatesBefore, 30_000);

      worker.signal('SIGKILL');
      const exitCode = await worker.exited;
      assert.notEqual(exitCode, 0);

      worker = spawnTsx('src/worker.ts', [], env);
      const result = await handle.result();

      assert.deepEqual(await resourceCounts(scenario.sandbox), exactlyOneOfEach);
      assert.equal(result.created.length, 7);
      const history = await (await getTemporal()).client.workflow.getHandle(handle.workflowId).fetchHistory();
      const retried = (history.events ?? []).some(
        (event) => (event.activityTaskStartedEventAttributes?.attempt ?? 1) > 1,
      );
      assert.ok(retried, 'the activity the kill interrupted ran again on the new worker');
    } finally {
      await worker?.stop();
    }
  });
});
