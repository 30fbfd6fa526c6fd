/**
 * `plan <spec…> [--json]`: for each spec, what provisioning would do to AEP, read without a write (a short
 * `planDataflow` workflow on the worker, which holds the AEP credentials). Exit 0 when nothing would change, 2 when
 * something would (like `terraform plan -detailed-exitcode`) and, as for every verb, on bad input (nothing is planned
 * then: no plan is printed, and `--json` prints `ok: false`), 1 when planning failed, 3 when Temporal is out of reach.
 */
import { randomUUID } from 'node:crypto';
import type { Command } from 'commander';
import type { DataflowPlan, PlannedResource } from '../contracts/plan-activities';
import type { ResolvedDataflowSpec } from '../config';
import { resourceDescription } from '../contracts/ownership-mark';
import type { DataflowDescriptor } from '../contracts/dataflow-types';
import type { OneTrustEndpoint } from '../contracts/onetrust-endpoint-changes';
import type { SecretSealer } from '../secrets';
import { oneTrustEndpointQuery, statusQuery } from '../contracts/monitor-messages';
import type { MonitorStatus } from '../contracts/monitor-status';
import { tokenWarningLeads } from '../contracts/token-schedule';
import type { planDataflow } from '../workflows/plan-dataflow';
import { stepNumber, stepTitle } from '../contracts/provisioning-steps';
import { monitorWorkflowId } from '../contracts/workflow-ids';
import { loadCliSecretSealer } from './cli-secret-sealer';
import { exitCodes, processIo, type CommandIo } from '../runtime/command-io';
import { InputError, messageOf } from './monitor-session';
import { isTemporalUnavailable } from './temporal-unavailable';
import { formatSpecBatchProblems, loadSpecBatch } from './spec-batch';
import { expandSpecArguments } from './spec-files';
import { connectTemporal, type TemporalSession } from '../temporal/temporal-client';

export const planExitCodes = {
  nothingToDo: 0,
  error: exitCodes.failed,
  changes: 2,
  invalidInput: exitCodes.invalidInput,
  unavailable: exitCodes.unavailable,
} as const;

export interface PlanDependencies {
  io: CommandIo;
  connect: (env: NodeJS.ProcessEnv) => Promise<TemporalSession>;
}

export function registerPlanCommand(program: Command): void {
  program
    .command('plan')
    .description('show what provision would do to AEP for each spec, without writing anything')
    .argument('<spec...>', 'dataflow spec files, or folders of them')
    .option('--json', 'one JSON object per dataflow')
    .addHelpText(
      'after',
      '\nExit 0: nothing would change; 2: something would, or bad input (nothing planned); 1: planning failed;\n' +
        '3: Temporal out of reach.',
    )
    .action(async (specs: string[], options: { json?: boolean }) => {
      process.exitCode = await runPlan(
        specs,
        { json: options.json ?? false },
        { io: processIo, connect: connectTemporal },
      );
    });
}

export async function runPlan(
  specArguments: string[],
  options: { json: boolean },
  deps: PlanDependencies,
): Promise<number> {
  const { io } = deps;
  const fail = (code: number, value: object, text: string): number => {
    if (options.json) io.out(`${JSON.stringify({ ok: false, ...value })}\n`);
    else io.err(`${text}\n`);
    return code;
  };
  const batch = loadSpecBatch(expandSpecArguments(specArguments), io.env);
  if (batch.problems.length > 0) {
    return fail(
      planExitCodes.invalidInput,
      { error: 'invalid-spec', problems: batch.problems },
      formatSpecBatchProblems(batch.problems, 'planned'),
    );
  }
  let session: TemporalSession;
  try {
    session = await deps.connect(io.env);
  } catch (error) {
    const message = messageOf(error);
    return fail(planExitCodes.unavailable, { error: 'temporal-unavailable', message }, `Error: ${message}`);
  }
  let anyChange = false;
  /** Loaded only when a spec has a client secret to compare: it is sealed as provision seals it. */
  let sealer: SecretSealer | undefined;
  const loadSealer = (): SecretSealer => {
    try {
      return (sealer ??= loadCliSecretSealer(io));
    } catch (error) {
      throw new InputError(messageOf(error));
    }
  };
  try {
    for (const { file, spec } of batch.specs) {
      const plan = await planOne(session, spec, loadSealer);
      anyChange ||= plan.changeCount > 0;
      if (options.json) io.out(`${JSON.stringify({ sandbox: spec.sandbox, name: spec.name, spec: file, ...plan })}\n`);
      else io.out(`${formatPlan(spec, plan, file)}\n`);
    }
  } catch (error) {
    const message = messageOf(error);
    if (error instanceof InputError) {
      return fail(planExitCodes.invalidInput, { error: 'invalid-input', message }, `Error: ${message}`);
    }
    if (isTemporalUnavailable(error)) {
      return fail(planExitCodes.unavailable, { error: 'temporal-unavailable', message }, `Error: ${message}`);
    }
    return fail(planExitCodes.error, { error: 'plan-failed', message }, `Error: ${message}`);
  } finally {
    await session.close();
  }
  return anyChange ? planExitCodes.changes : planExitCodes.nothingToDo;
}

