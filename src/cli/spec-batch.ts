/**
 * Validates every spec of a bulk `provision` before anything starts: each is parsed and resolved (secrets read
 * from their files and variables) as a single spec is, and no two may name the same dataflow. Every problem
 * names its file and field, so one run shows all there is to fix.
 */
import { readFileSync } from 'node:fs';
import { loadDataflowSpecFile, SpecError, type ResolvedDataflowSpec } from '../config';
import type { SpecFiles } from './spec-files';

export interface SpecBatchProblem {
  file: string;
  /** Dotted path in the spec, e.g. `schedule.interval`; empty for the whole file. */
  field: string;
  message: string;
}

export interface LoadedSpec {
  file: string;
  spec: ResolvedDataflowSpec;
}

export interface SpecBatch {
  specs: LoadedSpec[];
  problems: SpecBatchProblem[];
}

export function loadSpecBatch(specFiles: SpecFiles, env: NodeJS.ProcessEnv): SpecBatch {
  const problems: SpecBatchProblem[] = specFiles.problems.map((problem) => ({ ...problem, field: '' }));
  const specs: LoadedSpec[] = [];
  const named: NamedDataflow[] = [];
  for (const file of specFiles.files) {
    try {
      const spec = loadDataflowSpecFile(file, { env });
      specs.push({ file, spec });
      named.push({ file, dataflow: `${spec.sandbox}/${spec.name}` });
    } catch (error) {
      if (!(error instanceof SpecError)) throw error;
      problems.push(...error.problems.map((problem) => ({ file, ...problem })));
      // A spec with other problems may still clash with another one: say so now rather than after the fix.
      const dataflow = dataflowNamedIn(file);
      if (dataflow) named.push({ file, dataflow });
    }
  }
  problems.push(...duplicateDataflows(named));
  // Each file's problems together, files in the order they were given.
  const order = (problem: SpecBatchProblem) => specFiles.files.indexOf(problem.file);
  return { specs, problems: problems.sort((a, b) => order(a) - order(b)) };
}

interface NamedDataflow {
  file: string;
  /** sandbox/name */
  dataflow: string;
}

/** Two specs for one dataflow would race for the same workflow id: the later file is the problem. */
function duplicateDataflows(named: readonly NamedDataflow[]): SpecBatchProblem[] {
  const firstFileOf = new Map<string, string>();
  const problems: SpecBatchProblem[] = [];
  for (const { file, dataflow } of named) {
    const first = firstFileOf.get(dataflow);
    if (first === undefined) firstFileOf.set(dataflow, file);
    else problems.push({ file, field: 'name', message: `dataflow ${dataflow} is already given by ${first}` });
  }
  return problems;
}

/** The sandbox/name an invalid spec names, when it names both as strings. */
function dataflowNamedIn(file: string): string | undefined {
  try {
    const value: unknown = JSON.parse(readFileSync(file, 'utf8'));
    if (typeof value !== 'object' || value === null) return undefined;
    const { sandbox, name } = value as { sandbox?: unknown; name?: unknown };
    return typeof sandbox === 'string' && typeof name === 'string' ? `${sandbox}/${name}` : undefined;
  } catch {
    return undefined;
  }
}

/** One header (what the verb did not do: `started` for provision, `planned` for plan), then one line a problem. */
export function formatSpecBatchProblems(problems: readonly SpecBatchProblem[], notDone = 'started'): string {
  return [
    `Invalid dataflow specs; nothing was ${notDone}:`,
    ...problems.map((problem) => `  ${problem.file}: ${problem.field ? `${problem.field}: ` : ''}${problem.message}`),
  ].join('\n');
}
