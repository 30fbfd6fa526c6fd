/**
 * Deterministic names for the AEP resources of one dataflow: each provisioning step looks its resource up by
 * this name before creating it, so a retried or re-run step finds what an earlier attempt made.
 */
export interface DataflowResourceNames {
  baseConnection: string;
  sourceConnection: string;
  targetConnection: string;
  mappingSet: string;
  flow: string;
  /** Field group title derived from the schema title (Schema Registry titles are unique per organisation). */
  fieldGroupTitle: string;
}

/** What a schema title becomes in the title of the field group provisioning makes for it. */
const fieldGroupTitleSuffix = ' (OneTrust consent fields)';

export function dataflowResourceNames(input: {
  sandbox: string;
  name: string;
  schemaTitle: string;
}): DataflowResourceNames {
  const prefix = `onetrust:${input.sandbox}:${input.name}`;
  return {
    baseConnection: `${prefix}:base-connection`,
    sourceConnection: `${prefix}:source-connection`,
    targetConnection: `${prefix}:target-connection`,
    mappingSet: `${prefix}:mapping`,
    flow: `${prefix}:dataflow`,
    fieldGroupTitle: `${input.schemaTitle}${fieldGroupTitleSuffix}`,
  };
}

/** The schema title a field group title was derived from (see fieldGroupTitle); undefined for any other title. */
export function schemaTitleOfFieldGroup(fieldGroupTitle: unknown): string | undefined {
  return typeof fieldGroupTitle === 'string' && fieldGroupTitle.endsWith(fieldGroupTitleSuffix)
    ? fieldGroupTitle.slice(0, -fieldGroupTitleSuffix.length)
    : undefined;
}

const resourceNamePattern = /^onetrust:([^:]+):([^:]+):[a-z-]+$/;

/** The dataflow (sandbox and name) whose deterministic name a resource carries, e.g. a mapping set's. */
export function dataflowOfResourceName(name: unknown): { sandbox: string; name: string } | undefined {
  const match = typeof name === 'string' ? resourceNamePattern.exec(name) : null;
  return match ? { sandbox: match[1]!, name: match[2]! } : undefined;
}
