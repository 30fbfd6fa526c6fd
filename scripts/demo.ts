/**
 * `npm run demo`: the whole product on one machine, nothing installed by hand. Starts (or reuses) a Temporal
 * dev server, the platform simulator with a fast clock and a worker; mints a OneTrust token from the simulator;
 * provisions the example dataflow with the CLI; prints the Web UI link; then shows the dataflow's runs
 * ingesting records until Ctrl-C, and stops everything it started. Running it again reuses what exists.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { runClient } from './demo/client-command';
import { createDemoContext, type DemoContext } from './demo/demo-context';
import { ensurePushReceiver } from './demo/events-push';
import { readExampleSpec } from './demo/example-spec';
import { announceReapply } from './demo/reapplied-spec';
import { killImmediately, type ManagedProcess } from './demo/managed-process';
import { watchRuns } from './demo/run-watch';
import { ensureOneTrustToken, ensureSimulator } from './demo/simulator';
import { ensureTemporalServer } from './demo/temporal-server';
import { ensureWorker } from './demo/worker';

const projectRoot = resolve(__dirname, '..');
/** A 15-minute schedule then runs every 3 seconds. */
const simulatorTimeScale = Number(process.env.DEMO_TIME_SCALE ?? 300);

async function main(): Promise<number> {
  const dataDirectory = join(projectRoot, 'data');
  const { context, started } = createDemoContext({
    projectRoot,
    dataDirectory,
    logDirectory: join(dataDirectory, 'logs'),
    ports: { temporalPort: 7233, temporalUiPort: 8233, simulatorPort: 8090, metricsPort: 9464 },
    simulatorTimeScale,
  });
  mkdirSync(context.logDirectory, { recursive: true });
  process.on('exit', () => killImmediately(started));
  const interrupted = onFirstInterrupt();

  try {
    console.log('OneTrust → Adobe Experience Platform dataflows on Temporal: demo\n');
    const temporalServer = await ensureTemporalServer(context);
    const simulator = await ensureSimulator(context);
    const tokenFile = await ensureOneTrustToken(context, simulator);
    await ensureWorker(context, temporalServer, simulator);
    const spec = readExampleSpec(projectRoot);
    if (process.argv.includes('--push')) await ensurePushReceiver(context, temporalServer, simulator, spec.sandbox);

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

function printWhereToLook(context: DemoContext, uiUrl: string, spec: { sandbox: string; name: string }): void {
  const workflowsUrl = (id: string) => `${uiUrl}/namespaces/default/workflows/${encodeURIComponent(id)}`;
  console.log('\nWatch it in the Temporal Web UI:');
  context.report('Provisioning', workflowsUrl(`provision:${spec.sandbox}:${spec.name}`));
  context.report('Monitor', workflowsUrl(`dataflow:${spec.sandbox}:${spec.name}`));
  context.report('All workflows', `${uiUrl}/namespaces/default/workflows`);
}

/** Resolves on the first Ctrl-C (or SIGTERM); a second one exits at once. */
function onFirstInterrupt(): Promise<void> {
  return new Promise((resolve) => {
    let count = 0;
    const handler = () => {
      count += 1;
      if (count === 1) {
        console.log('\nStopping…');
        resolve();
      } else {
        process.exit(130);
      }
    };
    process.on('SIGINT', handler);
    process.on('SIGTERM', handler);
  });
}

/** Stops what this demo started, newest first: the worker before the simulator and the server it talks to. */
async function stopAll(started: ManagedProcess[]): Promise<void> {
  for (const managed of [...started].reverse()) {
    await managed.stop();
    console.log(`  stopped ${managed.name} (pid ${managed.pid})`);
  }
  started.length = 0;
}

main().then(
  (exitCode) => process.exit(exitCode),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
