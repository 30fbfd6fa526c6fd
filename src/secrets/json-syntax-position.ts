/**
 * Where a JSON text stops being JSON (RFC 8259), as a line and column. Keyring files hold private keys, and V8's
 * JSON.parse message quotes the text around the failure: a keyring's parse error says only this position.
 */

export interface TextPosition {
  /** 0-based offset in UTF-16 code units. */
  offset: number;
  /** 1-based. */
  line: number;
  /** 1-based. */
  column: number;
}

/** The position of the first syntax error in `text`, or undefined when it is JSON. */
export function jsonSyntaxErrorPosition(text: string): TextPosition | undefined {
  const offset = new JsonScanner(text).firstErrorOffset();
  return offset === undefined ? undefined : positionOf(text, offset);
}

export function positionOf(text: string, offset: number): TextPosition {
  const before = text.slice(0, offset);
  const lineStart = before.lastIndexOf('\n') + 1;
  return { offset, line: before.split('\n').length, column: offset - lineStart + 1 };
}

/** Thrown inside the scanner only, carrying the offset where the text went wrong. */
class SyntaxAt {
  constructor(readonly offset: number) {}
}

class JsonScanner {
  private at = 0;

  constructor(private readonly text: string) {}

  firstErrorOffset(): number | undefined {
    try {
      this.whitespace();
      this.value();
      this.whitespace();
      if (this.at < this.text.length) throw new SyntaxAt(this.at);
      return undefined;
    } catch (error) {
      if (error instanceof SyntaxAt) return error.offset;
      throw error;
    }
  }

  private value(): void {
    const char = this.text[this.at];
    if (char === '{') return this.object();
    if (char === '[') return this.array();
    if (char === '"') return this.string();
    if (char === '-' || (char !== undefined && char >= '0' && char <= '9')) return this.number();
    for (const literal of ['true', 'false', 'null']) {
      if (this.text.startsWith(literal, this.at)) {
        this.at += literal.length;
        return;
      }
    }
    throw new SyntaxAt(this.at);
  }

  private object(): void {
    this.at += 1;
    this.whitespace();
    if (this.text[this.at] === '}') {
      this.at += 1;
      return;
    }
    for (;;) {
      if (this.text[this.at] !== '"') throw new SyntaxAt(this.at);
      this.string();
      this.whitespace();
      this.expect(':');
      this.whitespace();
      this.value();
      this.whitespace();
      if (this.text[this.at] === '}') {
        this.at += 1;
        return;
      }
      this.expect(',');
      this.whitespace();
    }
  }

  private array(): void {
    this.at += 1;
    this.whitespace();
    if (this.text[this.at] === ']') {
      this.at += 1;
      return;
    }
    for (;;) {
      this.value();
      this.whitespace();
      if (this.text[this.at] === ']') {
        this.at += 1;
        return;
      }
      this.expect(',');
      this.whitespace();
    }
  }

  private string(): void {
    this.at += 1;
    for (;;) {
      const char = this.text[this.at];
      if (char === undefined || char < ' ') throw new SyntaxAt(this.at);
      this.at += 1;
      if (char === '"') return;
      if (char !== '\\') continue;
      const escaped = this.text[this.at];
      if (escaped !== undefined && '"\\/bfnrt'.includes(escaped)) {
        this.at += 1;
      } else if (escaped === 'u') {
        this.at += 1;
        for (let digit = 0; digit < 4; digit++) this.one(/[0-9a-fA-F]/);
      } else {
        throw new SyntaxAt(this.at);
      }
    }
  }

  private number(): void {
    if (this.text[this.at] === '-') this.at += 1;
    if (this.text[this.at] === '0') this.at += 1;
    else this.digits();
    if (this.text[this.at] === '.') {
      this.at += 1;
      this.digits();
    }
    if (this.text[this.at] === 'e' || this.text[this.at] === 'E') {
      this.at += 1;
      if (this.text[this.at] === '+' || this.text[this.at] === '-') this.at += 1;
      this.digits();
    }
  }

  /** One digit or more. */
  private digits(): void {
    this.one(/[0-9]/);
    while (/[0-9]/.test(this.text[this.at] ?? '')) this.at += 1;
  }

  private one(allowed: RegExp): void {
    if (!allowed.test(this.text[this.at] ?? '')) throw new SyntaxAt(this.at);
    this.at += 1;
  }

  private expect(char: string): void {
    if (this.text[this.at] !== char) throw new SyntaxAt(this.at);
    this.at += 1;
  }

  private whitespace(): void {
    while (this.at < this.text.length && ' \t\n\r'.includes(this.text[this.at]!)) this.at += 1;
  }
}
