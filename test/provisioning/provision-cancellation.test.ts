/**
 * Cancelling provisioning rolls back what it built, including a resource whose create was still in flight when
 * the cancel came: the workflow waits for that create to finish, so the rollback finds and deletes it.
 */
import assert from 'node:assert/strict';
import { CancelledFailure, WorkflowFailedError } from '@temporalio/client';
import { progressQuery, type ProvisioningProgress } from '../../src/contracts/provisioning-messages';
import {
  newScenario,
  noneOfAny,
  resourceCounts,
  simulatorAdmin,
  startProvisioning,
  useProvisioningWorker,
} from './provisioning-fixtures';

const createBaseConnection = '/data/foundation/flowservice/connections(\\?|$)';

describe('cancelling provisioning', function () {
  const { taskQueue } = useProvisioningWorker('provisioning-cancel');

  it('while AEP is still creating a resource ends cancelled, with nothing left in the sandbox', async function () {
    this.timeout(90_000);
    const scenario = { ...(await newScenario()), taskQueue };
    // AEP holds the base connection's create for 3 s before making it.
    const holdMs = 3_000;
    const admin = await simulatorAdmin();
    await admin.addFault({ method: 'POST', path: createBaseConnection, delayMs: holdMs, times: 1 });
    const createsBefore = (await admin.requestCounts())['POST /connections'] ?? 0;

    const handle = await startProvisioning(scenario);
    await waitUntil(async () => {
      const progress = await handle.query(progressQuery).catch(() => undefined);
      return stateOf(progress, 'base-connection') === 'running';
    }, 30_000);
    // Cancel once the create has reached AEP (which holds it), not after a guessed delay.
    await admin.waitForArrivals('POST /connections', createsBefore);
    const cancelledAt = Date.now();
    await handle.cancel();

    const error = await handle.result().then(
      () => assert.fail('provisioning was expected to end cancelled'),
      (failure: unknown) => failure,
    );
    assert.ok(error instanceof WorkflowFailedError && error.cause instanceof CancelledFailure, String(error));
    assert.equal((await handle.describe()).status.name, 'CANCELLED');
    // Count only once AEP has surely made the held connection: a rollback that did not wait for it misses it.
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, cancelledAt + holdMs + 500 - Date.now())));
    assert.deepEqual(await resourceCounts(scenario.sandbox), noneOfAny, 'the held create was rolled back too');

    const progress = await handle.query(progressQuery);
    assert.equal(progress.phase, 'cancelled');
    assert.match(progress.failure?.message ?? '', /^Provisioning was cancelled at step 1 of 8 \(Base connection\)/);
    assert.ok(
      progress.failure?.rolledBack.some((entry) => entry.startsWith('base connection ')),
      `the base connection was rolled back (${progress.failure?.rolledBack.join('; ')})`,
    );
    assert.deepEqual(progress.failure?.leftBehind, []);
    assert.equal(stateOf(progress, 'base-connection'), 'rolled-back');
    assert.equal(stateOf(progress, 'source-connection'), 'pending', 'nothing was built after the cancel');
  });
});

function stateOf(progress: ProvisioningProgress | undefined, key: string): string | undefined {
  return progress?.steps.find((step) => step.key === key)?.state;
}

async function waitUntil(condition: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
