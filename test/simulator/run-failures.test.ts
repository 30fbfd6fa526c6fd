import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { runErrorCodes } from '../../src/simulator/run-execution';
import {
  eventually,
  listeningUrl,
  nowInSeconds,
  spawnSimulatorProcess,
  TestPlatform,
  type Json,
} from './test-platform';

interface Run {
  id: string;
  metrics: {
    recordSummary: { inputRecordCount: number; outputRecordCount: number };
    statusSummary: { status: string; errors: Array<{ code: string; message: string }> };
  };
}
interface RunFailureSettings {
  share: number;
  sandboxes: Record<string, number>;
  failedRuns: number;
}

/** One simulated hour per wall-clock second: a 15-minute schedule fires every 250 ms. */
const timeScale = 3600;

/**
 * Run error codes have the documented <SOURCE>-<nnnn>-<status> form (CONNECTOR-1001-500 and CONNECTOR-2001-500 in
 * help/sources/notifications.md; aep-contract.md §2 Runs). Adobe documents no code for a run the platform itself
 * interrupts: the simulator's CONNECTOR-2002-500 is its own choice (src/simulator/run-execution.ts), so the test
 * checks the form and the simulator's named code, not a literal.
 */
function assertInterruptedRunError(error: { code: string }, message?: string): void {
  assert.match(error.code, /^CONNECTOR-\d{4}-\d{3}$/, message);
  assert.equal(error.code, runErrorCodes.interrupted, message);
}

describe('simulator run failure share', () => {
  let platform: TestPlatform;
  before(async () => {
    platform = await TestPlatform.start({ timeScale });
  });
  after(() => platform.close());

  const scheduledFlow = async (sandbox: string) => {
    const pipeline = await platform.createPipeline({ sandbox, accessToken: await platform.mintOneTrustToken(3600) });
    return platform.createFlow(pipeline, { startTime: nowInSeconds(), frequency: 'minute', interval: 15 });
  };
  const completedRuns = (sandbox: string, flowId: string, atLeast: number) =>
    eventually(
      async () => {
        const listed = await platform.flowService<{ items: Run[] }>(
          'GET',
          `/runs?property=flowId==${flowId}&orderby=createdAt`,
          { sandbox },
        );
        const done = listed.body.items.filter((run) => run.metrics.statusSummary.status !== 'inProgress');
        return done.length >= atLeast ? done : undefined;
      },
      15_000,
      `${atLeast} completed run(s) in ${sandbox}`,
    );

  it('fails the chosen share of a sandbox’s runs with a platform error, then lets them succeed again', async () => {
    const initial = await platform.admin<RunFailureSettings>('GET', '/run-failures');
    assert.deepEqual(initial.body, { share: 0, sandboxes: {}, failedRuns: 0 });
    const set = await platform.admin<RunFailureSettings>('PUT', '/run-failures', { share: 1, sandbox: 'failing' });
    assert.equal(set.status, 200);
    assert.deepEqual(set.body, { share: 0, sandboxes: { failing: 1 }, failedRuns: 0 });

    const failingFlow = await scheduledFlow('failing');
    const healthyFlow = await scheduledFlow('healthy');
    const failed = await completedRuns('failing', failingFlow, 2);
    for (const run of failed) {
      assert.equal(run.metrics.statusSummary.status, 'failed');
      assertInterruptedRunError(run.metrics.statusSummary.errors[0]!);
      assert.equal(run.metrics.recordSummary.inputRecordCount, 0);
    }
    const [healthy] = await completedRuns('healthy', healthyFlow, 1);
    assert.equal(healthy!.metrics.statusSummary.status, 'success');
    const flow = await platform.flowService<{ items: Json[] }>('GET', `/flows/${failingFlow}`, { sandbox: 'failing' });
    assert.equal((flow.body.items[0]!.lastRunDetails as { state: string }).state, 'failed');

    await platform.admin('PUT', '/run-failures', { share: 0, sandbox: 'failing' });
    const afterwards = await eventually(
      async () => {
        const runs = await completedRuns('failing', failingFlow, 1);
        return runs.find((run) => run.metrics.statusSummary.status === 'success');
      },
      15_000,
      'a successful run once the share is 0',
    );
    const subjects = platform.simulator.context.settings.oneTrustSubjects;
    assert.equal(
      afterwards.metrics.recordSummary.inputRecordCount,
      subjects,
      'failed runs read nothing, so the first success still reads everything',
    );

    const counted = await platform.admin<RunFailureSettings>('GET', '/run-failures');
    assert.ok(counted.body.failedRuns >= 2);
    // The count is since the simulator started: DELETE puts the shares back and keeps it.
    const reset = await platform.admin<RunFailureSettings>('DELETE', '/run-failures');
    assert.deepEqual(reset.body, { share: 0, sandboxes: {}, failedRuns: counted.body.failedRuns });
  });

  it('sets one share for every sandbox without its own', async () => {
    await platform.admin('PUT', '/run-failures', { share: 0.25 });
    await platform.admin('PUT', '/run-failures', { share: 0, sandbox: 'spared' });
    const read = await platform.admin<RunFailureSettings>('GET', '/run-failures');
    assert.equal(read.body.share, 0.25);
    assert.deepEqual(read.body.sandboxes, { spared: 0 });
    await platform.admin('DELETE', '/run-failures');
  });

  it('refuses a share outside 0..1, a missing share and unknown fields', async () => {
    for (const body of [{ share: 1.5 }, { share: -0.1 }, {}, { share: '0.5' }, { share: 0.5, flows: 3 }]) {
      const answer = await platform.admin('PUT', '/run-failures', body);
      assert.equal(answer.status, 400, JSON.stringify(body));
    }
    assert.equal((await platform.admin<RunFailureSettings>('GET', '/run-failures')).body.share, 0);
  });

  it('starts with the share --run-failure-share gives, and refuses one outside 0..1', async () => {
    const child = spawnSimulatorProcess(['--port', '0', '--run-failure-share', '0.25', '--run-retention-hours', '0.5']);
    try {
      const url = await listeningUrl(child);
      const read = (await (await fetch(`${url}/__sim/run-failures`)).json()) as RunFailureSettings;
      assert.equal(read.share, 0.25);
    } finally {
      child.kill('SIGTERM');
      await once(child, 'exit');
    }

    const refused = spawn(process.execPath, ['--import', 'tsx', 'src/simulator/main.ts', '--run-failure-share', '2'], {
      cwd: join(__dirname, '..', '..'),
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let errors = '';
    refused.stderr.on('data', (chunk: Buffer) => (errors += chunk.toString()));
    const [code] = (await once(refused, 'exit')) as [number | null];
    assert.notEqual(code, 0);
    assert.match(errors, /run-failure-share.*expected a number from 0 to 1/);
  });
});
