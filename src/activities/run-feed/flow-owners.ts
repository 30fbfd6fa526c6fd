/**
 * Which monitor owns a flow. Every flow this tool creates carries its dataflow's ownership mark in its
 * description (`provision:<sandbox>:<name>`), and the monitor's id follows from it, so the run feed needs no
 * flow-to-monitor table in its own state: the mark lives in AEP, survives every crash and continue-as-new, and
 * costs little: the first time this worker process meets an unknown flow of a sandbox, it lists every flow of that
 * sandbox once (a page per 100 flows) and remembers all their owners, so a push stream that brings each flow's first
 * run one at a time costs one listing per 100 flows rather than one per flow. A flow still unknown after that (made
 * since) is looked up by id, 50 to a listing. Only an optimisation: any worker finds the same owners in AEP.
 */
import type { AepClient } from '../../aep';
import { markedDataflow } from '../../contracts/ownership-mark';
import { monitorWorkflowId } from '../../contracts/workflow-ids';

/** Flows asked for per listing: 50 ids keep the query string near 2 KB. */
const flowsPerListing = 50;
/** Flows per page when a whole sandbox is listed. */
const flowsPerPage = 100;
/** A flow without our mark is asked about again after this long (someone may have fixed its description). */
const unownedRecheckMs = 10 * 60_000;
/** Bounded: far more than one worker's sandboxes hold, yet a leak could never grow without limit. */
const maxCachedFlows = 200_000;

export class FlowOwners {
  private readonly owners = new Map<string, { monitorWorkflowId?: string; checkedAt: number }>();
  /** Sandboxes whose flows were all listed by this process (an unknown flow there is looked up by id). */
  private readonly listedSandboxes = new Set<string>();

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
    if (unknown.length > 0 && !this.listedSandboxes.has(sandbox)) {
      this.listedSandboxes.add(sandbox);
      for await (const flow of flowService.listFlows({ limit: flowsPerPage })) {
        this.remember(`${sandbox}/${flow.id}`, ownerOf(flow, sandbox), now);
        onProgress?.();
      }
      for (const flowId of unknown.splice(0)) {
        const known = this.owners.get(`${sandbox}/${flowId}`);
        if (known) answer.set(flowId, known.monitorWorkflowId);
        else unknown.push(flowId); // made since the listing, or gone: asked about by id below
      }
    }
    for (let start = 0; start < unknown.length; start += flowsPerListing) {
      const batch = unknown.slice(start, start + flowsPerListing);
      const found = new Map<string, string | undefined>();
      for await (const flow of flowService.listFlows({
        property: [`id==${batch.join(',')}`],
        limit: flowsPerListing,
      })) {
        found.set(flow.id, ownerOf(flow, sandbox));
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
    if (this.owners.size >= maxCachedFlows) {
      this.owners.clear();
      this.listedSandboxes.clear();
    }
    this.owners.set(key, { ...(monitorWorkflowId !== undefined ? { monitorWorkflowId } : {}), checkedAt: now });
  }
}

/** The monitor of a flow carrying our mark for this sandbox (a mark copied from another sandbox does not count). */
function ownerOf(flow: { description?: string | undefined }, sandbox: string): string | undefined {
  const marked = markedDataflow(flow.description);
  return marked && marked.sandbox === sandbox ? monitorWorkflowId(sandbox, marked.name) : undefined;
}
