/**
 * Handing over what a teardown or a rollback keeps for another dataflow. A resource of ours that another dataflow
 * uses is kept (used-by-others.ts); if it kept our mark, that dataflow's teardown would keep it too (not its mark)
 * and it would stay behind owned by nobody (after a rollback, this dataflow has no monitor to tear it down). So it
 * takes the user's mark (ownership-mark.ts `handedOverDescription`), and that dataflow's teardown deletes it or hands
 * it on. A user made by hand has no teardown: the resource keeps our mark.
 */
import type { SandboxClient, XdmResource } from '../aep';
import { handedOverDescription, isManagedBy, markedDataflow, wasHandedOverBy } from '../contracts/ownership-mark';
import { readUnlessMissing } from './owned-deletes';
import { describeUse, extendsOf, type DataflowIdentity, type OtherUse } from './used-by-others';

/**
 * What to do with a resource of ours another dataflow may use; `handOver` re-marks it for `to` (see `markedFor`).
 * Without `handOver` (a kind that cannot be re-marked) what is used stays kept with our mark.
 */
export interface KeepOrHandOver {
  dataflow: DataflowIdentity;
  description: unknown;
  findUse: () => Promise<OtherUse | undefined>;
  handOver?: (to: DataflowIdentity) => Promise<void>;
}

/**
 * A resource of ours kept because something uses it: by what (not asked again after an earlier hand-over), and
 * the dataflow it belongs to now when it was handed over, by this attempt or an earlier one.
 */
export type KeptInUse =
  { use: OtherUse; handedOverTo?: undefined } | { use?: OtherUse | undefined; handedOverTo: DataflowIdentity };

/**
 * Whether something else uses a resource of ours, handing it over when the user is another dataflow of ours;
 * undefined when nothing does (then it is the caller's to delete). One an earlier attempt handed over (it carries
 * our note) is kept without asking again: a retry whose answer was lost must never delete it.
 */
export async function handOverIfUsed(resource: KeepOrHandOver): Promise<KeptInUse | undefined> {
  const { dataflow, description } = resource;
  if (handedOverEarlier(description, dataflow)) return { handedOverTo: markedDataflow(description)! };
  const use = await resource.findUse();
  if (!use) return undefined;
  const to = use.dataflow;
  if (!to || sameDataflow(to, dataflow) || !resource.handOver) return { use };
  await resource.handOver(to);
  return { use, handedOverTo: to };
}

/**
 * Kept and why (a teardown's words), when another uses it; undefined when nobody does (then it is the caller's to
 * delete). Handed over when the user is another dataflow of ours; said as such when an earlier attempt already did.
 */
export async function keepOrHandOver(resource: KeepOrHandOver): Promise<{ kept: string } | { kept?: undefined }> {
  const kept = await handOverIfUsed(resource);
  if (!kept) return {};
  if (kept.handedOverTo) {
    // After an earlier hand-over the user is asked for here, so a retry says what the first attempt said.
    const use = kept.use ?? (await resource.findUse());
    return { kept: `${use ? `${describeUse(use)}; ` : ''}${nowBelongsTo(kept.handedOverTo)}` };
  }
  if (!kept.use.dataflow) return { kept: `${describeUse(kept.use)}; made by hand, so it keeps this dataflow's mark` };
  return { kept: describeUse(kept.use) };
}

/** Re-marks a dataset of ours for `to` (Catalog takes the new description as a field). */
export async function handOverDataset(
  catalog: SandboxClient['catalog'],
  datasetId: string,
  description: unknown,
  from: DataflowIdentity,
  to: DataflowIdentity,
): Promise<void> {
  await catalog.updateDataset(datasetId, { description: markedFor(description, from, to) });
}

/** Re-marks a schema of ours for `to`, with the field groups of ours it builds on first (see `ourFieldGroupsOf`). */
export async function handOverSchema(
  registry: SandboxClient['schemaRegistry'],
  schema: XdmResource,
  from: DataflowIdentity,
  to: DataflowIdentity,
): Promise<void> {
  for (const fieldGroup of await ourFieldGroupsOf(registry, schema, from)) {
    await registry.patchFieldGroup(fieldGroup['meta:altId'], handOverPatch(fieldGroup.description, from, to));
  }
  await registry.patchSchema(schema['meta:altId'], handOverPatch(schema.description, from, to));
}

/** An earlier attempt handed it over: it carries our note and another dataflow's mark. Never ours to delete. */
export function handedOverEarlier(description: unknown, dataflow: DataflowIdentity): boolean {
  return (
    wasHandedOverBy(description, dataflow.sandbox, dataflow.name) &&
    !isManagedBy(description, dataflow.sandbox, dataflow.name) &&
    markedDataflow(description) !== undefined
  );
}

/**
 * The tenant field groups of ours a schema builds on. The workflow keeps a kept schema's field group without asking
 * (it is still in use), so a schema handed over takes them with it, first: a schema already handed over means its
 * field groups are too.
 */
export async function ourFieldGroupsOf(
  registry: SandboxClient['schemaRegistry'],
  schema: XdmResource,
  dataflow: DataflowIdentity,
): Promise<XdmResource[]> {
  const tenantFieldGroups = extendsOf(schema).filter(
    (id) => /\/mixins\//.test(id) && !id.startsWith('https://ns.adobe.com/xdm/'),
  );
  const found = await Promise.all(tenantFieldGroups.map((id) => readUnlessMissing(() => registry.getFieldGroup(id))));
  return found.filter(
    (fieldGroup): fieldGroup is XdmResource =>
      fieldGroup !== undefined && isManagedBy(fieldGroup.description, dataflow.sandbox, dataflow.name),
  );
}

/** A description of ours with `to`'s mark instead (and the note that we handed it over). */
export function markedFor(description: unknown, from: DataflowIdentity, to: DataflowIdentity): string {
  return handedOverDescription(typeof description === 'string' ? description : '', from, to);
}

/** The Schema Registry JSON Patch that re-marks a resource of ours for `to`: `replace`, it has a description. */
export function handOverPatch(
  description: unknown,
  from: DataflowIdentity,
  to: DataflowIdentity,
): Array<{ op: 'replace'; path: '/description'; value: string }> {
  return [{ op: 'replace', path: '/description', value: markedFor(description, from, to) }];
}

function nowBelongsTo(dataflow: DataflowIdentity): string {
  return `now belongs to ${dataflow.sandbox}/${dataflow.name}`;
}

function sameDataflow(left: DataflowIdentity, right: DataflowIdentity): boolean {
  return left.sandbox === right.sandbox && left.name === right.name;
}
