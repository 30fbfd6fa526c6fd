/**
 * The global XDM classes a simulated tenant schema may be based on, with the standard fields each brings.
 * A small, hand-written subset: enough for `xed-full` lookups and for Data Prep to know `_id` and friends.
 */

export interface XdmClass {
  $id: string;
  title: string;
  /** The behaviour the class implements: record (entities) or time-series (events). */
  behavior: string;
  /** `meta:extends` a schema of this class reports, before its field groups. */
  extends: string[];
  /** Standard fields, as resolved JSON schema properties. */
  properties: Record<string, unknown>;
}

export const recordBehavior = 'https://ns.adobe.com/xdm/data/record';
export const timeSeriesBehavior = 'https://ns.adobe.com/xdm/data/time-series';
const auditable = 'https://ns.adobe.com/xdm/common/auditable';

const text = (title: string) => ({ type: 'string', title, 'meta:xdmType': 'string' });
const dateTime = (title: string) => ({ type: 'string', format: 'date-time', title, 'meta:xdmType': 'date-time' });

const recordFields = {
  _id: {
    ...text('Identifier'),
    format: 'uri-reference',
    description: 'A unique identifier for the record.',
  },
  _repo: {
    type: 'object',
    'meta:xdmType': 'object',
    properties: { createDate: dateTime('Create Date'), modifyDate: dateTime('Modify Date') },
  },
  createdByBatchID: { ...text('Created by Batch Identifier'), format: 'uri-reference' },
  modifiedByBatchID: { ...text('Modified by Batch Identifier'), format: 'uri-reference' },
  repositoryCreatedBy: text('Created by User Identifier'),
  repositoryLastModifiedBy: text('Modified by User Identifier'),
};

const classes: XdmClass[] = [
  {
    $id: 'https://ns.adobe.com/xdm/context/profile',
    title: 'XDM Individual Profile',
    behavior: recordBehavior,
    extends: [auditable, recordBehavior, 'https://ns.adobe.com/xdm/context/profile'],
    properties: { ...recordFields, personID: text('Person ID') },
  },
  {
    // Not a class in AEP (it is the record behaviour), but accepted as a schema base as the issue asks.
    $id: recordBehavior,
    title: 'Record Schema',
    behavior: recordBehavior,
    extends: [auditable, recordBehavior],
    properties: { ...recordFields },
  },
  {
    $id: 'https://ns.adobe.com/xdm/context/experienceevent',
    title: 'XDM ExperienceEvent',
    behavior: timeSeriesBehavior,
    extends: [timeSeriesBehavior, 'https://ns.adobe.com/xdm/context/experienceevent'],
    properties: {
      _id: { ...text('Identifier'), format: 'uri-reference' },
      timestamp: dateTime('Timestamp'),
      eventType: text('Event Type'),
      producedBy: text('Produced By'),
    },
  },
];

export function findXdmClass(id: string): XdmClass | undefined {
  return classes.find((xdmClass) => xdmClass.$id === id);
}

/** Whether a field group declaring `intendedToExtend` may be added to a schema of `xdmClass`. */
export function fieldGroupFitsClass(intendedToExtend: readonly string[], xdmClass: XdmClass): boolean {
  if (intendedToExtend.length === 0) return true;
  return intendedToExtend.some((target) => target === xdmClass.$id || target === xdmClass.behavior);
}
