/**
 * With NODE_ENV=production a worker with no secrets key does not make one up: it exits at once, saying how to
 * create a keyring and hand it over. Runs the real program, `node --import tsx src/worker.ts`.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { developmentKeyringFile } from '../../src/secrets';
import { spawnTsx } from '../provisioning/spawned-process';

describe('a production worker without a secrets key', () => {
  it('refuses to start, exit code 1, naming the command that creates a keyring and the variable to set', async function () {
    this.timeout(60_000);
    const developmentKeyringExisted = existsSync(developmentKeyringFile);
    const worker = spawnTsx(
      'src/worker.ts',
      [],
      {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        NODE_ENV: 'production',
        // Everything else a worker needs, so the key is what is missing; nothing listens on this address.
        TEMPORAL_ADDRESS: '127.0.0.1:9',
        AEP_CLIENT_ID: 'client-id',
        AEP_CLIENT_SECRET: 'client-secret',
        AEP_ORG_ID: 'ORG0000000000000000000000@AdobeOrg',
      },
      { runner: 'node' },
    );

    const exitCode = await worker.closed;
    assert.equal(exitCode, 1, worker.output());
    assert.match(
      worker.output(),
      /worker failed: no secrets key configured, and NODE_ENV=production never creates one/,
    );
    assert.match(worker.output(), /npm run secrets -- create-key --keyring \/path\/keyring\.json/);
    assert.match(worker.output(), /DATAFLOW_SECRETS_KEYRING_FILE=\/path\/keyring\.json/);
    assert.doesNotMatch(worker.output(), /worker started/);
    assert.equal(existsSync(developmentKeyringFile), developmentKeyringExisted, 'no development keyring was created');
  });
});
