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
