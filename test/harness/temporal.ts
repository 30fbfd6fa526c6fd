/**
 * One real Temporal dev server per mocha run (the CLI's `server start-dev`, with its Web UI), shared by every test.
 * Started by us rather than by TestWorkflowEnvironment.createLocal, whose 5 s start window is too tight on 2 cores.
 * Set TEMPORAL_TEST_ADDRESS to reuse a server that is already running instead, or TEMPORAL_TEST_SERVER=production
 * for the PostgreSQL-backed server built from go.temporal.io/server at the version docker-compose.yml pins
 * (./production-temporal.ts, which also lets restart tests crash and restart it).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Connection, Client } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { devServerFlags } from '../../src/temporal/dev-server-flags';
import { registerSearchAttributes } from '../../src/temporal/register-search-attributes';
import { findFreePort } from './free-port';
import { buildProductionTemporal, startProductionTemporal, usesProductionTemporal } from './production-temporal';
import { stopAtEndOfRun } from './shared-services';

export interface TestTemporal {
  address: string;
  namespace: string;
  uiUrl: string;
  client: Client;
  connection: Connection;
  nativeConnection: NativeConnection;
}

let shared: Promise<TestTemporal> | undefined;

// The first build of the production server takes minutes: do it while mocha loads the files, outside any timeout.
if (usesProductionTemporal() && !process.env.TEMPORAL_TEST_ADDRESS) buildProductionTemporal();

export function getTemporal(): Promise<TestTemporal> {
  shared ??= startTemporal();
  return shared;
}

async function startTemporal(): Promise<TestTemporal> {
  const namespace = 'default';
  let address = process.env.TEMPORAL_TEST_ADDRESS;
  let uiUrl = process.env.TEMPORAL_TEST_UI_URL ?? 'http://127.0.0.1:8233';
  if (!address && usesProductionTemporal()) {
    address = (await startProductionTemporal()).address;
    // The production server has no Web UI (docker-compose runs it as a service of its own): uiUrl points at a free
    // port where nothing answers, so links are built as usual but tests that open the UI cannot pass against it.
    uiUrl = `http://127.0.0.1:${await findFreePort()}`;
  } else if (!address) {
    const port = await findFreePort();
    const uiPort = await findFreePort();
    const server = startDevServer(port, uiPort);
    address = `127.0.0.1:${port}`;
    uiUrl = `http://127.0.0.1:${uiPort}`;
    stopAtEndOfRun(() => server.stop());
  }
  const connection = await connectWithin(address, 60_000);
  const nativeConnection = await NativeConnection.connect({ address });
  await registerSearchAttributes(connection, namespace);
  stopAtEndOfRun(async () => {
    await nativeConnection.close();
    await connection.close();
  });
  return { address, namespace, uiUrl, connection, nativeConnection, client: new Client({ connection, namespace }) };
}

function startDevServer(port: number, uiPort: number): { stop(): Promise<void> } {
  const cli = process.env.TEMPORAL_CLI_PATH ?? findTemporalCli();
  const dataDir = mkdtempSync(join(tmpdir(), 'temporal-test-'));
  const child: ChildProcess = spawn(
    cli,
    [
      'server',
      'start-dev',
      '--ip',
      '127.0.0.1',
      '--port',
      String(port),
      '--ui-port',
      String(uiPort),
      '--db-filename',
      join(dataDir, 'temporal.db'),
      '--log-level',
      'error',
      ...devServerFlags,
    ],
    { stdio: ['ignore', 'ignore', 'inherit'] },
  );
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.once('error', (error) => console.error(`could not start the Temporal CLI (${cli}):`, error.message));
  return {
    async stop() {
      child.kill('SIGTERM');
      const timeout = new Promise<void>((resolve) => setTimeout(resolve, 10_000).unref());
      await Promise.race([exited, timeout]);
      if (child.exitCode === null) child.kill('SIGKILL');
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

async function connectWithin(address: string, timeoutMs: number): Promise<Connection> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const connection = await Connection.connect({ address, connectTimeout: 2_000 });
      await connection.workflowService.getSystemInfo({});
      return connection;
    } catch (error) {
      if (Date.now() > deadline) throw new Error(`Temporal server at ${address} did not start: ${String(error)}`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
}

/** `npm test` passes TEMPORAL_CLI_PATH; a bare `npx mocha` asks the same script (PATH, .tools/bin, or a Go build). */
function findTemporalCli(): string {
  const script = join(__dirname, '..', '..', 'scripts', 'install-temporal.sh');
  return execFileSync('bash', [script], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();
}
