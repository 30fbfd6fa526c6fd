/**
 * Where a JSON text stops being JSON, as a line and column. Keyring files hold private keys, and V8's JSON.parse
 * message quotes the text around the failure: a keyring's parse error says only this position. jsonc-parser
 * reports errors as offsets, never as text; comments and trailing commas are refused, as JSON.parse refuses them.
 */
import { parse, type ParseError } from 'jsonc-parser';

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
  const errors: ParseError[] = [];
  parse(text, errors, { disallowComments: true, allowTrailingComma: false, allowEmptyContent: false });
  const first = errors[0];
  return first === undefined ? undefined : positionOf(text, first.offset);
}

export function positionOf(text: string, offset: number): TextPosition {
  const before = text.slice(0, offset);
  const lineStart = before.lastIndexOf('\n') + 1;
  return { offset, line: before.split('\n').length, column: offset - lineStart + 1 };
}
