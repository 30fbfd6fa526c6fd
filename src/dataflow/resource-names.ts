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
  };
}
