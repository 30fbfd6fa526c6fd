/**
 * The OneTrust token reaches AEP, and nowhere else: not the provisioning or monitor workflow histories (which
 * hold only its sealed form), not the worker's output, not the client's output, not a process argument.
 * Runs the real programs: `npx tsx src/worker.ts` and `npx tsx src/client.ts provision <spec>`.
 */
import assert from 'node:assert/strict';
import { decodedPayloads } from '../harness/history-payloads';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getTemporal } from '../harness/temporal';
import { childProcessEnv, startTestWorker } from '../harness/test-worker';
import { createSecretBox } from '../../src/secrets';
import { provisionWorkflowId } from '../../src/contracts/workflow-ids';
import {
  exactlyOneOfEach,
  newScenario,
  noneOfAny,
  provisionExpectingFailure,
  resourceCounts,
  simulatorAdmin,
  useProvisioningWorker,
  workflowInput,
} from './provisioning-fixtures';
import { spawnTsx, workflowBundleFile, type SpawnedProcess } from './spawned-process';

describe('the OneTrust token stays secret', function () {
  it('is absent from every workflow history and from the worker’s and the client’s output', async function () {
    this.timeout(120_000);
    const scenario = await newScenario();
    const env = await childProcessEnv(scenario.taskQueue);
    const specPath = join(mkdtempSync(join(tmpdir(), 'secret-spec-')), 'dataflow.json');
    writeFileSync(specPath, JSON.stringify(scenario.spec));

    let worker: SpawnedProcess | undefined;
    try {
      worker = spawnTsx('src/worker.ts', [], {
        ...env,
        WORKFLOW_BUNDLE_PATH: await workflowBundleFile(),
        LOG_LEVEL: 'DEBUG',
      });
      await worker.waitForOutput(/worker started/, 60_000);

      const client = spawnTsx('src/client.ts', ['provision', specPath], {
        ...env,
        ONETRUST_ACCESS_TOKEN: scenario.token,
      });
      const clientExit = await client.exited;
      assert.equal(clientExit, 0, client.output());
      assert.match(client.output(), /Dataflow consent is provisioned/);
      assert.ok(!client.child.spawnargs.join(' ').includes(scenario.token), 'not a process argument');
      assert.deepEqual(await resourceCounts(scenario.sandbox), exactlyOneOfEach);

      const { client: temporal } = await getTemporal();
      for (const workflowId of [`provision:${scenario.sandbox}:consent`, `dataflow:${scenario.sandbox}:consent`]) {
        const history = JSON.stringify(await temporal.workflow.getHandle(workflowId).fetchHistory());
        const decoded = decodedPayloads(history);
        assert.ok(!history.includes(scenario.token) && !decoded.includes(scenario.token), `token in ${workflowId}`);
        assert.match(decoded, /"sealed":"v1\./, `${workflowId} carries the sealed token`);
      }

      await worker.stop();
      assert.ok(!worker.output().includes(scenario.token), 'token in the worker output');
      assert.ok(!client.output().includes(scenario.token), 'token in the client output');
      assert.match(worker.output(), /worker started/, 'the worker output was captured');
    } finally {
      await worker?.stop();
    }
  });
});

describe('a token sealed with another key', function () {
  it('fails provisioning at once, at the base connection, saying the worker’s key differs from the CLI’s', async function () {
    this.timeout(60_000);
    const scenario = await newScenario();
    const worker = await startTestWorker({ taskQueue: scenario.taskQueue });
    try {
      // The CLI sealed the token with its own DATAFLOW_SECRETS_KEY; the worker holds another one.
      const cliBox = createSecretBox(randomBytes(32));
      const input = workflowInput(scenario);
      input.oneTrust = { ...input.oneTrust, token: cliBox.seal(scenario.token) };

      const startedAt = Date.now();
      const { failure } = await provisionExpectingFailure(scenario, input);

      assert.equal(failure.step, 'base-connection');
      assert.match(failure.message, /^Provisioning failed at step 1 of 8 \(Base connection\): /);
      assert.match(
        failure.message,
        /cannot open the sealed secret: the secret was sealed with legacy key \S+ but this process holds legacy key \S+: give the worker the DATAFLOW_SECRETS_KEY/,
      );
      assert.ok(!failure.message.includes(scenario.token), 'the token is not in the message');
      assert.deepEqual(await resourceCounts(scenario.sandbox), noneOfAny);
      assert.ok(Date.now() - startedAt < 15_000, 'not retried for minutes');

      const { client } = await getTemporal();
      const history = await client.workflow
        .getHandle(provisionWorkflowId(scenario.sandbox, scenario.name))
        .fetchHistory();
      const attempts = (history.events ?? [])
        .map((event) => event.activityTaskStartedEventAttributes?.attempt)
        .filter((attempt): attempt is number => attempt !== undefined && attempt !== null);
      assert.ok(
        attempts.length > 0 && attempts.every((attempt) => attempt === 1),
        `one attempt each (${attempts.join(', ')})`,
      );
    } finally {
      await worker.stop();
    }
  });
});

/** History payloads are base64 JSON: decode every `data` field so the search covers what the Web UI shows. */
describe('secrets on failing paths', function () {
  const { taskQueue } = useProvisioningWorker('provisioning-secret-failures');

  it('keeps a token AEP echoes in its error out of the failure, and the alert webhook URL out of history', async function () {
    this.timeout(60_000);
    const webhookSecret = `T0${randomBytes(6).toString('hex')}/B0/${randomBytes(12).toString('hex')}`;
    const scenario = {
      ...(await newScenario({ alerts: { webhookUrl: `https://hooks.example.com/services/${webhookSecret}` } })),
      taskQueue,
    };
    // OneTrust refuses the token at the explore step, and the error AEP relays quotes it back.
    await (
      await simulatorAdmin()
    ).addFault({
      method: 'GET',
      path: '/data/foundation/flowservice/connections/[^/]+/explore',
      status: 400,
      times: 1,
      body: {
        type: 'https://ns.adobe.com/aep/errors/FLOW-1100-400',
        title: 'Bad Request',
        status: 400,
        report: { detailedMessage: `OneTrust answered 401 for access_token=${scenario.token}` },
        detail: `OneTrust answered 401 for access_token=${scenario.token} (Bearer ${scenario.token})`,
      },
    });

    const { failure } = await provisionExpectingFailure(scenario);
    assert.equal(failure.step, 'explore-preview');
    assert.ok(!failure.message.includes(scenario.token), failure.message);
    assert.match(failure.message, /\[REDACTED\]/, 'the echoed token was scrubbed, not the whole message');

    const { client } = await getTemporal();
    const history = JSON.stringify(
      await client.workflow.getHandle(provisionWorkflowId(scenario.sandbox, 'consent')).fetchHistory(),
    );
    const decoded = decodedPayloads(history);
    for (const secret of [scenario.token, webhookSecret]) {
      assert.ok(!history.includes(secret) && !decoded.includes(secret), 'a secret is in the provisioning history');
    }
  });
});
