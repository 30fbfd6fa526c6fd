/**
 * Upgrades never break a running workflow: every history recorded under test/histories/ (by earlier releases'
 * `npm run record-histories`) replays against the current workflow code without a nondeterminism error.
 */
import assert from 'node:assert/strict';
import { Worker } from '@temporalio/worker';
import { getWorkflowBundle } from '../harness/test-worker';
import { loadRecordedHistories } from './history-files';

const workflowTypes = ['provisionDataflow', 'dataflowMonitor', 'sandboxRunFeed', 'eventsJournal', 'planDataflow'];

describe('recorded histories replay against the current workflow code', function () {
  this.timeout(120_000);

  it('holds a recorded history of every workflow type', function () {
    const types = new Set(loadRecordedHistories().map((recorded) => recorded.workflowType));
    for (const type of workflowTypes)
      assert.ok(types.has(type), `no recorded history of ${type} under test/histories/`);
  });

  it('replays every one of them without nondeterminism', async function () {
    const recorded = loadRecordedHistories();
    const byWorkflowId = new Map(recorded.map((entry) => [`${entry.workflowId}#${entry.generation}`, entry]));
    const results = Worker.runReplayHistories(
      { workflowBundle: await getWorkflowBundle() },
      recorded.map((entry) => ({ workflowId: `${entry.workflowId}#${entry.generation}`, history: entry.history })),
    );
    const broken: string[] = [];
    let replayed = 0;
    for await (const result of results) {
      replayed += 1;
      if (result.error) {
        const entry = byWorkflowId.get(result.workflowId);
        broken.push(`${entry?.file ?? result.workflowId} (${entry?.scenario ?? '?'}): ${result.error.message}`);
      }
    }
    assert.equal(replayed, recorded.length);
    assert.deepEqual(
      broken,
      [],
      'A change to workflow code no longer replays histories of running workflows. Gate the change with ' +
        "patched('<change-id>') (and later deprecatePatch) so workflows started before it keep their old path, " +
        'or undo it; never edit or delete a committed history (README, Development: "Changing workflow code").',
    );
  });
});
