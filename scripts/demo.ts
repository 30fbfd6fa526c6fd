/**
 * `npm run demo`: the whole product on one machine, nothing installed by hand. Starts (or reuses) a Temporal
 * dev server, the platform simulator with a fast clock and a worker; mints a OneTrust token from the simulator;
 * provisions the example dataflow with the CLI; prints the Web UI link; then shows the dataflow's runs
 * ingesting records until Ctrl-C (or SIGTERM, or its terminal closing: SIGHUP), and stops everything it started.
 * Running it again reuses what exists, and says so when that was left running by an earlier demo (pid files in
 * data/demo-pids/); `npm run demo -- --stop` stops those.
 */
// First: on an unsupported Node.js, say so before anything else can fail.
import '../src/runtime/require-supported-node';
import { mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { runClient } from './demo/client-command';
import { createDemoContext, type DemoContext } from './demo/demo-context';
import { ensurePushReceiver } from './demo/events-push';
import { readExampleSpec } from './demo/example-spec';
import { announceReapply } from './demo/reapplied-spec';
import { killImmediately, type ManagedProcess } from './demo/managed-process';
import { recordDemoProcess, runningDemoProcesses, type DemoProcessRecord } from './demo/pid-files';
import { watchRuns } from './demo/run-watch';
import { ensureOneTrustToken, ensureSimulator } from './demo/simulator';
import { ensureTemporalServer } from './demo/temporal-server';
import { stopDemoProcesses } from './demo/stop-demo-processes';
import { ensureWorker } from './demo/worker';

const projectRoot = resolve(__dirname, '..');
/** A 15-minute schedule then runs every 3 seconds. */
const simulatorTimeScale = Number(process.env.DEMO_TIME_SCALE ?? 300);
/** State, logs and pid files. DEMO_DATA_DIR and the DEMO_*_PORT settings let tests run demos beside others. */
const dataDirectory = resolve(process.env.DEMO_DATA_DIR ?? join(projectRoot, 'data'));
const ports = {
  temporalPort: portSetting('DEMO_TEMPORAL_PORT', 7233),
  temporalUiPort: portSetting('DEMO_TEMPORAL_UI_PORT', 8233),
  simulatorPort: portSetting('DEMO_SIMULATOR_PORT', 8090),
  metricsPort: portSetting('DEMO_METRICS_PORT', 9464),
};
const stopCommand = '`npm run demo -- --stop`';

/** What ends the demo, and its exit code then: Ctrl-C and SIGTERM as a normal end; the terminal closing. */
const stopSignals = { SIGINT: 0, SIGTERM: 0, SIGHUP: 129 } as const;
type StopSignal = keyof typeof stopSignals;

async function main(args: string[]): Promise<number> {
  if (args.length === 1 && args[0] === '--stop') return stopEarlierDemos();
  const push = args.includes('--push');
  const unknown = args.filter((argument) => argument !== '--push');
  if (unknown.length > 0) {
    console.error(`demo: unknown arguments ${unknown.join(' ')}; usage: npm run demo [-- --push | --stop]`);
    return 2;
  }
  const { context, started } = createDemoContext({
    projectRoot,
    dataDirectory,
    logDirectory: join(dataDirectory, 'logs'),
    ports,
    simulatorTimeScale,
  });
  mkdirSync(context.logDirectory, { recursive: true });
  const leftovers = runningDemoProcesses(dataDirectory);
  const ownPidFile = recordDemoProcess(dataDirectory, 'demo', process.pid);
  process.on('exit', () => {
    killImmediately(started);
    ownPidFile.remove();
  });
  const interrupted = onStopSignal(() => stopAll(started));

  try {
    console.log('OneTrust → Adobe Experience Platform dataflows on Temporal: demo\n');
    if (leftovers.length > 0) {
      console.log(
        `${leftovers.some((record) => record.name === 'demo') ? 'Another demo is still running' : 'An earlier demo left processes running'}: ` +
          `${describe(leftovers)}. This demo reuses them and leaves them running; ${stopCommand} stops them.\n`,
      );
    }
    const temporalServer = await ensureTemporalServer(context);
    const simulator = await ensureSimulator(context);
    const tokenFile = await ensureOneTrustToken(context, simulator);
    await ensureWorker(context, temporalServer, simulator);
    const spec = readExampleSpec(projectRoot);
    if (push) await ensurePushReceiver(context, temporalServer, simulator, spec.sandbox);

    const tokenEnv = { [spec.tokenVariable ?? 'ONETRUST_ACCESS_TOKEN']: readFileSync(tokenFile, 'utf8').trim() };
    // Provisioning again puts back what was changed since with provision/update: say so, never silently.
    await announceReapply(context, temporalServer, context.relative(spec.path), tokenEnv);
    console.log(`\n$ npm run client -- provision ${context.relative(spec.path)}\n`);
    const provisioningStartedAt = Date.now();
    const provisionExit = await runClient(
      context,
      temporalServer,
      ['provision', context.relative(spec.path)],
      tokenEnv,
    );
    if (provisionExit !== 0) {
      console.error(
        `\nProvisioning failed (exit ${provisionExit}); the worker log is ${context.relative(join(context.logDirectory, 'worker.log'))}.`,
      );
      return provisionExit;
    }

    printWhereToLook(context, temporalServer.uiUrl, spec);
    console.log(
      `\nRuns of ${spec.sandbox}/${spec.name} (simulated time ×${simulatorTimeScale}). Ctrl-C stops the demo.\n`,
    );
    // A process of the demo that dies (a crashed worker) stops the demo, saying which and where its log is: the
    // run counts would otherwise go on as if all were well.
    let died: string | undefined;
    const oneDied = Promise.race(
      started.map((managed) =>
        managed.exited.then((how) => {
          // Stopped by a signal's stop, not died.
          if (signalExitCode !== undefined) return;
          died ??=
            `the ${managed.name} (pid ${managed.pid}) stopped unexpectedly (${how}); ` +
            `its log is ${context.relative(managed.logFile)}`;
        }),
      ),
    );
    await watchRuns(simulator, {
      sandbox: spec.sandbox,
      since: provisioningStartedAt,
      interrupted: Promise.race([interrupted, oneDied]),
      afterRuns: {
        count: 3,
        action: async () => {
          console.log(`\n$ npm run client -- status ${spec.sandbox}/${spec.name} --refresh`);
          await runClient(context, temporalServer, ['status', `${spec.sandbox}/${spec.name}`, '--refresh']);
          console.log('');
        },
      },
    });
    if (died) {
      console.error(`\ndemo: ${died}. Stopping the demo.`);
      return 1;
    }
    return 0;
  } catch (error) {
    console.error(`\ndemo: ${(error as Error).message}`);
    console.error(`Logs are in ${context.relative(context.logDirectory)}/.`);
    return 1;
  } finally {
    await stopAll(started);
  }
}

/** `npm run demo -- --stop`: stops what earlier demos left running (a demo still running stops its own first). */
async function stopEarlierDemos(): Promise<number> {
  const stopped = await stopDemoProcesses(dataDirectory, (record) =>
    console.log(`  stopped ${record.name} (pid ${record.pid})`),
  );
  console.log(stopped.length > 0 ? 'Stopped what the demo left running.' : 'No demo process is running.');
  return 0;
}

function describe(records: DemoProcessRecord[]): string {
  return records.map((record) => `${record.name} (pid ${record.pid})`).join(', ');
}

function portSetting(name: string, fallback: number): number {
  const value = Number(process.env[name] ?? fallback);
  if (!Number.isInteger(value) || value <= 0 || value > 65_535) throw new Error(`${name} must be a port number`);
  return value;
}

function printWhereToLook(context: DemoContext, uiUrl: string, spec: { sandbox: string; name: string }): void {
  const workflowsUrl = (id: string) => `${uiUrl}/namespaces/default/workflows/${encodeURIComponent(id)}`;
  console.log('\nWatch it in the Temporal Web UI:');
  context.report('Provisioning', workflowsUrl(`provision:${spec.sandbox}:${spec.name}`));
  context.report('Monitor', workflowsUrl(`dataflow:${spec.sandbox}:${spec.name}`));
  context.report('All workflows', `${uiUrl}/namespaces/default/workflows`);
}

/** The exit code the stop signal asks for, once one came. */
let signalExitCode: number | undefined;

/**
 * Resolves on the first stop signal, and stops what the demo started at once, whatever step it is at (the
 * steps still waiting are cut short by the exit); a second signal exits at once. After a hangup the terminal is
 * gone: what the demo still prints goes nowhere, and failing to print must not stop it from stopping.
 */
function onStopSignal(stop: () => Promise<void>): Promise<void> {
  return new Promise((resolve) => {
    let count = 0;
    const handler = (signal: StopSignal) => {
      count += 1;
      if (count > 1) process.exit(130);
      signalExitCode = stopSignals[signal];
      if (signal === 'SIGHUP') {
        for (const stream of [process.stdout, process.stderr]) stream.on('error', () => undefined);
      }
      console.log(`\nStopping (${signal})…`);
      resolve();
      void stop().then(() => process.exit(signalExitCode));
    };
    for (const signal of Object.keys(stopSignals) as StopSignal[]) process.on(signal, handler);
  });
}

let stopping: Promise<void> | undefined;

/**
 * Stops what this demo started, newest first: the worker before the simulator and the server it talks to; then
 * names what it reused from an earlier demo, which it leaves running.
 */
function stopAll(started: ManagedProcess[]): Promise<void> {
  stopping ??= (async () => {
    const stopped = [...started];
    for (const managed of [...stopped].reverse()) {
      await managed.stop();
      console.log(`  stopped ${managed.name} (pid ${managed.pid})`);
    }
    // One started meanwhile (a step the signal cut short) stays for the exit's last resort.
    started.splice(0, stopped.length);
    const stillRunning = runningDemoProcesses(dataDirectory).filter((record) => record.pid !== process.pid);
    if (stillRunning.length > 0) {
      console.log(`  left running, from an earlier demo: ${describe(stillRunning)}; ${stopCommand} stops them`);
    }
  })();
  return stopping;
}

main(process.argv.slice(2)).then(
  (exitCode) => process.exit(signalExitCode ?? exitCode),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
