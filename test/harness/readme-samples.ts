/**
 * The README's output samples, read back so tests can hold them to what the CLI really prints: a sample whose
 * labels drift from the real output fails the test that runs the same verb.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

const readme = readFileSync(resolve(__dirname, '../../README.md'), 'utf8');

/** The output lines of the README sample that starts with `$ npm run client -- <verb> …` (the first one, or the nth). */
export function readmeSample(verb: string, nth = 1): string[] {
  const lines = readme.split('\n');
  const starts = lines.flatMap((line, index) => (line.startsWith(`$ npm run client -- ${verb} `) ? [index] : []));
  const start = starts[nth - 1];
  if (start === undefined) throw new Error(`README has no sample ${nth} of "npm run client -- ${verb}"`);
  const sample: string[] = [];
  for (const line of lines.slice(start + 1)) {
    if (line.startsWith('```') || line.startsWith('$ ')) break;
    sample.push(line);
  }
  return sample;
}

/** A README sample line as a pattern: its dataflow names and timestamps stand for any. */
export function sampleLinePattern(line: string): RegExp {
  const escaped = line.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(
    `^${escaped
      .replace(/\d{4}-\d\d-\d\dT[\d:]+\\\.\d+Z/g, '\\S+')
      .replace(/dev\/[a-z-]+/g, '[\\w-]+/[\\w.-]+')
      .replace(/dataflow:dev:[a-z-]+/g, 'dataflow:[\\w-]+:[\\w.-]+')}$`,
    'm',
  );
}

/** The `  label:` lines of an outcome (a verb's details), in order: what people read, not field names. */
export function detailLabels(output: string[] | string): string[] {
  const lines = typeof output === 'string' ? output.split('\n') : output;
  return lines.flatMap((line) => /^ {2}([a-z][a-z ]*):/.exec(line)?.[1] ?? []);
}
