/** What every provisioning activity is told about the dataflow it works on; names are derived from it. */
import { dataflowResourceNames, type DataflowResourceNames } from '../contracts/resource-names';
import type { DataflowRef } from '../contracts/provisioning-activities';
import type { Flow, FlowServiceApi } from '../aep';

export type { DataflowRef } from '../contracts/provisioning-activities';

export function namesOf(dataflow: DataflowRef): DataflowResourceNames {
  return dataflowResourceNames(dataflow);
}

/** The first item of an async iterable (the list APIs page lazily, so this stops after one page). */
export async function firstOf<T>(
  items: AsyncIterable<T>,
  matches: (item: T) => boolean = () => true,
): Promise<T | undefined> {
  for await (const item of items) if (matches(item)) return item;
  return undefined;
}

/** Every item, for deletes that must also remove duplicates an earlier run may have made. */
export async function allOf<T>(items: AsyncIterable<T>, matches: (item: T) => boolean = () => true): Promise<T[]> {
  const found: T[] = [];
  for await (const item of items) if (matches(item)) found.push(item);
  return found;
}

/**
 * The dataflow's flow: found by its deterministic name, or, when someone renamed it (`update --name`), as the
 * flow that reads from this dataflow's source connection, so a re-run never builds a second flow.
 */
export async function findDataflowFlow(
  flowService: FlowServiceApi,
  flowName: string,
  sourceConnectionId: string | undefined,
): Promise<Flow | undefined> {
  const named = await firstOf(
    flowService.listFlows({ property: [`name==${flowName}`] }),
    (flow) => flow.name === flowName,
  );
  if (named || !sourceConnectionId) return named;
  return firstOf(flowService.listFlows({ property: [`sourceConnectionIds[]==${sourceConnectionId}`] }), (flow) =>
    flow.sourceConnectionIds.includes(sourceConnectionId),
  );
}
