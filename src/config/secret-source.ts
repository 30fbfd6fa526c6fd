/**
 * Where a secret in the spec comes from: `{ "env": "NAME" }`, `{ "file": "path" }` (relative to the spec file), or
 * both: the variable when it is set, else the file (the example spec reads the demo's token file that way).
 * Never inline: a token written into the spec would be committed, copied and shown to anyone who reads the file.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { z } from 'zod';
import { RevealedSecret } from './revealed-secret';

export type SecretSource = { env: string } | { file: string } | { env: string; file: string };

export const secretSourceSchema = z.unknown().transform((value, context): SecretSource => {
  if (typeof value === 'string') {
    context.addIssue({
      code: 'custom',
      message:
        'must not be written inline: give {"env": "VARIABLE"} or {"file": "path"} so the secret stays out of ' +
        'the spec file (which gets committed, copied and shared)',
    });
    return z.NEVER;
  }
  const parsed = z
    .union([
      z.strictObject({ env: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/), file: z.string().min(1) }),
      z.strictObject({ env: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/) }),
      z.strictObject({ file: z.string().min(1) }),
    ])
    .safeParse(value);
  if (!parsed.success) {
    context.addIssue({
      code: 'custom',
      message:
        value === undefined
          ? 'is required: give {"env": "VARIABLE"}, {"file": "path"} or both (the variable, else the file)'
          : 'must be {"env": "VARIABLE"}, {"file": "path"} or both (the variable, else the file)',
    });
    return z.NEVER;
  }
  return parsed.data;
});

/** Reads the secret; the message of a failure says what to fix and never contains the secret. */
export function readSecret(
  source: SecretSource,
  options: { env: NodeJS.ProcessEnv; baseDir: string },
): { ok: true; secret: RevealedSecret } | { ok: false; message: string } {
  if ('env' in source) {
    const value = options.env[source.env]?.trim();
    if (value) return { ok: true, secret: new RevealedSecret(value) };
    const unset = `environment variable ${source.env} is not set or empty`;
    if (!('file' in source)) return { ok: false, message: unset };
    const fromFile = readSecretFile(source.file, options.baseDir);
    return fromFile.ok ? fromFile : { ok: false, message: `${unset}, and ${fromFile.message}` };
  }
  return readSecretFile(source.file, options.baseDir);
}

function readSecretFile(
  file: string,
  baseDir: string,
): { ok: true; secret: RevealedSecret } | { ok: false; message: string } {
  const path = resolve(baseDir, file);
  let value: string;
  try {
    value = readFileSync(path, 'utf8').trim();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return { ok: false, message: `cannot read the file ${path} (${code ?? (error as Error).message})` };
  }
  if (!value) return { ok: false, message: `the file ${path} is empty` };
  return { ok: true, secret: new RevealedSecret(value) };
}
