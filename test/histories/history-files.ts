/**
 * The golden histories under test/histories/<label>/: real histories of every workflow, recorded by
 * `npm run record-histories` with the code of one release and replayed against the current code by
 * replay.test.ts. Files are only ever added; see the README's Development section for the rule.
 *
 * Each file holds the history as binary protobuf (base64) beside what the recording did. Not the JSON form:
 * with SDK 1.24.0 as npm installs it, @temporalio/common's historyFromJSON runs protobufjs 8 over
 * @temporalio/proto's protobufjs 7 types and fails ("type must be a Type"); binary protobuf needs neither.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { temporal } from '@temporalio/proto';

export const historiesDirectory = __dirname;

type History = temporal.api.history.v1.History;

export interface RecordedHistoryFile {
  /** What the recording did, e.g. "a monitor through every message type". */
  scenario: string;
  workflowType: string;
  workflowId: string;
  /** Which generation of a workflow that continued as new (0 for the first). */
  generation: number;
  recordedWith: { version: string; commit: string; at: string };
  events: number;
  /** temporal.api.history.v1.History, protobuf-encoded, base64. */
  historyProtobuf: string;
}

export interface LoadedHistory extends Omit<RecordedHistoryFile, 'historyProtobuf'> {
  file: string;
  history: History;
}

export function loadRecordedHistories(): LoadedHistory[] {
  const loaded: LoadedHistory[] = [];
  for (const label of readdirSync(historiesDirectory, { withFileTypes: true })) {
    if (!label.isDirectory() || label.name === 'recording') continue;
    for (const name of readdirSync(join(historiesDirectory, label.name)).filter((file) => file.endsWith('.json'))) {
      const file = join(label.name, name);
      const { historyProtobuf, ...recorded } = JSON.parse(
        readFileSync(join(historiesDirectory, file), 'utf8'),
      ) as RecordedHistoryFile;
      const history = temporal.api.history.v1.History.decode(Buffer.from(historyProtobuf, 'base64'));
      loaded.push({ ...recorded, file, history });
    }
  }
  return loaded;
}

/** Writes one history into a label folder; refuses to replace a file that exists (committed histories stay). */
export function saveRecordedHistory(
  label: string,
  fileName: string,
  recorded: Omit<RecordedHistoryFile, 'historyProtobuf' | 'events'> & { history: temporal.api.history.v1.IHistory },
): void {
  const directory = join(historiesDirectory, label);
  mkdirSync(directory, { recursive: true });
  const file = join(directory, `${fileName}.json`);
  if (existsSync(file)) throw new Error(`${file} exists: committed histories are never rewritten`);
  const { history, ...about } = recorded;
  const bytes = temporal.api.history.v1.History.encode(history).finish();
  const saved: RecordedHistoryFile = {
    ...about,
    events: history.events?.length ?? 0,
    historyProtobuf: Buffer.from(bytes).toString('base64'),
  };
  writeFileSync(file, `${JSON.stringify(saved, null, 1)}\n`);
}
