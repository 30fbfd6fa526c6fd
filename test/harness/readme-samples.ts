/**
 * The documentation's output samples (README.md and the pages under docs/), read back so tests can hold them to
 * what the CLI really prints: a sample whose labels drift from the real output fails the test that runs the same
 * verb.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const projectRoot = resolve(__dirname, '../..');

/** README.md, then every page under docs/ in name order: the documents samples and links live in. */
export function documentationFiles(): string[] {
  const pages = readdirSync(join(projectRoot, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .sort();
  return ['README.md', ...pages.map((name) => `docs/${name}`)];
}

/** A document's text, by its path from the project root (`README.md`, `docs/cli.md`). */
export function documentText(document: string): string {
  return readFileSync(join(projectRoot, document), 'utf8');
}

/** Every line of every document, for a test that checks the docs show a line as the CLI prints it. */
export function documentationLines(): string[] {
  return documentationFiles().flatMap((document) => documentText(document).split('\n'));
}

/**
 * The output lines of the sample that starts with `$ npm run client -- <verb> …`: the nth in `document` when it is
 * named (e.g. `docs/cli.md`), else the nth of all documents read in the order of documentationFiles().
 */
export function readmeSample(verb: string, nth = 1, document?: string): string[] {
  const documents = document === undefined ? documentationFiles() : [document];
  const lines = documents.flatMap((name) => documentText(name).split('\n'));
  const starts = lines.flatMap((line, index) => (line.startsWith(`$ npm run client -- ${verb} `) ? [index] : []));
  const start = starts[nth - 1];
  if (start === undefined)
    throw new Error(
      `${documents.join(', ')}: no sample ${nth} of "npm run client -- ${verb}" (found ${starts.length})`,
    );
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
