/**
 * A failure that retrying cannot fix, at any step k: the workflow fails naming step k with AEP's HTTP status,
 * error code and message, and the compensations leave the sandbox empty.
 */
import assert from 'node:assert/strict';
import { getTemporal } from '../harness/temporal';
import { progressQuery } from '../../src/workflows/provision-dataflow';
import { provisioningSteps, type ProvisioningStepKey } from '../../src/workflows/provisioning-steps';
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
    for (const later of provisioningSteps.slice(number)) assert.equal(states[later.key], 'pending');
    for (const earlier of provisioningSteps.slice(0, number - 1)) {
      assert.equal(states[earlier.key], earlier.key === 'explore-preview' ? 'done' : 'rolled-back', earlier.key);
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

  it('fails at "explore-preview" when OneTrust does not accept the token, before anything else is built', async () => {
    const scenario = { ...(await newScenario()), taskQueue };
    scenario.env = { ONETRUST_ACCESS_TOKEN: unknownOneTrustToken() };
    const failure = await expectFailureAt('explore-preview', scenario);
    assert.match(failure.detail ?? '', /OneTrust answered 401/);
    assert.deepEqual(
      failure.rolledBack.map((entry) => entry.split(' ').slice(0, 2).join(' ')),
      ['base connection'],
    );
  });
});
