/**
 * The spec files `provision` was given: files as named, and each folder as every `*.json` directly inside it
 * (sorted, not recursive). A file named twice, by a folder and a glob say, counts once.
 */
import { readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** Something wrong with one of the arguments, before any spec is read. */
export interface SpecFileProblem {
  file: string;
  message: string;
}

export interface SpecFiles {
  files: string[];
  problems: SpecFileProblem[];
}

export function isFolder(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

export function expandSpecArguments(specArguments: readonly string[]): SpecFiles {
  const files: string[] = [];
  const problems: SpecFileProblem[] = [];
  const seen = new Set<string>();
  const add = (file: string) => {
    const absolute = resolve(file);
    if (seen.has(absolute)) return;
    seen.add(absolute);
    files.push(file);
  };

  for (const argument of specArguments) {
    if (!isFolder(argument)) {
      // A missing file is reported by the spec loader, with the other problems of the batch.
      add(argument);
      continue;
    }
    let names: string[];
    try {
      names = readdirSync(argument, { withFileTypes: true })
        .filter((entry) => entry.name.endsWith('.json') && !isFolder(join(argument, entry.name)))
        .map((entry) => entry.name)
        .sort();
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      problems.push({ file: argument, message: `cannot read the folder (${code ?? (error as Error).message})` });
      continue;
    }
    if (names.length === 0) problems.push({ file: argument, message: 'the folder holds no *.json spec' });
    for (const name of names) add(join(argument, name));
  }
  return { files, problems };
}
