/**
 * `plan <spec…> [--json]`: for each spec, what provisioning would do to AEP, read without a write (a short
 * `planDataflow` workflow on the worker, which holds the AEP credentials). Exit 0 when nothing would change, 2 when
 * something would (like `terraform plan -detailed-exitcode`), 1 on an error.
 */
import { randomUUID } from 'node:crypto';
import type { Command } from 'commander';
import type { DataflowPlan, PlannedResource } from '../activities';
import type { ResolvedDataflowSpec } from '../config';
import { resourceDescription } from '../dataflow/ownership-mark';
import type { DataflowDescriptor } from '../workflows/dataflow-types';
import type { OneTrustEndpoint } from '../dataflow/onetrust-endpoint-changes';
import type { SecretSealer } from '../secrets';
import { oneTrustEndpointQuery, statusQuery } from '../workflows/monitor/messages';
import type { MonitorStatus } from '../workflows/monitor/monitor-status';
import { tokenWarningLeads } from '../workflows/monitor/token-schedule';
import type { planDataflow } from '../workflows/plan-dataflow';
import { stepNumber, stepTitle } from '../workflows/provisioning-steps';
import { monitorWorkflowId } from '../workflows/workflow-ids';
import { loadCliSecretSealer } from './cli-secret-sealer';
import { processIo, type CommandIo } from './command-io';
import { formatSpecBatchProblems, loadSpecBatch } from './spec-batch';
import { expandSpecArguments } from './spec-files';
import { connectTemporal, type TemporalSession } from './temporal-client';

export const planExitCodes = { nothingToDo: 0, error: 1, changes: 2 } as const;

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
    .addHelpText('after', '\nExit 0: nothing would change; 2: something would; 1: an error (bad spec, Temporal).')
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
  const batch = loadSpecBatch(expandSpecArguments(specArguments), io.env);
  if (batch.problems.length > 0) {
    if (options.json) io.out(`${JSON.stringify({ ok: false, error: 'invalid-spec', problems: batch.problems })}\n`);
    else io.err(`Invalid dataflow specs; nothing was planned:\n${formatSpecBatchProblems(batch.problems)}\n`);
    return planExitCodes.error;
  }
  let session: TemporalSession;
  try {
    session = await deps.connect(io.env);
  } catch (error) {
    io.err(`Error: ${(error as Error).message}\n`);
    return planExitCodes.error;
  }
  let anyChange = false;
  /** Loaded only when a spec has a client secret to compare: it is sealed as provision seals it. */
  let sealer: SecretSealer | undefined;
  try {
    for (const { file, spec } of batch.specs) {
      const plan = await planOne(session, spec, () => (sealer ??= loadCliSecretSealer(io)));
      anyChange ||= plan.changeCount > 0;
      if (options.json) io.out(`${JSON.stringify({ sandbox: spec.sandbox, name: spec.name, spec: file, ...plan })}\n`);
      else io.out(`${formatPlan(spec, plan)}\n`);
    }
  } catch (error) {
    io.err(`Error: ${(error as Error).message}\n`);
    return planExitCodes.error;
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

export function formatPlan(spec: ResolvedDataflowSpec, plan: DataflowPlan): string {
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
  if (plan.changeCount > 0) lines.push(`  apply with: npm run client -- provision <spec.json> (${target})`);
  return lines.join('\n');
}
