/**
 * A `patched(id)` gate is only proven by replay when a committed history took its new branch: every patch id the
 * workflow code uses must appear, as a decoded patch marker, in some history under test/histories/. The report
 * also says, per id, whether an older history (recorded before the marker first appears, of the same scenario)
 * holds the old branch too.
 */
import assert from 'node:assert/strict';
import { loadRecordedHistories, type LoadedHistory } from './history-files';
import { patchCallsInWorkflowSource } from './patch-ids-in-source';
import { patchMarkersIn } from './patch-markers';

interface PatchBranches {
  id: string;
  usedAt: string[];
  /** Histories holding the marker: they replay the new branch. */
  newBranch: LoadedHistory[];
  /** Histories of a scenario that later recorded the marker, recorded before it did: the old branch. */
  oldBranch: LoadedHistory[];
}

function branchesOf(id: string, usedAt: string[], histories: LoadedHistory[]): PatchBranches {
  const marked = new Set(histories.filter((recorded) => patchMarkersIn(recorded).some((marker) => marker.id === id)));
  const newBranch = [...marked];
  const firstMarkedAt = Math.min(...newBranch.map((recorded) => Date.parse(recorded.recordedWith.at)));
  const scenarios = new Set(newBranch.map((recorded) => `${recorded.workflowType}: ${recorded.scenario}`));
  const oldBranch = histories.filter(
    (recorded) =>
      !marked.has(recorded) &&
      scenarios.has(`${recorded.workflowType}: ${recorded.scenario}`) &&
      Date.parse(recorded.recordedWith.at) < firstMarkedAt,
  );
  return { id, usedAt, newBranch, oldBranch };
}

function describeBranches({ id, usedAt, newBranch, oldBranch }: PatchBranches): string {
  const files = (list: LoadedHistory[]) =>
    list.length > 0 ? list.map((recorded) => recorded.file).join(', ') : 'none';
  const both = newBranch.length > 0 && oldBranch.length > 0 ? 'both branches' : 'ONE branch only';
  return (
    `      ${id} (${usedAt.join(', ')}): ${both}\n` +
    `        new (marker): ${files(newBranch)}\n` +
    `        old (same scenario, recorded before the patch): ${files(oldBranch)}`
  );
}

describe('every patched() id in the workflow code is covered by a committed history', function () {
  this.timeout(60_000);

  it('finds each id the workflow code gates on as a patch marker in some recorded history', function () {
    const calls = patchCallsInWorkflowSource();
    assert.ok(calls.length > 0, 'no patched() call found under src/workflows/: the source scan is broken');
    const usedAt = new Map<string, string[]>();
    for (const call of calls) usedAt.set(call.id, [...(usedAt.get(call.id) ?? []), call.at]);

    const histories = loadRecordedHistories();
    const branches = [...usedAt].map(([id, at]) => branchesOf(id, at, histories));
    console.log(branches.map(describeBranches).join('\n'));

    const missing = branches.filter((patch) => patch.newBranch.length === 0);
    assert.deepEqual(
      missing.map((patch) => `${patch.id} (${patch.usedAt.join(', ')})`),
      [],
      'These patch ids are in no committed history, so no replay proves their new branch: add a scenario to ' +
        'test/histories/recording/record-scenarios.ts that takes it, and record a new folder with ' +
        '`npm run record-histories` (README, Development: "Changing workflow code").',
    );
  });
});
