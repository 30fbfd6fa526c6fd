/**
 * Reading a secret typed or pasted into a terminal without showing it: raw mode, so nothing is echoed (the token
 * stays off the screen and out of the scrollback). Enter or Ctrl-D ends it, Backspace works, Ctrl-C cancels.
 */

/** The part of a TTY stream this needs (process.stdin; tests pass a stand-in). */
export interface TerminalInput {
  setRawMode(mode: boolean): unknown;
  setEncoding(encoding: BufferEncoding): unknown;
  resume(): unknown;
  pause(): unknown;
  on(event: 'data', listener: (chunk: string) => void): unknown;
  off(event: 'data', listener: (chunk: string) => void): unknown;
}

export class InputCancelledError extends Error {
  override readonly name = 'InputCancelledError';
}

const endOfInput = new Set(['\r', '\n', '\u0004']);
const erase = new Set(['\u007f', '\b']);
const interrupt = '\u0003';

export function readHiddenLine(input: TerminalInput): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    const finish = (outcome: () => void) => {
      input.off('data', onData);
      input.setRawMode(false);
      input.pause();
      outcome();
    };
    const onData = (chunk: string) => {
      for (const character of chunk) {
        if (character === interrupt) return finish(() => reject(new InputCancelledError('cancelled (Ctrl-C)')));
        if (endOfInput.has(character)) return finish(() => resolve(text));
        if (erase.has(character)) text = text.slice(0, -1);
        else text += character;
      }
    };
    input.setEncoding('utf8');
    input.setRawMode(true);
    input.on('data', onData);
    input.resume();
  });
}
