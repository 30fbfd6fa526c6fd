/**
 * How a live flow and mapping set differ from what a spec asks for, in words a person reads
 * (`schedule.interval 15 → 30`, `mapping: 1 rule(s) added (…)`). Shared by `plan`, which only reports them, and by
 * the monitor's apply, which then changes what differs.
 */
import type { Flow, SandboxClient } from '../../aep';
import { ownershipMarkPattern } from '../../contracts/ownership-mark';
import type { MappingRule } from '../../contracts/dataflow-types';
import type { ScheduleChange } from '../../contracts/monitor-state';
import { resolveMapping } from '../data-prep';

export interface FlowSettingDifferences {
  description: boolean;
  schedule: boolean;
  /** Field-level, for people. */
  changes: string[];
}

/** `description` is the full resource description (with the ownership mark), as provisioning writes it. */
export function flowSettingDifferences(
  flow: Flow,
  wanted: { description: string; schedule: ScheduleChange },
): FlowSettingDifferences {
  const changes: string[] = [];
  const params = flow.scheduleParams;
  if (params?.frequency !== wanted.schedule.frequency) {
    changes.push(`schedule.frequency ${params?.frequency ?? '(none)'} → ${wanted.schedule.frequency}`);
  }
  const interval = params?.interval === undefined ? undefined : Number(params.interval);
  if (interval !== wanted.schedule.interval) {
    changes.push(`schedule.interval ${interval ?? '(none)'} → ${wanted.schedule.interval ?? '(none)'}`);
  }
  const schedule = changes.length > 0;
  const description = flow.description !== wanted.description;
  if (description) {
    const shown = (text: string | undefined) => `"${(text ?? '').replace(ownershipMarkPattern, '').trim()}"`;
    changes.push(`description changed: ${shown(flow.description)} → ${shown(wanted.description)}`);
  }
  return { description, schedule, changes };
}

/**
 * The rules the spec adds to and removes from the mapping set's version the dataflow uses (the latest when that is not
 * known); none when they match. A newer version someone saved in the AEP UI is not the dataflow's mapping.
 */
export async function mappingDifferences(
  api: SandboxClient,
  mappingSetId: string,
  mapping: MappingRule[],
  version?: number,
): Promise<string[]> {
  const current = await api.dataPrep.getMappingSet(mappingSetId, version);
  const { tenantId } = await api.schemaRegistry.getStats();
  const rule = (entry: { source: string; destination: string }) => `${entry.source} → ${entry.destination}`;
  const wanted = new Set(resolveMapping(mapping, tenantId).map(rule));
  const have = new Set(current.mappings.map(rule));
  const added = [...wanted].filter((entry) => !have.has(entry));
  const removed = [...have].filter((entry) => !wanted.has(entry));
  return [
    ...(added.length > 0 ? [`mapping: ${added.length} rule(s) added (${added.join('; ')})`] : []),
    ...(removed.length > 0 ? [`mapping: ${removed.length} rule(s) removed (${removed.join('; ')})`] : []),
  ];
}
