/**
 * End to end with the real programs: the CLI, holding only the worker's public key, seals the OneTrust token
 * (v2); the worker, holding the keyring, opens it and provisions. A token sealed to a key the worker does not
 * hold fails at once, naming that key and the keys the worker has.
 */
import assert from 'node:assert/strict';
import { decodedPayloads } from '../harness/history-payloads';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getTemporal } from '../harness/temporal';
import { childProcessEnv } from '../harness/test-worker';
import { encodePublicKey, generateSecretsKeyPair } from '../../src/secrets';
import { createKeyringFile } from '../../src/secrets/keyring-file';
import { newScenario, resourceCounts, exactlyOneOfEach, noneOfAny } from '../provisioning/provisioning-fixtures';
import { spawnTsx, workflowBundleFile, type SpawnedProcess } from '../provisioning/spawned-process';

describe('provisioning with a token sealed to the worker’s public key', function () {
  it('the public-key-only CLI seals (v2), the worker opens with its keyring; an unknown key is named', async function () {
    this.timeout(120_000);
    const folder = mkdtempSync(join(tmpdir(), 'public-key-provisioning-'));
    const workerKey = generateSecretsKeyPair();
    const keyringFile = join(folder, 'keyring.json');
    createKeyringFile(keyringFile, [workerKey]);
    const publicKeyFile = join(folder, 'public.key');
    writeFileSync(publicKeyFile, `${encodePublicKey(workerKey.publicKey)}\n`);

    const scenario = await newScenario();
    const { DATAFLOW_SECRETS_KEY: legacyKey, ...envWithoutKeys } = await childProcessEnv(scenario.taskQueue);
    let worker: SpawnedProcess | undefined;
    try {
      // The legacy key too, as an upgraded worker has it: values sealed by earlier releases keep opening.
      worker = spawnTsx('src/worker.ts', [], {
        ...envWithoutKeys,
        DATAFLOW_SECRETS_KEY: legacyKey,
        DATAFLOW_SECRETS_KEYRING_FILE: keyringFile,
        WORKFLOW_BUNDLE_PATH: await workflowBundleFile(),
        LOG_LEVEL: 'INFO',
      });
      await worker.waitForOutput(/worker started/, 60_000);
      assert.match(worker.output(), new RegExp(`secretsKeyringKeyIds.{0,4}${workerKey.keyId}`));

      const specPath = join(folder, 'dataflow.json');
      writeFileSync(specPath, JSON.stringify(scenario.spec));
      const client = spawnTsx('src/client.ts', ['provision', specPath], {
        ...envWithoutKeys,
        DATAFLOW_SECRETS_PUBLIC_KEY_FILE: publicKeyFile,
        ONETRUST_ACCESS_TOKEN: scenario.token,
      });
      assert.equal(await client.closed, 0, client.output());
      assert.match(client.output(), /Dataflow consent is provisioned/);
      assert.deepEqual(await resourceCounts(scenario.sandbox), exactlyOneOfEach);

      const { client: temporal } = await getTemporal();
      const history = await temporal.workflow.getHandle(`provision:${scenario.sandbox}:consent`).fetchHistory();
      const payloads = decodedPayloads(JSON.stringify(history));
      assert.match(payloads, new RegExp(`"sealed":"v2\\.${workerKey.keyId}\\.`));
      assert.ok(!payloads.includes(scenario.token), 'the token is in the history');

      // A CLI given some other worker's public key: the worker cannot open it and says which key it needs.
      const strangerKey = generateSecretsKeyPair();
      const other = await newScenario();
      writeFileSync(specPath, JSON.stringify(other.spec));
      const misconfigured = spawnTsx('src/client.ts', ['provision', specPath], {
        ...envWithoutKeys,
        DATAFLOW_SECRETS_PUBLIC_KEY: encodePublicKey(strangerKey.publicKey),
        ONETRUST_ACCESS_TOKEN: other.token,
      });
      assert.equal(await misconfigured.closed, 1, misconfigured.output());
      assert.match(
        misconfigured.output(),
        new RegExp(
          `the secret was sealed with key ${strangerKey.keyId}; this worker holds keys ${workerKey.keyId}: ` +
            `add ${strangerKey.keyId}'s private key to DATAFLOW_SECRETS_KEYRING_FILE`,
        ),
      );
      assert.deepEqual(await resourceCounts(other.sandbox), noneOfAny);
    } finally {
      await worker?.stop();
    }
  });
});
