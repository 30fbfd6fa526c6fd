/**
 * rotate-token checks its input before it talks to Temporal: the token comes from a file or stdin, must carry an
 * expiry, and one that dies within a week draws a warning (the rotation still goes ahead).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { readHiddenLine, type TerminalInput } from '../../src/cli/hidden-terminal-input';
import { runRotateToken } from '../../src/cli/rotate-token-command';
import { exitCodes } from '../../src/runtime/command-io';

function unsignedJwt(expiresInSeconds: number): string {
  const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const exp = Math.floor(Date.now() / 1000) + expiresInSeconds;
  return `${encode({ alg: 'none' })}.${encode({ exp })}.signature`;
}

async function rotateWithToken(token: string, stdinIsTerminal = false) {
  const out: string[] = [];
  const err: string[] = [];
  let connected = false;
  const exitCode = await runRotateToken(
    'prod/consent',
    { json: false },
    {
      io: {
        out: (text) => out.push(text),
        err: (text) => err.push(text),
        env: { DATAFLOW_SECRETS_KEY: randomBytes(32).toString('base64') },
      },
      readStdin: () => {
        err.push('<reading stdin>');
        return Promise.resolve(`${token}\n`);
      },
      stdinIsTerminal,
      connect: () => {
        connected = true;
        return Promise.reject(new Error('Temporal is not running in this test'));
      },
    },
  );
  return { exitCode, stdout: out.join('\n'), stderr: err.join('\n'), connected };
}

/** A terminal stand-in: records raw mode, and types what the test sends. */
class FakeTerminal extends EventEmitter implements TerminalInput {
  rawMode = false;
  paused = true;
  setRawMode(mode: boolean) {
    this.rawMode = mode;
  }
  setEncoding() {}
  resume() {
    this.paused = false;
  }
  pause() {
    this.paused = true;
  }
  type(text: string) {
    this.emit('data', text);
  }
}

describe('rotate-token: checking the token before anything is sent', () => {
  it('on a terminal, says where a token comes from and what it waits for before reading standard input', async () => {
    const { stderr } = await rotateWithToken(unsignedJwt(90 * 24 * 3600), true);

    assert.match(stderr, /^Paste the token, then press Ctrl-D \(or use --token-file\):\n<reading stdin>/m);
    const beforeReading = stderr.slice(0, stderr.indexOf('<reading stdin>'));
    assert.match(
      beforeReading,
      /OneTrust's token endpoint[\s\S]*https:\/\/app\.onetrust\.com\/api\/access\/v1\/oauth\/token/,
    );
    assert.match(
      beforeReading,
      /In the demo, the simulator's token endpoint[\s\S]*127\.0\.0\.1:8090\/api\/access\/v1\/oauth\/token/,
    );
  });

  it('says nothing when standard input is a pipe', async () => {
    const { stderr } = await rotateWithToken(unsignedJwt(90 * 24 * 3600), false);

    assert.doesNotMatch(stderr, /Paste the token/);
  });

  it('reads a token from the terminal without echo: Backspace edits, Ctrl-D or Enter ends, Ctrl-C cancels', async () => {
    const terminal = new FakeTerminal();
    const reading = readHiddenLine(terminal);
    assert.equal(terminal.rawMode, true, 'raw mode: the terminal echoes nothing');
    terminal.type('eyJhbGci');
    terminal.type('X\u007fOi\u0004ignored');
    assert.equal(await reading, 'eyJhbGciOi');
    assert.equal(terminal.rawMode, false, 'the terminal is given back as it was');
    assert.equal(terminal.paused, true);
    assert.equal(terminal.listenerCount('data'), 0);

    const byEnter = readHiddenLine(terminal);
    terminal.type('abc\r');
    assert.equal(await byEnter, 'abc');

    const cancelled = readHiddenLine(terminal);
    terminal.type('ab\u0003');
    await assert.rejects(cancelled, /cancelled \(Ctrl-C\)/);
    assert.equal(terminal.rawMode, false);
  });

  it('warns that a token living less than a week will need rotating again soon, then goes ahead', async () => {
    const token = unsignedJwt(20 * 3600);
    const { stderr, connected } = await rotateWithToken(token);

    assert.match(stderr, /^Warning: this token expires in 20 hours, at \d{4}-/m);
    assert.ok(connected, 'the rotation still goes ahead');
    assert.ok(!stderr.includes(token), 'the token is never printed');
  });

  it('refuses an --expires-at later than the token’s own exp', async () => {
    const token = unsignedJwt(30 * 24 * 3600);
    const err: string[] = [];
    const exitCode = await runRotateToken(
      'prod/consent',
      { json: false, expiresAt: new Date(Date.now() + 60 * 24 * 3600 * 1000).toISOString() },
      {
        io: {
          out: () => {},
          err: (text) => err.push(text),
          env: { DATAFLOW_SECRETS_KEY: randomBytes(32).toString('base64') },
        },
        readStdin: () => Promise.resolve(`${token}\n`),
        stdinIsTerminal: false,
        connect: () => Promise.reject(new Error('not reached')),
      },
    );
    assert.equal(exitCode, 2);
    assert.match(err.join(''), /--expires-at .*: later than the token's own expiry/);
  });

  it('says minutes for a token of minutes, not "1 hour(s)"', async () => {
    const { stderr: tenMinutes } = await rotateWithToken(unsignedJwt(10 * 60));
    assert.match(tenMinutes, /^Warning: this token expires in (9|10) minutes, at \d{4}-/m);
    const { stderr: oneMinute } = await rotateWithToken(unsignedJwt(70));
    assert.match(oneMinute, /^Warning: this token expires in 1 minute, at \d{4}-/m);
  });

  it('says nothing of a token that lives for months', async () => {
    const { stderr, connected } = await rotateWithToken(unsignedJwt(90 * 24 * 3600));

    assert.doesNotMatch(stderr, /Warning/);
    assert.ok(connected);
  });

  it('refuses an expired token without contacting Temporal', async () => {
    const { exitCode, stderr, connected } = await rotateWithToken(unsignedJwt(-60));

    assert.equal(exitCode, exitCodes.invalidInput);
    assert.match(stderr, /the token expired at .*: mint a fresh one/);
    assert.equal(connected, false);
  });
});
