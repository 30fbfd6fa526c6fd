/**
 * `npm run secrets`: create-key writes a 0600 keyring and prints only public material and paths; rotate-key adds a
 * newer key and keeps the old ones; public-key writes what the CLI needs.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
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

/** A fresh git work tree, with `ignoreRules` in its .gitignore when given. */
function gitWorkTree(ignoreRules?: string): string {
  const folder = mkdtempSync(join(tmpdir(), 'keyring-git-'));
  const init = spawnSync('git', ['init', '--quiet', folder]);
  assert.equal(init.status, 0, String(init.stderr));
  if (ignoreRules !== undefined) writeFileSync(join(folder, '.gitignore'), ignoreRules);
  return folder;
}

/** The paths README.md, .env.example and docs/ tell people to keep keys and secrets at. */
function documentedSecretPaths(): string[] {
  const documents = ['README.md', '.env.example', ...readdirSync('docs').map((name) => join('docs', name))];
  const mentioned = documents.flatMap((document) =>
    [
      ...readFileSync(document, 'utf8').matchAll(
        /(?<![\w/.-])(?:\.\/)?(?:secrets|data)\/[\w.-]+\.(?:json|key|txt|pem)\b/g,
      ),
    ].map((match) => match[0].replace(/^\.\//, '')),
  );
  return [...new Set(mentioned)];
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

  describe('a keyring written where git would commit it', () => {
    async function createKeyCapturingStderr(keyringFile: string) {
      const err: string[] = [];
      const exitCode = await runKeyringCommand(['create-key', '--keyring', keyringFile], {
        out: () => undefined,
        err: (text) => err.push(text),
        env: {},
      });
      return { exitCode, stderr: err.join('\n') };
    }

    it('create-key warns on stderr when the work tree does not ignore it, naming the rule to add', async () => {
      const workTree = gitWorkTree('node_modules/\n');
      const keyringFile = join(workTree, 'secrets', 'dataflow-keyring.json');
      const created = await createKeyCapturingStderr(keyringFile);
      assert.equal(created.exitCode, 0, created.stderr);
      assert.match(
        created.stderr,
        /^Warning: .*dataflow-keyring\.json holds private keys and is inside the git work tree/,
      );
      assert.match(created.stderr, /one `git add -A` would commit it\. Add "\/secrets\/" to .*\.gitignore/);
      assertNoPrivateMaterial(created.stderr, keyringFile);
    });

    it('says nothing when the work tree ignores it, or outside a work tree', async () => {
      const ignoring = await createKeyCapturingStderr(join(gitWorkTree('/secrets/\n'), 'secrets', 'keyring.json'));
      assert.deepEqual(ignoring, { exitCode: 0, stderr: '' });
      const plainFolder = mkdtempSync(join(tmpdir(), 'keyring-command-'));
      const outside = await createKeyCapturingStderr(join(plainFolder, 'keyring.json'));
      assert.deepEqual(outside, { exitCode: 0, stderr: '' });
    });

    it('says nothing when git is not installed', async function () {
      this.timeout(60_000);
      const keyringFile = join(gitWorkTree(), 'keyring.json');
      // A PATH of one empty folder: node is started by its full path, and no git can be found.
      const emptyPath = mkdtempSync(join(tmpdir(), 'no-git-'));
      const child = spawnTsx(
        'src/secrets/keyring-command.ts',
        ['create-key', '--keyring', keyringFile],
        { PATH: emptyPath },
        { runner: 'node' },
      );
      assert.equal(await child.closed, 0, child.output());
      assert.match(child.output(), /Created the secrets keyring/);
      assert.doesNotMatch(child.output(), /Warning/);
    });

    it("the project's own .gitignore ignores every place the docs tell people to keep keys", () => {
      const paths = documentedSecretPaths();
      assert.ok(paths.includes('secrets/dataflow-keyring.json'), paths.join(', '));
      const checked = spawnSync('git', ['check-ignore', '--no-index', '--verbose', '--non-matching', ...paths], {
        encoding: 'utf8',
      });
      const unignored = checked.stdout
        .split('\n')
        .filter((line) => line.startsWith('::'))
        .map((line) => line.replace(/^::\s*/, ''));
      assert.deepEqual(unignored, [], 'not ignored by git');
      const code = spawnSync('git', ['check-ignore', '--no-index', '--quiet', 'src/secrets/keyring.ts']);
      assert.equal(code.status, 1, 'src/secrets/ is code, not ignored');
    });
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
