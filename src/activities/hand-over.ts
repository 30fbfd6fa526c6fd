/**
 * Handing over what a teardown keeps for another dataflow. A resource of ours that another dataflow uses is kept
 * (used-by-others.ts); if it kept our mark, that dataflow's teardown would keep it too (not its mark) and it would
 * stay behind owned by nobody. So it takes the user's mark (ownership-mark.ts `handedOverDescription`), and that
 * dataflow's teardown deletes it or hands it on. A user made by hand has no teardown: the resource keeps our mark.
 */
import type { SandboxClient, XdmResource } from '../aep';
import { handedOverDescription, isManagedBy, markedDataflow, wasHandedOverBy } from '../contracts/ownership-mark';
import { readUnlessMissing } from './owned-deletes';
import { describeUse, extendsOf, type DataflowIdentity, type OtherUse } from './used-by-others';

/** What to do with a resource of ours another dataflow may use; `handOver` re-marks it for `to` (see `markedFor`). */
export interface KeepOrHandOver {
  dataflow: DataflowIdentity;
  description: unknown;
  findUse: () => Promise<OtherUse | undefined>;
  handOver: (to: DataflowIdentity) => Promise<void>;
}

/**
 * Kept and why, when another uses it; undefined when nobody does (then it is the caller's to delete). Handed over
 * when the user is another dataflow of ours; said as such when an earlier attempt already did (it carries our note).
 */
export async function keepOrHandOver(resource: KeepOrHandOver): Promise<{ kept: string } | { kept?: undefined }> {
  const { dataflow, description } = resource;
  if (handedOverEarlier(description, dataflow)) {
    const use = await resource.findUse();
    return { kept: `${use ? `${describeUse(use)}; ` : ''}${nowBelongsTo(markedDataflow(description)!)}` };
  }
  const use = await resource.findUse();
  if (!use) return {};
  const to = use.dataflow;
  if (!to) return { kept: `${describeUse(use)}; made by hand, so it keeps this dataflow's mark` };
  if (sameDataflow(to, dataflow)) return { kept: describeUse(use) };
  await resource.handOver(to);
  return { kept: `${describeUse(use)}; ${nowBelongsTo(to)}` };
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
