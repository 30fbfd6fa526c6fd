/**
 * The mark provisioning writes into the description of every resource it creates. It tells a rollback and a
 * teardown what this dataflow owns (a schema it merely reused is not its to delete), so updates keep it.
 */
const product = 'onetrust-aep-dataflows';

export function ownershipMark(sandbox: string, name: string): string {
  return `(managed by ${product}, provision:${sandbox}:${name})`;
}

/** Finds a mark of any dataflow in a description. */
export const ownershipMarkPattern = new RegExp(`\\(managed by ${product}[^)]*\\)`);

/** Whether the description carries this dataflow's mark ("consent" is not "consent-2"). */
export function isManagedBy(description: unknown, sandbox: string, name: string): boolean {
  return typeof description === 'string' && description.includes(ownershipMark(sandbox, name));
}

const markedDataflowPattern = new RegExp(`\\(managed by ${product}, provision:([^:)]+):([^)]+)\\)`);

/** The dataflow whose mark a description carries (sandbox and name), if any: how the run feed finds a flow's monitor. */
export function markedDataflow(description: unknown): { sandbox: string; name: string } | undefined {
  if (typeof description !== 'string') return undefined;
  const match = markedDataflowPattern.exec(description);
  return match ? { sandbox: match[1]!, name: match[2]! } : undefined;
}

/** The description every resource of a dataflow carries: what it is, the spec's words, and the ownership mark. */
export function resourceDescription(sandbox: string, name: string, description: string | undefined): string {
  return `OneTrust consent dataflow "${name}"${description ? `: ${description}` : ''} ${ownershipMark(sandbox, name)}`;
}

/**
 * A teardown that keeps a resource of its own for another dataflow that uses it hands the resource over: the other
 * dataflow's mark replaces its own, so that dataflow's teardown deletes it (or hands it on) and nothing is left
 * owned by nobody. The note beside the new mark says who handed it over: a retried hand-over (its answer lost)
 * reads it and knows it is done. Only the latest hand-over is noted.
 */
export function handedOverDescription(
  description: string,
  from: { sandbox: string; name: string },
  to: { sandbox: string; name: string },
): string {
  const withoutNote = description.replace(handOverNotePattern, '');
  const fromMark = ownershipMark(from.sandbox, from.name);
  const handedOver = `${handOverNote(from.sandbox, from.name)} ${ownershipMark(to.sandbox, to.name)}`;
  return withoutNote.includes(fromMark)
    ? withoutNote.replace(fromMark, handedOver)
    : `${withoutNote.replace(ownershipMarkPattern, '').trim()} ${handedOver}`;
}

/** Whether this dataflow handed the resource over (its note is the description's latest). */
export function wasHandedOverBy(description: unknown, sandbox: string, name: string): boolean {
  return typeof description === 'string' && description.includes(handOverNote(sandbox, name));
}

/** Not a mark: `ownershipMarkPattern` and `markedDataflow` do not match it. */
function handOverNote(sandbox: string, name: string): string {
  return `(handed over by provision:${sandbox}:${name})`;
}

const handOverNotePattern = / ?\(handed over by provision:[^)]*\)/g;