async function planOne(
  session: TemporalSession,
  spec: ResolvedDataflowSpec,
  sealer: () => SecretSealer,
): Promise<DataflowPlan> {
  // The token in use is the one the monitor tracks (AEP never shows a connection's token).
  const monitorHandle = session.client.workflow.getHandle(monitorWorkflowId(spec.sandbox, spec.name));
  const monitor = await monitorHandle.query(statusQuery).catch(() => undefined);
  // A monitor of a release without the query answers nothing: its OneTrust endpoint is then left out of the plan.
  const endpointInUse = monitor ? await monitorHandle.query(oneTrustEndpointQuery).catch(() => undefined) : undefined;
  const tokenInUseExpiresAt = monitor?.token.expiresAt;
  const description = resourceDescription(spec.sandbox, spec.name, spec.description);
  const plan = await session.client.workflow.execute<typeof planDataflow>('planDataflow', {
    taskQueue: session.taskQueue,
    workflowId: `plan:${spec.sandbox}:${spec.name}:${randomUUID()}`,
    args: [
      {
        dataflow: {
          sandbox: spec.sandbox,
          name: spec.name,
          schemaTitle: spec.target.schemaTitle,
          datasetName: spec.target.datasetName,
        },
        description,
        schedule: spec.schedule,
        mapping: spec.mapping,
        tokenExpiresAt: spec.oneTrust.expiresAt.toISOString(),
        ...(tokenInUseExpiresAt ? { tokenInUseExpiresAt } : {}),
        ...(monitor ? { mappingVersion: monitor.ids.mappingVersion } : {}),
        ...(endpointInUse ? { oneTrust: { wanted: wantedEndpoint(spec, sealer), inUse: endpointInUse } } : {}),
      },
    ],
    workflowExecutionTimeout: '5m',
  });
  const monitorChanges = monitor ? monitorChangesOf(spec, monitor) : [];
  return monitorChanges.length === 0
    ? plan
    : {
        ...plan,
        monitor: [...(plan.monitor ?? []), ...monitorChanges],
        changeCount: plan.changeCount + monitorChanges.length,
      };
}

/** The spec's endpoint as the worker compares it: the client secret sealed, as provision sends it. */
function wantedEndpoint(spec: ResolvedDataflowSpec, sealer: () => SecretSealer): OneTrustEndpoint {
  const credentials = spec.oneTrust.clientCredentials;
  return {
    baseUrl: spec.oneTrust.baseUrl,
    ...(credentials
      ? {
          clientCredentials: {
            clientId: credentials.clientId,
            clientSecret: sealer().seal(credentials.clientSecret.reveal()),
          },
        }
      : {}),
  };
}

/** What the monitor holds that the spec changes: token warnings, and whether alerts go to a webhook. */
function monitorChangesOf(spec: ResolvedDataflowSpec, monitor: MonitorStatus): string[] {
  const changes: string[] = [];
  const wanted = tokenWarningLeads({ monitor: spec.monitor } as DataflowDescriptor).map((lead) => lead.text);
  const current = monitor.token.warningLeadTimes;
  if (wanted.join(', ') !== current.join(', '))
    changes.push(`token warnings ${current.join(', ')} → ${wanted.join(', ')}`);
  if (spec.alerts && monitor.alerts === 'log') changes.push('alerts: webhook set (alerts go to the log now)');
  if (!spec.alerts && monitor.alerts === 'webhook') changes.push('alerts: webhook removed (alerts go to the log)');
  return changes;
}

const marks: Record<PlannedResource['action'], string> = { create: '+', keep: '=', change: '~', shared: '!' };

/** `file` is the spec's path as given, so the closing line is the very command that applies this plan. */
export function formatPlan(spec: ResolvedDataflowSpec, plan: DataflowPlan, file: string): string {
  const target = `${spec.sandbox}/${spec.name}`;
  const lines = [`${target}: ${plan.changeCount === 0 ? 'nothing to do' : `${plan.changeCount} change(s)`}`];
  for (const resource of plan.resources) {
    const title = `[${stepNumber(resource.key)}/8] ${stepTitle(resource.key)}`;
    const detail = [resource.id, resource.note].filter(Boolean).join('; ');
    lines.push(`  ${marks[resource.action]} ${title}: ${resource.action}${detail ? ` (${detail})` : ''}`);
    for (const change of resource.changes ?? []) lines.push(`      ${change}`);
  }
  lines.push(
    `  ${plan.token.action === 'keep' ? '=' : '~'} OneTrust token: ${plan.token.action} (${plan.token.reason})`,
  );
  for (const change of plan.monitor ?? []) lines.push(`  ~ Monitor: ${change}`);
  if (plan.changeCount > 0) lines.push(`  apply with: npm run client -- provision ${shellWord(file)}`);
  return lines.join('\n');
}

/** A path as a shell reads it: quoted only when it has to be. */
function shellWord(text: string): string {
  return /^[\w./@%+=:,-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`;
}
