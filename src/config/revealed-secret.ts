/**
 * A plaintext secret held in memory by the CLI between reading and sealing it. Printing, logging or
 * JSON-serialising it shows "[redacted]", so a stray console.log cannot leak it.
 */
import { inspect } from 'node:util';

export class RevealedSecret {
  readonly #value: string;

  constructor(value: string) {
    this.#value = value;
  }

  reveal(): string {
    return this.#value;
  }

  toJSON(): string {
    return '[redacted]';
  }

  toString(): string {
    return '[redacted]';
  }

  [inspect.custom](): string {
    return 'RevealedSecret([redacted])';
  }
}
