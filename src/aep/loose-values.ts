/** zod types for the places where AEP is loose: numbers and booleans that arrive as strings. */
import { z } from 'zod';

/** `1612310466` or `"1612310466"` → 1612310466. */
export const looseNumber = z.union([
  z.number(),
  z
    .string()
    .trim()
    .regex(/^-?\d+(\.\d+)?$/, { error: 'expected a number' })
    .transform(Number),
]);

/** `true` or `"true"` → true. */
export const looseBoolean = z.union([
  z.boolean(),
  z
    .string()
    .trim()
    .toLowerCase()
    .pipe(z.enum(['true', 'false']))
    .transform((value) => value === 'true'),
]);

/** A JSON object whose fields we do not model. */
export const jsonObject = z.record(z.string(), z.unknown());
