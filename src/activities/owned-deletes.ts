/**
 * What a rollback may delete (issue 13). Names and titles are not enough: two dataflows may share a dataset name
 * or a schema title, and two provisionings may run at once. A delete removes only what carries this dataflow's
 * ownership mark in its description, plus the id the workflow recorded as made by this run, and even that only
 * when its description carries this dataflow's mark or no dataflow's mark at all. What carries another
 * dataflow's mark, or is ours but already used by another dataflow, is kept and reported as kept for others; one
 * of ours another dataflow uses is handed over to it (hand-over.ts): this dataflow never gets a monitor, so only
 * that dataflow's teardown can ever delete it.
 */
import { isNotFound } from '../aep';
import { isManagedBy, markedDataflow, ownershipMarkPattern } from '../contracts/ownership-mark';
import type { DataflowRef, DeleteOutcome } from '../contracts/provisioning-activities';
import { handedOverEarlier, handOverIfUsed, type KeptInUse } from './hand-over';
import { describeUse, type DataflowIdentity, type OtherUse } from './used-by-others';

export type { DeleteOutcome } from '../contracts/provisioning-activities';

export type Owner = 'this-dataflow' | 'another-dataflow' | 'unmarked';

export function ownerOf(description: unknown, dataflow: Pick<DataflowRef, 'sandbox' | 'name'>): Owner {
  if (isManagedBy(description, dataflow.sandbox, dataflow.name)) return 'this-dataflow';
  return typeof description === 'string' && ownershipMarkPattern.test(description) ? 'another-dataflow' : 'unmarked';
}

/** A delete candidate as AEP showed it: the id to delete it by, other ids it goes by, and its description. */
export interface Described {
  id: string;
  /** Other ids of the same resource (an XDM `$id` beside its `meta:altId`), so a recorded one is recognised. */
  aliases?: string[];
  description?: unknown;
}

export interface DeleteOwnedInput<T extends Described> {
  dataflow: DataflowRef;
  /** Found by this dataflow's name or title (so possibly another dataflow's), with their descriptions. */
  found: T[];
  /** The id the workflow recorded as created by this run, if any. */
  recordedId?: string | undefined;
  /** Reads a recorded resource the look-up did not find (it may have been renamed); a 404 means it is gone. */
  read: (id: string) => Promise<T>;
  remove: (id: string) => Promise<void>;
  /** Who else uses this resource of ours (a dataset following the schema), if anyone: then it is kept. */
  usedByOthers?: (resource: T) => Promise<OtherUse | undefined>;
  /** Gives a kept resource of ours the user's mark; without it, what another dataflow uses keeps ours. */
  handOver?: (resource: T, to: DataflowIdentity) => Promise<void>;
}

/** Deletes what this dataflow owns among the candidates; a 404 means an earlier attempt (or someone) already did. */
export async function deleteOwned<T extends Described>(input: DeleteOwnedInput<T>): Promise<DeleteOutcome> {
  const { dataflow, recordedId } = input;
  const candidates = new Map<string, { resource: T; recorded: boolean }>();
  const isRecorded = (resource: Described) =>
    recordedId !== undefined && (resource.id === recordedId || (resource.aliases ?? []).includes(recordedId));
  for (const resource of input.found) {
    candidates.set(resource.id, { resource, recorded: isRecorded(resource) });
  }
  if (recordedId && ![...candidates.values()].some((candidate) => candidate.recorded)) {
    const resource = await readUnlessMissing(() => input.read(recordedId));
    if (resource) {
      const known = candidates.get(resource.id);
      if (known) known.recorded = true;
      else candidates.set(resource.id, { resource, recorded: true });
    }
  }

  const deleted: string[] = [];
  const keptForOthers: string[] = [];
  const keptFor: Record<string, string> = {};
  for (const { resource, recorded } of candidates.values()) {
    const owner = ownerOf(resource.description, dataflow);
    // One an earlier attempt handed over carries another's mark too; it is said as handed over, below.
    if (owner === 'another-dataflow' && !handedOverEarlier(resource.description, dataflow)) {
      const marked = markedDataflow(resource.description);
      keptForOthers.push(resource.id);
      keptFor[resource.id] = `belongs to ${marked ? `${marked.sandbox}/${marked.name}` : 'another dataflow'}`;
      continue;
    }
    // Unmarked and not recorded: found by a shared name, made by hand or by something else. Not ours.
    if (owner === 'unmarked' && !recorded) continue;
    const { usedByOthers, handOver } = input;
    const kept = await handOverIfUsed({
      dataflow,
      description: resource.description,
      findUse: async () => usedByOthers?.(resource),
      ...(handOver ? { handOver: (to: DataflowIdentity) => handOver(resource, to) } : {}),
    });
    if (kept) {
      keptForOthers.push(resource.id);
      keptFor[resource.id] = whyKept(kept, dataflow);
      continue;
    }
    try {
      await input.remove(resource.id);
      deleted.push(resource.id);
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
  }
  return keptForOthers.length > 0 ? { deleted, keptForOthers, keptFor } : { deleted };
}

/**
 * "belongs to prod/consent-2 now: handed over"; else who uses it, as it keeps our mark: a user made by hand, or a
 * resource of ours kept for one (a field group under our schema).
 */
function whyKept(kept: KeptInUse, dataflow: DataflowIdentity): string {
  const to = kept.handedOverTo;
  if (to) return `belongs to ${to.sandbox}/${to.name} now: handed over`;
  const { use } = kept;
  const ours = use.dataflow?.sandbox === dataflow.sandbox && use.dataflow.name === dataflow.name;
  return ours ? `its ${use.kind} ${use.id} was kept` : describeUse(use);
}

/**
 * For a kind AEP gives no description (mapping sets): the ids found by this dataflow's own name (it holds the
 * dataflow's sandbox and name, as the mark does), plus the one the workflow recorded.
 */
export function withKnownId(found: Array<{ id: string }>, knownId: string | undefined): string[] {
  const ids = new Set(found.map((resource) => resource.id));
  if (knownId) ids.add(knownId);
  return [...ids];
}

/** Deletes each id; a 404 means an earlier attempt (or someone else) already did. */
export async function deleteEach(ids: string[], remove: (id: string) => Promise<void>): Promise<DeleteOutcome> {
  const deleted: string[] = [];
  for (const id of ids) {
    try {
      await remove(id);
      deleted.push(id);
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
  }
  return { deleted };
}

/** Reads a resource for an ownership check; undefined when it is already gone. */
export async function readUnlessMissing<T>(read: () => Promise<T>): Promise<T | undefined> {
  try {
    return await read();
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
}
