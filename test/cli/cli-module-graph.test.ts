import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const projectRoot = resolve(__dirname, '../..');

/** Runs `npm run client -- --help` (every verb's module is loaded to describe it) and lists what it loaded. */
async function packagesTheCliLoads(): Promise<string[]> {
  const folder = mkdtempSync(join(tmpdir(), 'cli-graph-'));
  const reportFile = join(folder, 'loaded.json');
  try {
    await run(
      process.execPath,
      [
        '--require',
        'tsx/cjs',
        '--require',
        './test/events/fixtures/report-loaded-packages.ts',
        'src/client.ts',
        '--help',
      ],
      { cwd: projectRoot, env: { PATH: process.env.PATH, LOADED_PACKAGES_FILE: reportFile } },
    );
    return JSON.parse(readFileSync(reportFile, 'utf8')) as string[];
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}

describe('the CLI process', function () {
  it('never loads workflow code (it starts workflows by name and speaks through src/contracts)', async function () {
    const loaded = await packagesTheCliLoads();
    assert.ok(loaded.includes('@temporalio/client'), `expected @temporalio/client among ${loaded.join(', ')}`);
    assert.ok(!loaded.includes('@temporalio/workflow'), `the CLI loaded @temporalio/workflow: ${loaded.join(', ')}`);
  });
});
