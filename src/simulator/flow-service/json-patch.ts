/**
 * The JSON Patch subset Flow Service accepts: `add`, `replace` and `remove` (any letter case, as the docs use
 * lowercase and the spec uppercase), with RFC 6901 pointers. Anything else is refused with AEP's codes.
 */
import { flowError } from '../problems';
import { emptyBody, invalidPatch } from './flow-errors';
import { isJsonObject } from './request-parts';

export interface PatchOperation {
  op: 'add' | 'replace' | 'remove';
  path: string;
  value?: unknown;
}

export function parsePatchDocument(body: unknown): PatchOperation[] {
  if (body === undefined || body === null || body === '') throw emptyBody();
  if (!Array.isArray(body)) throw invalidPatch('the request body must be a JSON Patch array.');
  if (body.length === 0) throw emptyBody();
  return body.map((operation: unknown, index) => {
    if (!isJsonObject(operation)) throw invalidPatch(`operation ${index} is not an object.`);
    const op = typeof operation.op === 'string' ? operation.op.toLowerCase() : undefined;
    if (op === undefined) throw invalidPatch(`Missing field "op" in operation ${index}.`);
    if (op !== 'add' && op !== 'replace' && op !== 'remove') {
      throw flowError(
        400,
        1434,
        `Unsupported operation '${String(operation.op)}' received. Please use one of the supported operation types and try again.`,
      );
    }
    if (typeof operation.path !== 'string' || !operation.path.startsWith('/')) {
      throw invalidPatch(`Missing or invalid field "path" in operation ${index}.`);
    }
    if (op !== 'remove' && !('value' in operation)) throw invalidPatch(`Missing field "value" in operation ${index}.`);
    return { op, path: operation.path, value: operation.value };
  });
}

export function pointerSegments(path: string): string[] {
  return path
    .slice(1)
    .split('/')
    .map((segment) => segment.replace(/~1/g, '/').replace(/~0/g, '~'));
}

/** Applies the operations to `document` in place; the caller passes a copy so a failed patch changes nothing. */
export function applyPatch(document: Record<string, unknown>, operations: readonly PatchOperation[]): void {
  for (const operation of operations) {
    const segments = pointerSegments(operation.path);
    const last = segments.pop()!;
    let parent: unknown = document;
    for (const segment of segments) {
      parent = child(parent, segment, operation.path);
    }
    if (Array.isArray(parent)) applyToArray(parent, last, operation);
    else if (isJsonObject(parent)) applyToObject(parent, last, operation);
    else throw invalidPatch(`Missing field "${operation.path}".`);
  }
}

function child(container: unknown, segment: string, path: string): unknown {
  if (Array.isArray(container)) {
    const index = arrayIndex(segment, container.length - 1, path);
    return container[index];
  }
  if (isJsonObject(container) && segment in container) return container[segment];
  throw invalidPatch(`Missing field "${path}".`);
}

function applyToObject(target: Record<string, unknown>, key: string, operation: PatchOperation): void {
  if (operation.op !== 'add' && !(key in target)) throw invalidPatch(`Missing field "${operation.path}".`);
  if (operation.op === 'remove') delete target[key];
  else target[key] = structuredClone(operation.value);
}

function applyToArray(target: unknown[], segment: string, operation: PatchOperation): void {
  if (operation.op === 'add') {
    const index = segment === '-' ? target.length : arrayIndex(segment, target.length, operation.path);
    target.splice(index, 0, structuredClone(operation.value));
    return;
  }
  const index = arrayIndex(segment, target.length - 1, operation.path);
  if (operation.op === 'remove') target.splice(index, 1);
  else target[index] = structuredClone(operation.value);
}

function arrayIndex(segment: string, maximum: number, path: string): number {
  if (!/^(0|[1-9][0-9]*)$/.test(segment)) throw invalidPatch(`Invalid array index in path "${path}".`);
  const index = Number(segment);
  if (index > maximum) throw invalidPatch(`Missing field "${path}".`);
  return index;
}
