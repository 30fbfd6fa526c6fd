/**
 * Which monitor owns a flow. Every flow this tool creates carries its dataflow's ownership mark in its
 * description (`provision:<sandbox>:<name>`), and the monitor's id follows from it, so the run feed needs no
 * flow-to-monitor table in its own state: the mark lives in AEP, survives every crash and continue-as-new, and
 * costs one listing of up to 50 flows the first time a flow's run is seen by this worker process.
 */
import type { AepClient } from '../../aep';
import { markedDataflow } from '../../contracts/ownership-mark';
import { monitorWorkflowId } from '../../contracts/workflow-ids';

/** Flows asked for per listing: 50 ids keep the query string near 2 KB. */
const flowsPerListing = 50;
/** A flow without our mark is asked about again after this long (someone may have fixed its description). */
const unownedRecheckMs = 10 * 60_000;
/** Bounded: far more than one worker's sandboxes hold, yet a leak could never grow without limit. */
const maxCachedFlows = 200_000;

export class FlowOwners {
  private readonly owners = new Map<string, { monitorWorkflowId?: string; checkedAt: number }>();

  constructor(private readonly aep: AepClient) {}

  /** The monitor workflow id of each flow, or undefined for a flow this tool does not manage (or that is gone). */
  async resolve(
    sandbox: string,
    flowIds: Iterable<string>,
    onProgress?: () => void,
  ): Promise<Map<string, string | undefined>> {
    const now = Date.now();
    const answer = new Map<string, string | undefined>();
    const unknown: string[] = [];
    for (const flowId of new Set(flowIds)) {
      const known = this.owners.get(`${sandbox}/${flowId}`);
      if (known && (known.monitorWorkflowId !== undefined || now - known.checkedAt < unownedRecheckMs)) {
        answer.set(flowId, known.monitorWorkflowId);
      } else {
        unknown.push(flowId);
      }
    }
    const flowService = this.aep.forSandbox(sandbox).flowService;
    for (let start = 0; start < unknown.length; start += flowsPerListing) {
      const batch = unknown.slice(start, start + flowsPerListing);
      const found = new Map<string, string | undefined>();
      for await (const flow of flowService.listFlows({
        property: [`id==${batch.join(',')}`],
        limit: flowsPerListing,
      })) {
        const marked = markedDataflow(flow.description);
        // A mark copied from another sandbox does not make this flow that dataflow's.
        found.set(flow.id, marked && marked.sandbox === sandbox ? monitorWorkflowId(sandbox, marked.name) : undefined);
      }
      for (const flowId of batch) {
        const owner = found.get(flowId);
        this.remember(`${sandbox}/${flowId}`, owner, now);
        answer.set(flowId, owner);
      }
      onProgress?.();
    }
    return answer;
  }

  private remember(key: string, monitorWorkflowId: string | undefined, now: number): void {
    if (this.owners.size >= maxCachedFlows) this.owners.clear();
    this.owners.set(key, { ...(monitorWorkflowId !== undefined ? { monitorWorkflowId } : {}), checkedAt: now });
  }
}
