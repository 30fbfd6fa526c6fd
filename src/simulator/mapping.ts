/**
 * Applying Data Prep mappings to one source record.
 *
 * - ATTRIBUTE copies the value at the source path (`content.Identifier`, `content.Purposes[0].Name`; arrays and
 *   objects are copied whole) to the destination path, creating objects (and arrays for `[n]`) on the way.
 *   A missing source leaves the destination unset.
 * - STATIC places the source text itself.
 * - EXPRESSION supports a small subset of Data Prep functions: literals, attribute paths, concat, lower,
 *   upper, trim, now and uuid. Anything else is refused when the mapping set is saved.
 * Values are converted to the destination field's type where Data Prep would (numbers and booleans to
 * strings, numeric strings to numbers, "true"/"false" to booleans); a value that cannot be placed fails the
 * record with MAPPER-3700-400.
 */
import { randomUUID } from 'node:crypto';

export const mapperTransformErrorCode = 'MAPPER-3700-400';

export type MappingKind = 'ATTRIBUTE' | 'EXPRESSION' | 'STATIC';

export interface PathSegment {
  key: string;
  /** Array indexes following the key: `a[0][1]` → [0, 1]. */
  indexes: number[];
}

export interface CompiledMapping {
  destination: string;
  destinationPath: PathSegment[];
  evaluate(record: unknown): unknown;
}

export class MappingError extends Error {}

/** `content.Purposes[0].Name` → segments; throws MappingError on malformed paths (and on `[*]`). */
export function parsePath(path: string): PathSegment[] {
  if (path.trim() === '') throw new MappingError('empty path');
  return path.split('.').map((part) => {
    const match = /^([^[\]]+)((?:\[\d+\])*)$/.exec(part);
    if (!match?.[1]) throw new MappingError(`malformed path '${path}' (only numeric [n] indexes are supported)`);
    const indexes = [...(match[2] ?? '').matchAll(/\[(\d+)\]/g)].map((index) => Number(index[1]));
    return { key: match[1], indexes };
  });
}

/** The path without indexes, as the schema's field list spells it. */
export function fieldPathOf(segments: PathSegment[]): string {
  return segments.map((segment) => segment.key).join('.');
}

export function readPath(record: unknown, segments: PathSegment[]): unknown {
  let current: unknown = record;
  for (const segment of segments) {
    if (!isPlainObject(current) || !(segment.key in current)) return undefined;
    current = current[segment.key];
    for (const index of segment.indexes) {
      if (!Array.isArray(current) || index >= current.length) return undefined;
      current = current[index];
    }
  }
  return current;
}

/** Places `value` at the path inside `target`, creating containers; throws MappingError when it cannot. */
export function writePath(
  target: Record<string, unknown>,
  segments: PathSegment[],
  value: unknown,
  destination: string,
): void {
  let container: Record<string, unknown> | unknown[] = target;
  segments.forEach((segment, segmentIndex) => {
    const lastSegment = segmentIndex === segments.length - 1;
    // Each step is either an object key or an array index; `steps` lists them in order.
    const steps: Array<string | number> = [segment.key, ...segment.indexes];
    steps.forEach((step, stepIndex) => {
      const isLast = lastSegment && stepIndex === steps.length - 1;
      const nextStep = stepIndex < steps.length - 1 ? steps[stepIndex + 1] : undefined;
      const childShouldBeArray = typeof nextStep === 'number';
      const existing = readStep(container, step);
      if (isLast) {
        if (existing !== undefined) throw new MappingError(`destination '${destination}' is mapped more than once`);
        writeStep(container, step, value);
        return;
      }
      if (existing === undefined) {
        const created: Record<string, unknown> | unknown[] = childShouldBeArray ? [] : {};
        writeStep(container, step, created);
        container = created;
        return;
      }
      if (childShouldBeArray ? !Array.isArray(existing) : !isPlainObject(existing)) {
        throw new MappingError(`cannot place a value at '${destination}': '${String(step)}' already holds a value`);
      }
      container = existing as Record<string, unknown> | unknown[];
    });
  });
}

function readStep(container: Record<string, unknown> | unknown[], step: string | number): unknown {
  return Array.isArray(container) ? container[step as number] : container[step as string];
}

function writeStep(container: Record<string, unknown> | unknown[], step: string | number, value: unknown): void {
  if (Array.isArray(container)) {
    if (typeof step !== 'number') throw new MappingError(`cannot use key '${step}' on an array`);
    // Arrays grow densely: unfilled slots before the index become null, as JSON would show them.
    while (container.length < step) container.push(null);
    container[step] = value;
  } else {
    if (typeof step === 'number') throw new MappingError(`cannot use index [${step}] on an object`);
    container[step] = value;
  }
}

