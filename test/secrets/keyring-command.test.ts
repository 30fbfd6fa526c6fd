/**
 * `npm run secrets`: create-key writes a 0600 keyring and prints only public material and paths; rotate-key adds a
 * newer key and keeps the old ones; public-key writes what the CLI needs.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadSecretBox, loadSecretSealer } from '../../src/secrets';
import { runKeyringCommand } from '../../src/secrets/keyring-command';
import { spawnTsx } from '../provisioning/spawned-process';

async function secrets(...args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const exitCode = await runKeyringCommand(args, {
    out: (text) => out.push(text),
    err: (text) => err.push(text),
    env: {},
  });
  return { exitCode, output: [...out, ...err].join('\n'), stdout: out.join('\n') };
}

/** Every private key in the keyring file, as stored (base64url), and as base64 too. */
function privateKeysIn(keyringFile: string): string[] {
  const { keys } = JSON.parse(readFileSync(keyringFile, 'utf8')) as { keys: { privateKey: string }[] };
  return keys.flatMap(({ privateKey }) => [privateKey, Buffer.from(privateKey, 'base64url').toString('base64')]);
}

function assertNoPrivateMaterial(output: string, keyringFile: string): void {
  for (const privateKey of privateKeysIn(keyringFile))
    assert.ok(!output.includes(privateKey), 'a private key was printed');
  assert.doesNotMatch(output, /privateKey|PRIVATE KEY/);
}

describe('the keyring command (npm run secrets)', () => {
  it('create-key writes a 0600 keyring, prints its path and public key, and no private key', async () => {
    const keyringFile = join(mkdtempSync(join(tmpdir(), 'keyring-command-')), 'secrets', 'keyring.json');
    const created = await secrets('create-key', '--keyring', keyringFile);

    assert.equal(created.exitCode, 0, created.output);
    assert.equal(statSync(keyringFile).mode & 0o777, 0o600);
    assert.match(created.output, new RegExp(`DATAFLOW_SECRETS_KEYRING_FILE=${keyringFile}`));
    assert.match(created.output, /DATAFLOW_SECRETS_PUBLIC_KEY=x25519:[\w-]{43}\n/);
    assert.match(created.output, /Back this file up/);
    assertNoPrivateMaterial(created.output, keyringFile);

    const again = await secrets('create-key', '--keyring', keyringFile);
    assert.equal(again.exitCode, 2);
    assert.match(again.output, /already exists: add a key with rotate-key/);
  });

  it('rotate-key adds the newest key and keeps the old one; public-key hands the CLI the newest', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'keyring-command-'));
    const keyringFile = join(folder, 'keyring.json');
    const created = await secrets('create-key', '--keyring', keyringFile, '--json');
    const first = JSON.parse(created.stdout) as { keyId: string };
    const sealedBeforeRotation = loadSecretSealer({ DATAFLOW_SECRETS_KEYRING_FILE: keyringFile }).seal('old token');

    const rotated = await secrets('rotate-key', '--keyring', keyringFile);
    assert.equal(rotated.exitCode, 0, rotated.output);
    assert.equal(statSync(keyringFile).mode & 0o777, 0o600, 'still 0600 after the rewrite');
    assertNoPrivateMaterial(rotated.output, keyringFile);
    const listed = await secrets('list', '--keyring', keyringFile, '--json');
    const { keys } = JSON.parse(listed.stdout) as { keys: { keyId: string }[] };
    assert.equal(keys.length, 2);
    assert.equal(keys[0]!.keyId, first.keyId);
    const newest = keys[1]!.keyId;
    assertNoPrivateMaterial(listed.output, keyringFile);

    const publicKeyFile = join(folder, 'public.key');
    const written = await secrets('public-key', '--keyring', keyringFile, '--out', publicKeyFile);
    assert.equal(written.exitCode, 0, written.output);
    assertNoPrivateMaterial(readFileSync(publicKeyFile, 'utf8') + written.output, keyringFile);

    const cli = loadSecretSealer({ DATAFLOW_SECRETS_PUBLIC_KEY_FILE: publicKeyFile });
    assert.equal(cli.keyId, newest);
    const worker = loadSecretBox({ DATAFLOW_SECRETS_KEYRING_FILE: keyringFile });
    assert.equal(worker.open(sealedBeforeRotation), 'old token');
    assert.equal(worker.open(cli.seal('new token')), 'new token');
  });

  it('reports a missing keyring without creating one', async () => {
    const keyringFile = join(mkdtempSync(join(tmpdir(), 'keyring-command-')), 'keyring.json');
    for (const verb of ['rotate-key', 'public-key', 'list']) {
      const result = await secrets(verb, '--keyring', keyringFile);
      assert.equal(result.exitCode, 2, verb);
      assert.match(result.output, /does not exist: create it with create-key/);
    }
    assert.equal(existsSync(keyringFile), false);
  });

  it('runs as a program (what `npm run secrets` starts)', async function () {
    this.timeout(60_000);
    const keyringFile = join(mkdtempSync(join(tmpdir(), 'keyring-command-')), 'keyring.json');
    const child = spawnTsx('src/secrets/keyring-command.ts', ['create-key', '--keyring', keyringFile], {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
    });
    assert.equal(await child.closed, 0, child.output());
    assert.equal(statSync(keyringFile).mode & 0o777, 0o600);
    assertNoPrivateMaterial(child.output(), keyringFile);
    const script = (JSON.parse(readFileSync('package.json', 'utf8')) as { scripts: Record<string, string> }).scripts
      .secrets;
    assert.equal(script, 'tsx src/secrets/keyring-command.ts');
  });
});
