import assert from 'node:assert/strict';
import { temporalPackagesLoadedBy } from '../harness/loaded-packages';

describe('the CLI process', function () {
  it('never loads workflow code (it starts workflows by name and speaks through src/contracts)', async function () {
    // `--help` describes every verb, so every verb's module is loaded.
    const loaded = await temporalPackagesLoadedBy('src/client.ts', ['--help']);
    assert.ok(loaded.includes('@temporalio/client'), `expected @temporalio/client among ${loaded.join(', ')}`);
    assert.ok(!loaded.includes('@temporalio/workflow'), `the CLI loaded @temporalio/workflow: ${loaded.join(', ')}`);
  });
});
