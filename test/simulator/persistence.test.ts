import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { listeningUrl, spawnSimulatorProcess, TestPlatform } from './test-platform';

describe('simulator state file and command line', () => {
  let directory: string;
  before(async () => {
    directory = await mkdtemp(join(tmpdir(), 'simulator-state-'));
  });
  after(() => rm(directory, { recursive: true, force: true }));

  it('restores resources, etags and issued tokens after a restart', async () => {
    const stateFile = join(directory, 'restart.json');
    const first = await TestPlatform.start({ stateFile });
    const oneTrustToken = await first.mintOneTrustToken(3600);
    const id = await first.createBaseConnection(oneTrustToken, 'kept', 'survives restarts');
    const before = await first.flowService<{ items: Array<{ etag: string }> }>('GET', `/connections/${id}`, {
      sandbox: 'kept',
    });
    await first.close();

    const second = await TestPlatform.start({ stateFile });
    try {
      const after = await second.flowService<{ items: Array<{ etag: string; name: string }> }>(
        'GET',
        `/connections/${id}`,
        {
          sandbox: 'kept',
        },
      );
      assert.equal(after.status, 200);
      assert.equal(after.body.items[0]!.name, 'survives restarts');
      assert.equal(after.body.items[0]!.etag, before.body.items[0]!.etag);
      const test = await second.flowService('GET', `/connections/${id}/test`, { sandbox: 'kept' });
      assert.deepEqual(test.body, { result: true }, 'the OneTrust token minted before the restart is still accepted');
    } finally {
      await second.close();
    }
  });

  it('`npm run simulator` prints its URL, serves, and saves its state when stopped with SIGTERM', async () => {
    const stateFile = join(directory, 'cli.json');
    const child = spawnSimulatorProcess(['--port', '0', '--time-scale', '60', '--state-file', stateFile], {
      ...process.env,
      SIMULATOR_CLIENT_SECRET: 'from-the-environment',
    });
    try {
      const url = await listeningUrl(child);
      const health = (await (await fetch(`${url}/__sim/health`)).json()) as { status: string; timeScale: number };
      assert.deepEqual(health.status, 'ok');
      assert.equal(health.timeScale, 60);
      const token = await fetch(`${url}/ims/token/v3`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: 'grant_type=client_credentials&client_id=simulator-client-id&client_secret=from-the-environment&scope=openid',
      });
      assert.equal(token.status, 200, 'the client secret comes from SIMULATOR_CLIENT_SECRET');
      child.kill('SIGTERM');
      const [code] = (await once(child, 'exit')) as [number | null];
      assert.equal(code, 0);
      const saved = JSON.parse(await readFile(stateFile, 'utf8')) as { resources: Record<string, unknown[]> };
      assert.ok(Array.isArray(saved.resources.connections));
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });
});
