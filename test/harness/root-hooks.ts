/**
 * Mocha root hooks. Installs the Temporal runtime once, before any test creates a connection, with the product's
 * own redacting JSON logger at ERROR (TEST_LOG_LEVEL overrides) so expected retries and failures stay quiet;
 * stops the shared services (Temporal dev server, simulator) once at the end of the run. Every temporary file a test
 * or a child process makes lands in one folder for the run (TMPDIR), removed at the end.
 */
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { installTemporalRuntime } from '../../src/observability/runtime';
import { stopSharedServices } from './shared-services';

const { runtime } = installTemporalRuntime({
  logLevel: process.env.TEST_LOG_LEVEL ?? 'ERROR',
  metricsPort: undefined,
  env: {},
});

// os.tmpdir() reads TMPDIR at each call, and child processes given process.env inherit it.
const runTemporaryFolder = mkdtempSync(join(tmpdir(), 'dataflow-tests-'));
// Others may enter it, not list it: the production server's PostgreSQL runs as its own user, its data dir in here.
chmodSync(runTemporaryFolder, 0o711);
process.env.TMPDIR = runTemporaryFolder;

export const mochaHooks = {
  async afterAll(this: Mocha.Context) {
    this.timeout(30_000);
    await stopSharedServices();
    rmSync(runTemporaryFolder, { recursive: true, force: true });
    // The runtime shuts itself down when its last connection or worker closes; a run that never made one (test/aep)
    // would be held open by it. Only when idle: a connection or worker a test left open must keep mocha from
    // exiting, so that the leak shows.
    if ((runtime as unknown as { isIdle(): boolean }).isIdle()) await runtime.shutdown();
  },
};
