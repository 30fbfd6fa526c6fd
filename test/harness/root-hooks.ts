/** Mocha root hooks: shared services started lazily by tests are stopped once at the end of the run. */
import { stopSharedServices } from './shared-services';

export const mochaHooks = {
  async afterAll(this: Mocha.Context) {
    this.timeout(30_000);
    await stopSharedServices();
  },
};
