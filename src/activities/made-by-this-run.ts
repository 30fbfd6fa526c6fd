/**
 * Whether a resource found by its name was made by this provisioning run (an earlier attempt whose answer was lost)
 * rather than there before it. Used where the workflow makes a resource without surveying for it first (the target
 * schema: titles are unique, so AEP refuses a second one): nobody looked before the run began, so the resource
 * itself must tell. It is this run's when it carries this dataflow's mark and AEP made it after the run started.
 */
import type { DataflowRef } from './dataflow-ref';
import { ownerOf } from './owned-deletes';

/** AEP's clock and Temporal's may differ by this much; a resource made this long before the run still counts. */
export const clockSkewAllowanceMs = 10_000;

export function madeByThisRun(
  resource: { description?: unknown; createdDate?: number | undefined },
  dataflow: DataflowRef,
  runStartedAtMs: number,
): boolean {
  return (
    ownerOf(resource.description, dataflow) === 'this-dataflow' &&
    resource.createdDate !== undefined &&
    resource.createdDate >= runStartedAtMs - clockSkewAllowanceMs
  );
}
