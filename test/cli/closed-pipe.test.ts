/**
 * `npm run client -- … | head`: when the reader closes the pipe early, the CLI ends quietly, without an EPIPE
 * stack trace on the terminal.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';

describe('the CLI writing into a closed pipe', function () {
  it('ends quietly with exit code 0, no EPIPE stack trace', async function () {
    this.timeout(30_000);
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/client.ts', '--help'], {
      cwd: resolve(__dirname, '../..'),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    // The reader goes away before the CLI has written a byte (like `head` after its lines).
    child.stdout.destroy();
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    const exitCode = await new Promise<number | null>((resolveExit) => child.on('close', resolveExit));

    assert.doesNotMatch(stderr, /EPIPE|at .*\.js:\d+/, stderr);
    assert.equal(exitCode, 0, stderr);
  });
});
