/**
 * The production-shaped Temporal server for tests (TEMPORAL_TEST_SERVER=production): the server built from
 * go.temporal.io/server at the version docker-compose.yml pins, on a private PostgreSQL cluster, started by
 * scripts/temporal-production.sh once per mocha run in a temporary folder and stopped at the end.
 *
 * Restart tests take the running instance from getProductionTemporal() and crash or restart the server or its
 * database; every restart keeps the address. TEMPORAL_TEST_KEEP_DATA=1 keeps the folder (logs/ has the server's
 * and PostgreSQL's logs) instead of deleting it.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stopAtEndOfRun } from './shared-services';

const script = join(__dirname, '..', '..', 'scripts', 'temporal-production.sh');

export interface ProductionTemporal {
  /** The folder holding the PostgreSQL cluster (pg/), the logs (logs/), server.env and the pid files. */
  readonly dataDir: string;
  /** The frontend's gRPC address, host:port; the same after every restart. */
  readonly address: string;
  /** SIGKILL to the Temporal server (all four services run in that one process); PostgreSQL keeps running. */
  killServer(): Promise<void>;
  /** Starts the server again (stopping it first if it runs) and waits until the `default` namespace serves. */
  restartServer(): Promise<void>;
  /** SIGKILL to the postmaster and its backends, as a crash of the database would; the server keeps running. */
  killPostgres(): Promise<void>;
  /** Starts PostgreSQL again (stopping it first if it runs: crash recovery after a kill) and waits for it. */
  restartPostgres(): Promise<void>;
}

export function usesProductionTemporal(): boolean {
  return process.env.TEMPORAL_TEST_SERVER === 'production';
}

/**
 * Builds the server binaries when they are missing (minutes, once per version; a no-op otherwise). Synchronous on
 * purpose: called while mocha loads the test files, before any test's timeout runs.
 */
export function buildProductionTemporal(): void {
  execFileSync('bash', [script, 'build'], { stdio: ['ignore', 'inherit', 'inherit'] });
}

let instance: Promise<ProductionTemporal> | undefined;

/** Starts the server once per mocha run (later calls share it) and registers its stop at the end of the run. */
export function startProductionTemporal(): Promise<ProductionTemporal> {
  instance ??= start();
  return instance;
}

/** The running instance, for restart tests; fails when the run does not use the production server. */
export function getProductionTemporal(): Promise<ProductionTemporal> {
  if (!usesProductionTemporal()) {
    return Promise.reject(new Error('the production Temporal server runs only with TEMPORAL_TEST_SERVER=production'));
  }
  return startProductionTemporal();
}

async function start(): Promise<ProductionTemporal> {
  const dataDir = mkdtempSync(join(tmpdir(), 'temporal-production-'));
  const run = (command: string) => runScript(command, dataDir);
  stopAtEndOfRun(async () => {
    await run('stop');
    if (process.env.TEMPORAL_TEST_KEEP_DATA) console.error(`production Temporal data kept in ${dataDir}`);
    else rmSync(dataDir, { recursive: true, force: true });
  });
  const address = await run('start');
  return {
    dataDir,
    address,
    killServer: async () => void (await run('kill-server')),
    restartServer: async () => void (await run('restart-server')),
    killPostgres: async () => void (await run('kill-postgres')),
    restartPostgres: async () => void (await run('restart-postgres')),
  };
}

/** Runs one subcommand; resolves with its stdout (trimmed), or rejects with its stderr (the script's progress). */
function runScript(command: string, dataDir: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [script, command, dataDir], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.once('error', reject);
    child.once('close', (code) => {
      if (code === 0) resolve(stdout.trim());
      else reject(new Error(`scripts/temporal-production.sh ${command} ${dataDir} failed (exit ${code}):\n${stderr}`));
    });
  });
}
