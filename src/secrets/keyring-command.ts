/**
 * `npm run secrets -- <verb>`: creates and rotates the worker's keyring, and prints its public key for the CLI.
 * Prints public keys, key ids and paths only; private keys stay in the keyring file (mode 0600), never on screen.
 *   create-key [--keyring <file>]                 a new keyring with one key (refuses to overwrite one)
 *   rotate-key [--keyring <file>]                 adds a newer key, keeping the older ones (they still open)
 *   public-key [--keyring <file>] [--out <file>]  the newest key's public key, for DATAFLOW_SECRETS_PUBLIC_KEY
 *   list       [--keyring <file>]                 every key's id, creation date and public key
 * The keyring is --keyring, else DATAFLOW_SECRETS_KEYRING_FILE, else the development data/secrets-keyring.json.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { Command, CommanderError } from 'commander';
import { processIo, type CommandIo } from '../runtime/command-io';
import { developmentKeyringFile } from './development-keys';
import { keyringFromEnvironment } from './key-material-sources';
import { newestKey, type SecretsKeyring } from './keyring';
import { createKeyringFile, readKeyringFile, replaceKeyringFile } from './keyring-file';
import { withKeyringLock } from './keyring-lock';
import { gitExposureWarning, unignoredInGitWorkTree } from './git-exposure';
import { SecretBoxError } from './secret-box';
import { encodePublicKey, generateSecretsKeyPair, type SecretsKeyPair } from './secrets-key-pair';

export const keyringCommandExitCodes = { ok: 0, invalidInput: 2 } as const;

interface KeyringOptions {
  keyring?: string;
  json?: boolean;
  /** public-key only. */
  out?: string;
}

