/** Which schema fields a mapping writes to, so the target-schema step can check a reused schema has them. */
import type { MappingRule } from '../../contracts/dataflow-types';

/** Splits mapping destinations into tenant field paths and class fields, for the schema-fit check. */
export function mappingDestinations(mapping: MappingRule[]): { tenantFields: string[]; classFields: string[] } {
  const tenantFields = new Set<string>();
  const classFields = new Set<string>();
  for (const rule of mapping) {
    const match = /^_([^.]+)\.(.+)$/.exec(rule.destination);
    if (match) tenantFields.add(match[2] as string);
    else classFields.add(rule.destination);
  }
  return { tenantFields: [...tenantFields], classFields: [...classFields] };
}
