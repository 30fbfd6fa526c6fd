/**
 * A malformed keyring is reported by its path (or variable) and the position of the problem, never by quoting it:
 * the text around a syntax error, or a value that fails a check, may be private key material. V8's own JSON.parse
 * message quotes the text around some errors, so it must never reach a message.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadSecretBox, SecretBoxError } from '../../src/secrets';
import { runKeyringCommand } from '../../src/secrets/keyring-command';
import { serializeKeyring } from '../../src/secrets/keyring';
import { generateSecretsKeyPair } from '../../src/secrets/secrets-key-pair';
import { spawnTsx } from '../provisioning/spawned-process';

/** Looks like key material and is easy to find in any output. */
const keyLikeSecret = 'sUp3rS3cr3tPr1vat3K3yMat3r1alXq9ZfLw7Hd2RbN5mTc8Vy4Kj6Pg1Ua3Se0';

/** A keyring file whose privateKey lost its opening quote: the syntax error is at the key's first character. */
const malformedKeyring = [
  '{',
  '  "keys": [',
  '    {',
  '      "keyId": "Ab12Cd34Ef5",',
  '      "createdAt": "2025-01-01T00:00:00.000Z",',
  '      "publicKey": "x25519:AAAA",',
  `      "privateKey": ${keyLikeSecret}"`,
  '    }',
  '  ]',
  '}',
  '',
].join('\n');
const syntaxErrorAt = 'syntax error at line 7, column 21';

/** No 8 characters in a row of the secret appear in `text`. */
function assertQuotesNothingOf(text: string, secret: string = keyLikeSecret): void {
  for (let start = 0; start + 8 <= secret.length; start++) {
    const piece = secret.slice(start, start + 8);
    assert.ok(!text.includes(piece), `the output quotes "${piece}" of the key material:\n${text}`);
  }
}

function keyringFileWith(content: string): string {
  const file = join(mkdtempSync(join(tmpdir(), 'keyring-parse-')), 'keyring.json');
  writeFileSync(file, content, { mode: 0o600 });
  return file;
}

function messageOf(load: () => unknown): string {
  try {
    load();
  } catch (error) {
    assert.ok(error instanceof SecretBoxError, String(error));
    assert.equal(error.cause, undefined, 'no cause to log with it');
    return error.message;
  }
  assert.fail('expected the keyring to be refused');
}

async function secrets(...args: string[]) {
  const lines: string[] = [];
  const exitCode = await runKeyringCommand(args, {
    out: (text) => lines.push(text),
    err: (text) => lines.push(text),
    env: {},
  });
  return { exitCode, output: lines.join('\n') };
}

describe('a malformed keyring is reported without quoting it', () => {
  it('names the file and the line and column of a syntax error, where JSON.parse would quote the key', () => {
    assert.throws(() => JSON.parse(malformedKeyring), new RegExp(keyLikeSecret.slice(0, 8)), 'V8 quotes it here');
    const file = keyringFileWith(malformedKeyring);

    const message = messageOf(() => loadSecretBox({ DATAFLOW_SECRETS_KEYRING_FILE: file }));
    assert.equal(message, `${file} is not a keyring: not JSON (${syntaxErrorAt})`);

    const inline = messageOf(() => loadSecretBox({ DATAFLOW_SECRETS_KEYRING: malformedKeyring }));
    assert.equal(inline, `DATAFLOW_SECRETS_KEYRING is not a keyring: not JSON (${syntaxErrorAt})`);
  });

  it('npm run secrets says the same for every verb that reads it, and rotate-key leaves the file alone', async () => {
    const file = keyringFileWith(malformedKeyring);
    for (const verb of ['rotate-key', 'public-key', 'list']) {
      const result = await secrets(verb, '--keyring', file);
      assert.equal(result.exitCode, 2, verb);
      assert.equal(result.output, `Error: ${file} is not a keyring: not JSON (${syntaxErrorAt})`, verb);
    }
    assert.equal(readFileSync(file, 'utf8'), malformedKeyring);
  });

  it('names the field that fails a check, never its value', () => {
    const valid = JSON.parse(serializeKeyring([generateSecretsKeyPair()])) as { keys: Record<string, unknown>[] };
    const [key] = valid.keys;
    const variants: Array<[string, Record<string, unknown>, RegExp]> = [
      ['createdAt', { ...key, createdAt: keyLikeSecret }, /keys\.0\.createdAt: must be an ISO 8601 date-time/],
      ['keyId', { ...key, keyId: { id: keyLikeSecret } }, /keys\.0\.keyId: Invalid input: expected string/],
      ['privateKey', { ...key, privateKey: keyLikeSecret }, /keys\[0\]: a private key must be base64url/],
      ['publicKey', { ...key, publicKey: keyLikeSecret }, /keys\[0\] must hold a secrets public key/],
      ['keyId', { ...key, keyId: keyLikeSecret, privateKey: 'short' }, /keys\[0\]: a private key must be base64url/],
    ];
    for (const [field, entry, expected] of variants) {
      const file = keyringFileWith(JSON.stringify({ keys: [entry] }));
      const message = messageOf(() => loadSecretBox({ DATAFLOW_SECRETS_KEYRING_FILE: file }));
      assert.match(message, expected, field);
      assert.ok(message.startsWith(file), field);
      assertQuotesNothingOf(message);
    }
  });

  it('the worker and `npm run secrets` print only the file and the position', async function () {
    this.timeout(60_000);
    const file = keyringFileWith(malformedKeyring);
    const worker = spawnTsx(
      'src/worker.ts',
      [],
      {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        DATAFLOW_SECRETS_KEYRING_FILE: file,
        // Everything else a worker reads before its keys; nothing listens on this address.
        TEMPORAL_ADDRESS: '127.0.0.1:9',
        AEP_CLIENT_ID: 'client-id',
        AEP_CLIENT_SECRET: 'client-secret',
        AEP_ORG_ID: 'ORG0000000000000000000000@AdobeOrg',
      },
      { runner: 'node' },
    );
    const command = spawnTsx(
      'src/secrets/keyring-command.ts',
      ['rotate-key', '--keyring', file],
      { PATH: process.env.PATH },
      { runner: 'node' },
    );
    assert.equal(await worker.closed, 1, worker.output());
    assert.equal(await command.closed, 2, command.output());
    assert.match(
      worker.output(),
      new RegExp(`worker failed: ${file} is not a keyring: not JSON \\(${syntaxErrorAt}\\)`),
    );
    assert.equal(command.output().trim(), `Error: ${file} is not a keyring: not JSON (${syntaxErrorAt})`);
    assertQuotesNothingOf(worker.output() + command.output());
  });
});
