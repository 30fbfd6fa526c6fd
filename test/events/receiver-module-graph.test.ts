import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const projectRoot = resolve(__dirname, '../..');

/** Starts `npm run events`' entry point without its settings (it stops at once) and lists what it loaded. */
async function packagesTheReceiverLoads(): Promise<string[]> {
  const folder = mkdtempSync(join(tmpdir(), 'receiver-graph-'));
  const reportFile = join(folder, 'loaded.json');
  try {
    await run(
      process.execPath,
      ['--require', 'tsx/cjs', '--require', './test/events/fixtures/report-loaded-packages.ts', 'src/events/main.ts'],
      {
        cwd: projectRoot,
        // No receiver settings: the program refuses to start right after loading its modules, before any network.
        env: { PATH: process.env.PATH, LOADED_PACKAGES_FILE: reportFile, TEMPORAL_ADDRESS: '127.0.0.1:1' },
      },
    ).catch((error: unknown) => error);
    return JSON.parse(readFileSync(reportFile, 'utf8')) as string[];
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}

describe('the events receiver process', function () {
  it('never loads the workflow SDK (it speaks to workflows only through src/contracts)', async function () {
    const loaded = await packagesTheReceiverLoads();
    // The receiver does hand events to Temporal, so the client is there: the check sees what a real start loads.
    assert.ok(loaded.includes('@temporalio/client'), `expected @temporalio/client among ${loaded.join(', ')}`);
    assert.ok(
      !loaded.includes('@temporalio/workflow'),
      `the receiver loaded @temporalio/workflow: ${loaded.join(', ')}`,
    );
  });
});
