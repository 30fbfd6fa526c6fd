/**
 * Mocha root hooks. Installs the Temporal runtime once, before any test creates a connection, with the product's
 * own redacting JSON logger at ERROR (TEST_LOG_LEVEL overrides) so expected retries and failures stay quiet;
 * stops the shared services (Temporal dev server, simulator) once at the end of the run.
 */
import { installTemporalRuntime } from '../../src/observability/runtime';
import { stopSharedServices } from './shared-services';

installTemporalRuntime({ logLevel: process.env.TEST_LOG_LEVEL ?? 'ERROR', metricsPort: undefined, env: {} });

export const mochaHooks = {
  async afterAll(this: Mocha.Context) {
    this.timeout(30_000);
    await stopSharedServices();
  },
};
