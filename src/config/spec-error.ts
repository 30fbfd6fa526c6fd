/** A dataflow spec that cannot be used; every problem names its field, e.g. `schedule.interval: must be ≥ 15 ...`. */
export interface SpecProblem {
  /** Dotted path with array indices, e.g. `mapping[2].destination`; empty for the whole spec. */
  field: string;
  message: string;
}

export class SpecError extends Error {
  override readonly name = 'SpecError';

  constructor(
    readonly problems: SpecProblem[],
    readonly source?: string,
  ) {
    super(
      `Invalid dataflow spec${source ? ` ${source}` : ''}:\n` +
        problems.map((problem) => `  - ${problem.field ? `${problem.field}: ` : ''}${problem.message}`).join('\n'),
    );
  }
}

export function formatFieldPath(path: readonly PropertyKey[]): string {
  let text = '';
  for (const segment of path) {
    if (typeof segment === 'number') text += `[${segment}]`;
    else text += text === '' ? String(segment) : `.${String(segment)}`;
  }
  return text;
}
