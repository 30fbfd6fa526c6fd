/**
 * After `provision` finds a dataflow that already exists, the spec is applied to it: the dataflow's monitor
 * compares AEP and itself with the spec and changes what differs (the `applySpec` update; see
 * workflows/monitor/apply-spec.ts). This is what makes `provision` converge rather than only reuse.
 */
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { resourceDescription } from '../contracts/ownership-mark';
import type { SealedSecret } from '../secrets';
import { applySpecUpdate } from '../contracts/monitor-messages';
import type { ActionOutcome, ApplySpecRequest } from '../contracts/monitor-state';
import type { ProvisionDataflowInput } from '../contracts/provisioning-messages';
import { monitorWorkflowId } from '../contracts/workflow-ids';
import { describeOutcome, messageOf } from './monitor-session';
import type { TemporalSession } from '../temporal/temporal-client';
import { noWorkerProblem } from './worker-presence';

/** What applying the spec did, as `--json` shows it. */
export interface AppliedSpec {
  ok: boolean;
  summary: string;
  changed: string[];
  kept: string[];
  shared: string[];
}

export function applySpecRequest(input: ProvisionDataflowInput, tokenUnconfirmed: boolean): ApplySpecRequest {
  const { frequency, interval } = input.schedule;
  return {
    description: resourceDescription(input.sandbox, input.name, input.description),
    schedule: { frequency, ...(interval !== undefined ? { interval } : {}) },
    mapping: input.mapping,
    token: input.oneTrust.token,
    tokenExpiresAt: input.oneTrust.tokenExpiresAt,
    ...(tokenUnconfirmed ? { tokenUnconfirmed } : {}),
    // The CLI always seals the webhook URL; a plain string never reaches this point.
    ...(input.alerts ? { alerts: { webhookUrl: input.alerts.webhookUrl as SealedSecret } } : {}),
    ...(input.monitor ? { monitor: input.monitor } : {}),
    // Always sent, credentials or not: a spec without them turns automatic rotation off.
    oneTrust: {
      baseUrl: input.oneTrust.baseUrl,
      ...(input.oneTrust.clientCredentials ? { clientCredentials: input.oneTrust.clientCredentials } : {}),
    },
  };
}

export async function applySpecToDataflow(
  session: TemporalSession,
  input: ProvisionDataflowInput,
  options: { tokenUnconfirmed: boolean; workerGraceMs?: number },
): Promise<AppliedSpec> {
  const monitor = session.client.workflow.getHandle(monitorWorkflowId(input.sandbox, input.name));
  try {
    // An update with no worker to take it would wait in silence: say so instead. A server that just restarted
    // knows of no poller until the workers' next poll reaches it, so the answer is asked again for a while.
    const { taskQueue } = await monitor.describe();
    const noWorker = await persistentNoWorkerProblem(session, taskQueue, options.workerGraceMs ?? defaultWorkerGraceMs);
    if (noWorker)
      return { ok: false, summary: `the spec could not be applied: ${noWorker}`, changed: [], kept: [], shared: [] };
    const outcome = await monitor.executeUpdate(applySpecUpdate, {
      args: [applySpecRequest(input, options.tokenUnconfirmed)],
    });
    return appliedFrom(outcome);
  } catch (error) {
    const outcome = error instanceof WorkflowUpdateFailedError ? outcomeOfFailure(error) : undefined;
    return {
      ok: false,
      summary: `the spec could not be applied: ${outcome?.summary ?? causeMessage(error)}`,
      changed: [],
      kept: [],
      shared: [],
    };
  }
}

/** How long "no worker polls" must last before applying gives up on it. */
const defaultWorkerGraceMs = 20_000;

async function persistentNoWorkerProblem(
  session: TemporalSession,
  taskQueue: string,
  graceMs: number,
): Promise<string | undefined> {
  const deadline = Date.now() + graceMs;
  for (;;) {
    const problem = await noWorkerProblem(session, taskQueue);
    if (problem === undefined || Date.now() >= deadline) return problem;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

/**
 * Lines for people: what changed, what was kept and why, what is shared. `reused`: what a fresh provisioning found
 * already there and built on (so "nothing to change" does not read as "nothing happened").
 */
export function describeApplied(applied: AppliedSpec, reused: readonly string[] = []): string {
  if (!applied.ok) return `Error: ${applied.summary}`;
  const unchanged =
    reused.length > 0
      ? `Reused what was already there: ${reused.join('; ')}. Nothing else to change: the dataflow matches the spec.`
      : 'Nothing to change: the dataflow matches the spec.';
  return describeOutcome({
    id: '',
    kind: 'applySpec',
    source: 'update',
    ok: true,
    summary: applied.changed.length === 0 ? unchanged : 'Applied the spec:',
    finishedAt: '',
    details: {
      ...(applied.changed.length > 0 ? { changed: applied.changed } : {}),
      ...(applied.kept.length > 0 ? { kept: applied.kept } : {}),
      ...(applied.shared.length > 0 ? { shared: applied.shared } : {}),
      ...(applied.changed.length > 0 && reused.length > 0 ? { reused: [...reused] } : {}),
    },
  });
}

function appliedFrom(outcome: ActionOutcome): AppliedSpec {
  const list = (key: string) => {
    const value = outcome.details[key];
    return Array.isArray(value) ? value : [];
  };
  return { ok: true, summary: outcome.summary, changed: list('changed'), kept: list('kept'), shared: list('shared') };
}

function outcomeOfFailure(error: WorkflowUpdateFailedError): ActionOutcome | undefined {
  const cause = error.cause as { details?: unknown[] } | undefined;
  const first = cause?.details?.[0];
  return typeof first === 'object' && first !== null && 'summary' in first ? (first as ActionOutcome) : undefined;
}

function causeMessage(error: unknown): string {
  const cause = (error as { cause?: unknown }).cause;
  return cause instanceof Error ? cause.message : messageOf(error);
}