/** Converts a value to the destination field's XDM/JSON type, or throws MappingError. */
export function convertToFieldType(value: unknown, fieldType: string | undefined, destination: string): unknown {
  if (value === null || fieldType === undefined || fieldType === 'unknown') return value;
  const describe = Array.isArray(value) ? 'array' : typeof value;
  const refuse = () =>
    new MappingError(`cannot convert a value of type ${describe} to ${fieldType} for destination '${destination}'`);
  switch (fieldType) {
    case 'string':
      if (typeof value === 'string') return value;
      if (typeof value === 'number' || typeof value === 'boolean') return String(value);
      throw refuse();
    case 'number':
    case 'integer': {
      const number =
        typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : NaN;
      if (Number.isNaN(number) || (fieldType === 'integer' && !Number.isInteger(number))) throw refuse();
      return number;
    }
    case 'boolean':
      if (typeof value === 'boolean') return value;
      if (value === 'true' || value === 'false') return value === 'true';
      throw refuse();
    case 'object':
      if (isPlainObject(value)) return value;
      throw refuse();
    case 'array':
      if (Array.isArray(value)) return value;
      throw refuse();
    default:
      return value;
  }
}

/** Compiles one mapping; throws MappingError for a source that cannot be evaluated. */
export function compileMapping(kind: MappingKind, source: string, destination: string): CompiledMapping {
  const destinationPath = parsePath(destination);
  if (kind === 'STATIC') return { destination, destinationPath, evaluate: () => source };
  if (kind === 'ATTRIBUTE') {
    const sourcePath = parsePath(source);
    return { destination, destinationPath, evaluate: (record) => structuredClone(readPath(record, sourcePath)) };
  }
  const expression = parseExpression(source);
  return { destination, destinationPath, evaluate: (record) => evaluateExpression(expression, record) };
}

type Expression =
  | { type: 'literal'; value: string | number | boolean | null }
  | { type: 'path'; path: PathSegment[] }
  | { type: 'call'; name: string; args: Expression[] };

const expressionFunctions: Record<string, { arity: [number, number]; apply: (args: unknown[]) => unknown }> = {
  concat: {
    arity: [1, Infinity],
    apply: (args) => (args.some((arg) => arg === undefined || arg === null) ? null : args.map(String).join('')),
  },
  lower: { arity: [1, 1], apply: ([text]) => (typeof text === 'string' ? text.toLowerCase() : null) },
  upper: { arity: [1, 1], apply: ([text]) => (typeof text === 'string' ? text.toUpperCase() : null) },
  trim: { arity: [1, 1], apply: ([text]) => (typeof text === 'string' ? text.trim() : null) },
  now: { arity: [0, 0], apply: () => new Date().toISOString() },
  uuid: { arity: [0, 0], apply: () => randomUUID() },
};

function parseExpression(text: string): Expression {
  const tokens = [...text.matchAll(/\s*("(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|[(),]|[^\s(),]+)/g)].map(
    (match) => match[1] ?? '',
  );
  let position = 0;
  const parse = (): Expression => {
    const token = tokens[position++];
    if (token === undefined) throw new MappingError(`incomplete expression '${text}'`);
    if (/^["']/.test(token)) return { type: 'literal', value: token.slice(1, -1).replace(/\\(.)/g, '$1') };
    if (/^-?\d+(\.\d+)?$/.test(token)) return { type: 'literal', value: Number(token) };
    if (token === 'true' || token === 'false') return { type: 'literal', value: token === 'true' };
    if (token === 'null') return { type: 'literal', value: null };
    if (tokens[position] === '(') {
      const definition = expressionFunctions[token.toLowerCase()];
      if (!definition) throw new MappingError(`unsupported function '${token}' in expression '${text}'`);
      position += 1;
      const args: Expression[] = [];
      while (tokens[position] !== ')') {
        args.push(parse());
        if (tokens[position] === ',') position += 1;
        else if (tokens[position] !== ')') throw new MappingError(`malformed expression '${text}'`);
      }
      position += 1;
      const [minimum, maximum] = definition.arity;
      if (args.length < minimum || args.length > maximum) {
        throw new MappingError(`wrong number of arguments to '${token}' in expression '${text}'`);
      }
      return { type: 'call', name: token.toLowerCase(), args };
    }
    if (token === '(' || token === ')' || token === ',') throw new MappingError(`malformed expression '${text}'`);
    return { type: 'path', path: parsePath(token) };
  };
  const expression = parse();
  if (position !== tokens.length) throw new MappingError(`malformed expression '${text}'`);
  return expression;
}

function evaluateExpression(expression: Expression, record: unknown): unknown {
  switch (expression.type) {
    case 'literal':
      return expression.value;
    case 'path':
      return structuredClone(readPath(record, expression.path));
    case 'call':
      return expressionFunctions[expression.name]!.apply(
        expression.args.map((argument) => evaluateExpression(argument, record)),
      );
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
