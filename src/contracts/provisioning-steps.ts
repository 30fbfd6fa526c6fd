/** The provisioning steps, in the seed's order. Pure data, shared by the workflow, activities and the CLI. */
export const provisioningSteps = [
  { key: 'base-connection', title: 'Base connection' },
  { key: 'explore-preview', title: 'Explore preview' },
  { key: 'source-connection', title: 'Source connection' },
  { key: 'target-schema', title: 'Target schema' },
  { key: 'dataset', title: 'Dataset' },
  { key: 'target-connection', title: 'Target connection' },
  { key: 'mapping-set', title: 'Mapping set' },
  { key: 'dataflow', title: 'Dataflow' },
] as const;

export type ProvisioningStepKey = (typeof provisioningSteps)[number]['key'];

export function stepTitle(key: ProvisioningStepKey): string {
  return provisioningSteps.find((step) => step.key === key)?.title ?? key;
}

/** 1-based position, for messages such as "step 3 of 8". */
export function stepNumber(key: ProvisioningStepKey): number {
  return provisioningSteps.findIndex((step) => step.key === key) + 1;
}
