/**
 * The golden histories under test/histories/<label>/: real histories of every workflow, recorded by
 * `npm run record-histories` with the code of one release and replayed against the current code by
 * replay.test.ts. Files are only ever added; see the README's Development section for the rule.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { historyFromJSON, historyToJSON } from '@temporalio/common/lib/proto-utils';

export const historiesDirectory = __dirname;

export interface RecordedHistory {
  /** What the recording did, e.g. "monitor through every message type". */
  scenario: string;
  workflowType: string;
  workflowId: string;
  /** Which generation of a workflow that continued as new (0 for the first). */
  generation: number;
  recordedWith: { version: string; commit: string; at: string };
  history: unknown;
}

type History = ReturnType<typeof historyFromJSON>;

export interface LoadedHistory extends Omit<RecordedHistory, 'history'> {
  file: string;
  history: History;
}

export function loadRecordedHistories(): LoadedHistory[] {
  const loaded: LoadedHistory[] = [];
  for (const label of readdirSync(historiesDirectory, { withFileTypes: true })) {
    if (!label.isDirectory() || label.name === 'recording') continue;
    for (const name of readdirSync(join(historiesDirectory, label.name)).filter((file) => file.endsWith('.json'))) {
      const file = join(label.name, name);
      const recorded = JSON.parse(readFileSync(join(historiesDirectory, file), 'utf8')) as RecordedHistory;
      loaded.push({ ...recorded, file, history: historyFromJSON(recorded.history) });
    }
  }
  return loaded;
}

/** Writes one history into a new label folder; refuses to replace a file that exists (committed histories stay). */
export function saveRecordedHistory(
  label: string,
  fileName: string,
  recorded: Omit<RecordedHistory, 'history'> & { history: History },
): void {
  const directory = join(historiesDirectory, label);
  mkdirSync(directory, { recursive: true });
  const file = join(directory, `${fileName}.json`);
  if (existsSync(file)) throw new Error(`${file} exists: committed histories are never rewritten`);
  const history = JSON.parse(historyToJSON(recorded.history)) as unknown;
  writeFileSync(file, `${JSON.stringify({ ...recorded, history }, null, 1)}\n`);
}
