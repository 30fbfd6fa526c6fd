/**
 * `npm run demo` as a real child process (its own data folder and ports, so it runs beside other tests): on
 * Ctrl-C, SIGTERM and its terminal closing (SIGHUP, sent like a terminal does, to its process group) it stops the
 * Temporal server, simulator and worker it started, and not one process of theirs survives it. A demo killed
 * outright leaves them running: the next demo says so and how to stop them, and `npm run demo -- --stop` does.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { livingMembersOfGroups } from '../../scripts/demo/process-groups';
import { findFreePort } from '../harness/free-port';
import { spawnTsx, workflowBundleFile, type SpawnedProcess } from '../provisioning/spawned-process';

const watching = /Ctrl-C stops the demo/;
const startupTimeoutMs = 180_000;

describe('npm run demo, stopping', function () {
  this.timeout(300_000);

  for (const [signal, exitCode] of [
    ['SIGINT', 0],
    ['SIGTERM', 0],
    ['SIGHUP', 129],
  ] as const) {
    it(`on ${signal}, stops the Temporal server, simulator and worker it started, leaving no process of theirs`, async () => {
      const env = await demoEnvironment();
      const demo = startDemo(env);
      let groups: Record<string, number> = {};
      try {
        await demo.waitForOutput(watching, startupTimeoutMs);
        groups = startedProcesses(demo.output());
        assert.deepEqual(Object.keys(groups).sort(), ['Simulator', 'Temporal server', 'Worker']);
        assert.ok(livingMembersOfGroups(Object.values(groups)).length >= 3);
        assert.deepEqual(pidFiles(env).sort(), ['demo.pid', 'simulator.pid', 'temporal.pid', 'worker.pid']);

        demo.signal(signal);
        assert.equal(await demo.closed, exitCode, demo.output());
        assert.deepEqual(livingMembersOfGroups(Object.values(groups)), [], `still running after ${signal}`);
        assert.match(demo.output(), new RegExp(`Stopping \\(${signal}\\)`));
        assert.match(demo.output(), /stopped worker \(pid \d+\)[\s\S]*stopped simulator[\s\S]*stopped temporal/);
        assert.deepEqual(pidFiles(env), []);
      } finally {
        await demo.stop();
        killGroups(Object.values(groups));
      }
    });
  }

  it('a demo killed outright leaves them; the next one says so and how, and --stop stops them', async () => {
    const env = await demoEnvironment();
    const first = startDemo(env);
    let second: SpawnedProcess | undefined;
    let groups: number[] = [];
    try {
      await first.waitForOutput(watching, startupTimeoutMs);
      const started = startedProcesses(first.output());
      groups = Object.values(started);
      first.child.kill('SIGKILL');
      await first.closed;
      assert.ok(livingMembersOfGroups(groups).length >= 3, 'its processes outlive a demo killed outright');

      second = startDemo(env);
      await second.waitForOutput(watching, startupTimeoutMs);
      assert.match(
        second.output(),
        new RegExp(
          `An earlier demo left processes running: temporal \\(pid ${started['Temporal server']}\\), simulator ` +
            `\\(pid ${started.Simulator}\\), worker \\(pid ${started.Worker}\\)\\. This demo reuses them and leaves ` +
            'them running; `npm run demo -- --stop` stops them',
        ),
      );
      second.signal('SIGINT');
      assert.equal(await second.closed, 0, second.output());
      assert.match(
        second.output(),
        /left running, from an earlier demo: temporal .*`npm run demo -- --stop` stops them/,
      );
      assert.ok(livingMembersOfGroups(groups).length >= 3, 'the second demo leaves what it did not start');

      const stop = startDemo(env, ['--stop']);
      assert.equal(await stop.closed, 0, stop.output());
      assert.match(
        stop.output(),
        new RegExp(
          `stopped worker \\(pid ${started.Worker}\\)\\n.*stopped simulator \\(pid ${started.Simulator}\\)\\n` +
            `.*stopped temporal \\(pid ${started['Temporal server']}\\)`,
        ),
      );
      assert.deepEqual(livingMembersOfGroups(groups), [], 'still running after --stop');
      assert.deepEqual(pidFiles(env), []);

      const again = startDemo(env, ['--stop']);
      assert.equal(await again.closed, 0, again.output());
      assert.match(again.output(), /No demo process is running\./);
    } finally {
      await second?.stop();
      await first.stop();
      killGroups(groups);
    }
  });
});

/** A data folder and ports of its own; the prebuilt workflow bundle, so the worker starts without webpack. */
async function demoEnvironment(): Promise<NodeJS.ProcessEnv> {
  return {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    TEMPORAL_CLI_PATH: process.env.TEMPORAL_CLI_PATH,
    DEMO_DATA_DIR: mkdtempSync(join(tmpdir(), 'demo-stop-')),
    DEMO_TEMPORAL_PORT: String(await findFreePort()),
    DEMO_TEMPORAL_UI_PORT: String(await findFreePort()),
    DEMO_SIMULATOR_PORT: String(await findFreePort()),
    DEMO_METRICS_PORT: String(await findFreePort()),
    WORKFLOW_BUNDLE_PATH: await workflowBundleFile(),
  };
}

/** `npm run demo`'s program alone (no npm in between), so a signal to its group reaches the demo as in a terminal. */
function startDemo(env: NodeJS.ProcessEnv, args: string[] = []): SpawnedProcess {
  return spawnTsx('scripts/demo.ts', args, env, { runner: 'node' });
}

/** The pids the demo reports for what it started; each leads a process group of its own. */
function startedProcesses(output: string): Record<string, number> {
  const lines = output.matchAll(/^ {2}(Temporal server|Simulator|Worker) +(?:started on|polling)[^\n]*?pid (\d+)/gm);
  return Object.fromEntries([...lines].map((line): [string, number] => [line[1] ?? '', Number(line[2])]));
}

/** After a failure: what the demo should have stopped must not outlive the test. */
function killGroups(groups: number[]): void {
  for (const group of groups) {
    try {
      process.kill(-group, 'SIGKILL');
    } catch {
      // Gone, as it should be.
    }
  }
}

function pidFiles(env: NodeJS.ProcessEnv): string[] {
  try {
    return readdirSync(join(env.DEMO_DATA_DIR!, 'demo-pids'));
  } catch {
    return [];
  }
}
