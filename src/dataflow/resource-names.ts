/**
 * Deterministic names for the AEP resources of one dataflow: each provisioning step looks its resource up by
 * this name before creating it, so a retried or re-run step finds what an earlier attempt made.
 * Descriptions carry an owner tag so compensation deletes only what this dataflow created (not a schema it reused).
 */
export interface DataflowResourceNames {
  baseConnection: string;
  sourceConnection: string;
  targetConnection: string;
  mappingSet: string;
  flow: string;
  /** Field group title derived from the schema title (Schema Registry titles are unique per organisation). */
  fieldGroupTitle: string;
  /** Appears in the description of every resource this dataflow creates. */
  ownerTag: string;
}

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
    fieldGroupTitle: `${input.schemaTitle} (OneTrust consent fields)`,
    ownerTag: `[managed by onetrust-aep-dataflows for provision:${input.sandbox}:${input.name}]`,
  };
}

/** Whether a resource's description says this dataflow created it. */
export function isOwnedBy(description: unknown, ownerTag: string): boolean {
  return typeof description === 'string' && description.includes(ownerTag);
}
