/**
 * Two `npm run secrets` commands changing one keyring at once, as real processes: each reads the keyring, adds its
 * key and writes the file back, so without the keyring's lock one of two keys written together is lost.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { keyringLockPath, withKeyringLock } from '../../src/secrets/keyring-lock';
import { spawnTsx } from '../provisioning/spawned-process';

interface PrintedKey {
  keyId: string;
}

/** `npm run secrets -- <args> --json` as its own process (node --import tsx, what the npm script runs). */
function secretsProcess(...args: string[]) {
  return spawnTsx(
    'src/secrets/keyring-command.ts',
    [...args, '--json'],
    { PATH: process.env.PATH },
    { runner: 'node' },
  );
}

async function finished(
  child: ReturnType<typeof secretsProcess>,
): Promise<{ exitCode: number | null; output: string }> {
  return { exitCode: await child.closed, output: child.output() };
}

function keyIdsIn(keyringFile: string): string[] {
  const { keys } = JSON.parse(readFileSync(keyringFile, 'utf8')) as { keys: PrintedKey[] };
  return keys.map((key) => key.keyId);
}

/** The pid of a process that has ended (and, this soon, not been handed out again). */
function endedProcessPid(): number {
  const ended = spawnSync(process.execPath, ['-e', '']);
  assert.ok(ended.pid);
  return ended.pid;
}

describe('changing one keyring from two secrets commands at once', () => {
  it('loses no key: two create-keys make one keyring, and ten pairs of rotate-keys add twenty keys', async function () {
    this.timeout(180_000);
    const folder = mkdtempSync(join(tmpdir(), 'keyring-concurrency-'));
    const keyringFile = join(folder, 'keyring.json');

    const creations = await Promise.all([
      finished(secretsProcess('create-key', '--keyring', keyringFile)),
      finished(secretsProcess('create-key', '--keyring', keyringFile)),
    ]);
    const created = creations.filter((result) => result.exitCode === 0);
    assert.equal(created.length, 1, creations.map((result) => result.output).join('\n'));
    assert.match(creations.find((result) => result.exitCode !== 0)!.output, /already exists/);
    assert.deepEqual(keyIdsIn(keyringFile), [(JSON.parse(created[0]!.output) as PrintedKey).keyId]);

    const printed: string[] = [];
    for (let pair = 0; pair < 10; pair++) {
      const results = await Promise.all([
        finished(secretsProcess('rotate-key', '--keyring', keyringFile)),
        finished(secretsProcess('rotate-key', '--keyring', keyringFile)),
      ]);
      for (const result of results) {
        assert.equal(result.exitCode, 0, result.output);
        printed.push((JSON.parse(result.output) as PrintedKey).keyId);
      }
    }
    const kept = keyIdsIn(keyringFile);
    assert.deepEqual(
      printed.filter((keyId) => !kept.includes(keyId)),
      [],
      'every key a rotate-key reported is in the keyring',
    );
    assert.equal(kept.length, 21);
    assert.equal(statSync(keyringFile).mode & 0o777, 0o600);
    assert.deepEqual(readdirSync(folder), ['keyring.json'], 'no lock or draft is left behind');
  });

  it('takes over a lock whose process has ended', async function () {
    this.timeout(60_000);
    const folder = mkdtempSync(join(tmpdir(), 'keyring-concurrency-'));
    const keyringFile = join(folder, 'keyring.json');
    writeFileSync(
      keyringLockPath(keyringFile),
      JSON.stringify({ pid: endedProcessPid(), host: hostname(), token: 'crashed' }),
    );
    const result = await finished(secretsProcess('create-key', '--keyring', keyringFile));
    assert.equal(result.exitCode, 0, result.output);
    assert.equal(keyIdsIn(keyringFile).length, 1);
    assert.equal(existsSync(keyringLockPath(keyringFile)), false);
  });

  it('never breaks the lock of a running process (or of another host): waits, then names who holds it', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'keyring-concurrency-'));
    const keyringFile = join(folder, 'keyring.json');
    const lockFile = keyringLockPath(keyringFile);
    for (const holder of [
      { pid: process.pid, host: hostname(), token: 'running' },
      { pid: endedProcessPid(), host: 'another-host', token: 'elsewhere' },
    ]) {
      writeFileSync(lockFile, JSON.stringify(holder));
      let changed = false;
      await assert.rejects(
        withKeyringLock(keyringFile, () => (changed = true), { waitMs: 100, pollMs: 10 }),
        new RegExp(`process ${holder.pid} on ${holder.host} holds ${lockFile}`),
      );
      assert.equal(changed, false);
      assert.equal(
        (JSON.parse(readFileSync(lockFile, 'utf8')) as { token: string }).token,
        holder.token,
        'the lock is left as it was',
      );
    }
  });
});