/** Runs one verb; `args` are what follows `npm run secrets --`. */
export async function runKeyringCommand(args: readonly string[], io: CommandIo): Promise<number> {
  let exitCode: number = keyringCommandExitCodes.ok;
  const program = new Command()
    .name('secrets')
    .description("Create, rotate and show the worker's secrets keyring (X25519 keys that open sealed tokens)")
    .exitOverride()
    .configureOutput({ writeOut: (text) => io.out(text), writeErr: (text) => io.err(text) })
    .showHelpAfterError()
    .addHelpText('after', keyringHelp);
  const verb = (
    name: string,
    description: string,
    action: (options: KeyringOptions) => void | Promise<void>,
  ): Command =>
    program
      .command(name)
      .description(description)
      .option(
        '--keyring <file>',
        'the keyring file (default: DATAFLOW_SECRETS_KEYRING_FILE, else data/secrets-keyring.json)',
      )
      .option('--json', 'print one JSON object instead of text')
      .action(async (options: KeyringOptions) => {
        try {
          await action(options);
        } catch (error) {
          if (!(error instanceof SecretBoxError)) throw error;
          io.err(`Error: ${error.message}`);
          exitCode = keyringCommandExitCodes.invalidInput;
        }
      });

  verb('create-key', 'create a new keyring holding one key; refuses to overwrite an existing one', (options) =>
    createKey(options, io),
  );
  verb('rotate-key', 'add a newer key to the keyring; older keys stay, so what they sealed still opens', (options) =>
    rotateKey(options, io),
  );
  verb('public-key', "print the newest key's public key (what the CLI seals with), or write it to a file", (options) =>
    showPublicKey(options, io),
  ).option('--out <file>', 'write the public key to this file instead of printing it');
  verb('list', "list the keyring's keys: id, creation date, public key; the newest seals", (options) =>
    listKeys(options, io),
  );

  try {
    await program.parseAsync([...args], { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) {
      return error.exitCode === 0 ? keyringCommandExitCodes.ok : keyringCommandExitCodes.invalidInput;
    }
    throw error;
  }
  return exitCode;
}

async function createKey(options: KeyringOptions, io: CommandIo): Promise<void> {
  const path = keyringPath(options, io.env);
  const key = generateSecretsKeyPair();
  mkdirSync(dirname(path), { recursive: true });
  const created = await withKeyringLock(path, () => createKeyringFile(path, [key]));
  if (!created) {
    throw new SecretBoxError(`${path} already exists: add a key with rotate-key, or choose another --keyring`);
  }
  if (options.json) io.out(JSON.stringify({ keyring: path, ...describeKey(key), keys: [describeKey(key)] }));
  else
    io.out(
      [
        `Created the secrets keyring ${path} (mode 0600) with key ${key.keyId}.`,
        `  Worker: DATAFLOW_SECRETS_KEYRING_FILE=${path}`,
        `  CLI:    DATAFLOW_SECRETS_PUBLIC_KEY=${encodePublicKey(key.publicKey)}`,
        `          (or a file: npm run secrets -- public-key --keyring ${path} --out public.key)`,
        'Back this file up now, somewhere only operators can read: it holds the private keys, and without them no',
        'token sealed to this keyring can be opened again.',
      ].join('\n'),
    );
  // Last, so it is what the user sees; on stderr, so --json output stays one object.
  const exposed = unignoredInGitWorkTree(path);
  if (exposed) io.err(gitExposureWarning(path, exposed));
}

async function rotateKey(options: KeyringOptions, io: CommandIo): Promise<void> {
  const path = keyringPath(options, io.env);
  if (!existsSync(path)) throw new SecretBoxError(`${path} does not exist: create it with create-key`);
  // Read, add and write back under the lock: another rotate-key in between would otherwise lose one of the two keys.
  const { key, rotated } = await withKeyringLock(path, () => {
    const keyring = readKeyringFile(path);
    // Later than the newest key already there, even with a clock set back: the new key must be the one that seals.
    const newestCreated = Date.parse(newestKey(keyring)?.createdAt ?? '1970-01-01T00:00:00Z');
    const added = generateSecretsKeyPair(new Date(Math.max(Date.now(), newestCreated + 1)));
    const keys = [...keyring, added];
    replaceKeyringFile(path, keys);
    return { key: added, rotated: keys };
  });
  if (options.json)
    return io.out(JSON.stringify({ keyring: path, ...describeKey(key), keys: rotated.map(describeKey) }));
  io.out(
    [
      `Added key ${key.keyId} to ${path}; it now holds ${rotated.length} keys (${rotated.map((k) => k.keyId).join(', ')}).`,
      'Next:',
      '  1. Restart every worker with this keyring: they then open values sealed with any of its keys, and seal',
      `     the tokens they mint with ${key.keyId}.`,
      `  2. Then give the CLI the new public key: DATAFLOW_SECRETS_PUBLIC_KEY=${encodePublicKey(key.publicKey)}`,
      'Keep the older keys: running monitors hold tokens sealed with them. Back up the file again.',
    ].join('\n'),
  );
}

function showPublicKey(options: KeyringOptions, io: CommandIo): void {
  const { source, keyring } = readKeyring(options, io.env);
  const key = newestKey(keyring);
  if (!key) throw new SecretBoxError(`${source} holds no key`);
  const publicKey = encodePublicKey(key.publicKey);
  const out = options.out === undefined ? undefined : resolve(options.out);
  // Public: readable by whoever runs the CLI.
  if (out) writeFileSync(out, `${publicKey}\n`, { mode: 0o644 });
  if (options.json) return io.out(JSON.stringify({ keyring: source, ...describeKey(key), ...(out ? { out } : {}) }));
  if (out) return io.out(`Wrote the public key of key ${key.keyId} (${source}) to ${out}.`);
  io.out(publicKey);
  io.err(
    `(key ${key.keyId} of ${source}, created ${key.createdAt}: give it to the CLI as DATAFLOW_SECRETS_PUBLIC_KEY)`,
  );
}

function listKeys(options: KeyringOptions, io: CommandIo): void {
  const { source, keyring } = readKeyring(options, io.env);
  if (options.json) return io.out(JSON.stringify({ keyring: source, keys: keyring.map(describeKey) }));
  const newest = newestKey(keyring);
  const lines = keyring.map(
    (key) => `  ${key.keyId}  ${key.createdAt}  ${encodePublicKey(key.publicKey)}${key === newest ? '  (seals)' : ''}`,
  );
  io.out([`${source}:`, ...lines].join('\n'));
}

const keyringHelp = `
The worker holds the keyring (private keys; DATAFLOW_SECRETS_KEYRING_FILE); the CLI needs only the newest public
key (DATAFLOW_SECRETS_PUBLIC_KEY or DATAFLOW_SECRETS_PUBLIC_KEY_FILE). Private keys are never printed.

Examples:
  npm run secrets -- create-key --keyring secrets/dataflow-keyring.json
  npm run secrets -- public-key --keyring secrets/dataflow-keyring.json --out secrets/dataflow-public.key
  npm run secrets -- rotate-key --keyring secrets/dataflow-keyring.json
`;

function keyringPath(options: KeyringOptions, env: NodeJS.ProcessEnv): string {
  return resolve(options.keyring ?? (env.DATAFLOW_SECRETS_KEYRING_FILE?.trim() || developmentKeyringFile));
}

/** For the verbs that only read: a keyring given inline in the environment will do too. */
function readKeyring(options: KeyringOptions, env: NodeJS.ProcessEnv): { source: string; keyring: SecretsKeyring } {
  if (options.keyring === undefined && env.DATAFLOW_SECRETS_KEYRING?.trim()) {
    return { source: 'DATAFLOW_SECRETS_KEYRING', keyring: keyringFromEnvironment(env) ?? [] };
  }
  const path = keyringPath(options, env);
  if (!existsSync(path)) throw new SecretBoxError(`${path} does not exist: create it with create-key`);
  return { source: path, keyring: readKeyringFile(path) };
}

/** A key's public facts: what may be printed. */
function describeKey(key: SecretsKeyPair): { keyId: string; createdAt: string; publicKey: string } {
  return { keyId: key.keyId, createdAt: key.createdAt, publicKey: encodePublicKey(key.publicKey) };
}

if (require.main === module) {
  // `npm run secrets` runs in the project folder; file arguments are meant relative to where the user typed it.
  if (process.env.INIT_CWD) process.chdir(process.env.INIT_CWD);
  runKeyringCommand(process.argv.slice(2), processIo).then(
    (code) => (process.exitCode = code),
    (error: unknown) => {
      console.error(`Error: ${error instanceof Error ? error.message : String(error)}`);
      process.exitCode = 1;
    },
  );
}
