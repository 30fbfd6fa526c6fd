/**
 * The README's output samples, read back so tests can hold them to what the CLI really prints: a sample whose
 * labels drift from the real output fails the test that runs the same verb.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

const readme = readFileSync(resolve(__dirname, '../../README.md'), 'utf8');

/** The output lines of the README sample that starts with `$ npm run client -- <verb> …` (the first one). */
export function readmeSample(verb: string): string[] {
  const lines = readme.split('\n');
  const start = lines.findIndex((line) => line.startsWith(`$ npm run client -- ${verb} `));
  if (start < 0) throw new Error(`README has no sample of "npm run client -- ${verb}"`);
  const sample: string[] = [];
  for (const line of lines.slice(start + 1)) {
    if (line.startsWith('```') || line.startsWith('$ ')) break;
    sample.push(line);
  }
  return sample;
}

/** The `  label:` lines of an outcome (a verb's details), in order: what people read, not field names. */
export function detailLabels(output: string[] | string): string[] {
  const lines = typeof output === 'string' ? output.split('\n') : output;
  return lines.flatMap((line) => /^ {2}([a-z][a-z ]*):/.exec(line)?.[1] ?? []);
}
