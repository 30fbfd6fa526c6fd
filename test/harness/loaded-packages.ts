/**
 * Which @temporalio packages a program of ours loads: it runs as a child process with a preload that lists them
 * when it exits, so a test can tell that the CLI or the receiver never loads the workflow SDK.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const projectRoot = resolve(__dirname, '../..');

/** Runs `entry` with `args` and `env` (it may exit with an error: what it loaded is read either way). */
export async function temporalPackagesLoadedBy(
  entry: string,
  args: string[],
  env: NodeJS.ProcessEnv = {},
): Promise<string[]> {
  const folder = mkdtempSync(join(tmpdir(), 'loaded-packages-'));
  const reportFile = join(folder, 'loaded.json');
  try {
    await run(
      process.execPath,
      ['--require', 'tsx/cjs', '--require', './test/events/fixtures/report-loaded-packages.ts', entry, ...args],
      { cwd: projectRoot, env: { PATH: process.env.PATH, LOADED_PACKAGES_FILE: reportFile, ...env } },
    ).catch((error: unknown) => error);
    return JSON.parse(readFileSync(reportFile, 'utf8')) as string[];
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}
