import assert from 'node:assert/strict';
import { temporalPackagesLoadedBy } from '../harness/loaded-packages';

describe('the events receiver process', function () {
  it('never loads the workflow SDK (it speaks to workflows only through src/contracts)', async function () {
    // No receiver settings: the program refuses to start right after loading its modules, before any network.
    const loaded = await temporalPackagesLoadedBy('src/events/main.ts', [], { TEMPORAL_ADDRESS: '127.0.0.1:1' });
    // The receiver does hand events to Temporal, so the client is there: the check sees what a real start loads.
    assert.ok(loaded.includes('@temporalio/client'), `expected @temporalio/client among ${loaded.join(', ')}`);
    assert.ok(
      !loaded.includes('@temporalio/workflow'),
      `the receiver loaded @temporalio/workflow: ${loaded.join(', ')}`,
    );
  });
});
