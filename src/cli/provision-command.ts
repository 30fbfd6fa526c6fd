/**
 * `provision <spec.json> [--no-wait] [--json]`: validates the spec (nothing starts on a bad one), seals the
 * token, starts provisionDataflow (or finds it already done), prints the workflow id and its Web UI link, then
 * follows the steps live until the end. Exit 0 with the ids; non-zero with the failing step, HTTP status, AEP
 * error code and message; 3 when Temporal cannot be reached, also if it goes away while we follow.
 * Several specs, or a folder of them, are provisioned together by bulk-provision.ts.
 */
import type { WorkflowHandle } from '@temporalio/client';
import type { Command } from 'commander';
import { loadDataflowSpecFile, SpecError, type ResolvedDataflowSpec } from '../config';
import type { DataflowIds } from '../contracts/dataflow-types';
import { statusQuery } from '../contracts/monitor-messages';
import { monitorWorkflowId, provisionWorkflowId } from '../contracts/workflow-ids';
import { describeSchedule } from '../contracts/progress-details';
import type { provisionDataflow } from '../workflows/provision-dataflow';
import {
  progressQuery,
  type ProvisionDataflowInput,
  type ProvisioningFailure,
  type ProvisioningProgress,
  type StepProgress,
  type StepTransition,
} from '../contracts/provisioning-messages';
import { provisioningSteps, stepNumber, stepTitle, type ProvisioningStepKey } from '../contracts/provisioning-steps';
import { runBulkProvision, shouldProvisionInBulk } from './bulk-provision';
import { applySpecToDataflow, describeApplied } from './apply-spec';
import { reportFromResult } from './bulk-report';
import { loadCliSecretSealer } from './cli-secret-sealer';
import { exitCodes, processIo, type CommandIo } from '../runtime/command-io';
import { toProvisionInput } from './provision-input';
import { earlierProvisioning, startProvisioningWorkflow } from './provision-start';
import { failureFacts, formatFacts } from './failure-facts';
import { provisioningFailureOf } from './provisioning-failure';
import { connectTemporal, workflowUiLink, monitorUiLink, type TemporalSession } from '../temporal/temporal-client';
import { isTemporalUnavailable } from './temporal-unavailable';

export { provisioningFailureOf } from './provisioning-failure';

export interface ProvisionOptions {
  wait: boolean;
  json: boolean;
}

export interface ProvisionDependencies {
  io: CommandIo;
  connect: (env: NodeJS.ProcessEnv) => Promise<TemporalSession>;
  /** How often live progress is polled. */
  pollIntervalMs?: number;
  /** Extra workflow input (tests shorten retries). */
  inputOverrides?: Pick<ProvisionDataflowInput, 'activityTiming' | 'startMonitor'>;
}

export function registerProvisionCommand(program: Command): void {
  program
    .command('provision')
    .description(
      'provision OneTrust → AEP dataflows from spec files (or every *.json of a folder) and follow their progress',
    )
    .argument('<spec.json|folder...>', 'dataflow specs (see examples/dataflow.example.json), or folders of them')
    .option('--no-wait', 'start provisioning and return at once')
    .option('--json', 'print JSON instead of text: one object, or one line per dataflow with several specs')
    .addHelpText('after', provisionHelp)
    .action(async (specArguments: string[], options: { wait: boolean; json?: boolean }) => {
      const provisionOptions = { wait: options.wait, json: options.json ?? false };
      if (!shouldProvisionInBulk(specArguments)) {
        process.exitCode = await runProvision(specArguments[0] ?? '', provisionOptions, {
          io: processIo,
          connect: connectTemporal,
        });
        return;
      }
      // Ctrl-C stops following, not the workflows: the bulk command then says how to see them.
      const interrupt = new AbortController();
      const onSigint = () => interrupt.abort();
      process.once('SIGINT', onSigint);
      try {
        process.exitCode = await runBulkProvision(specArguments, provisionOptions, {
          io: processIo,
          connect: connectTemporal,
          interrupt: interrupt.signal,
          ...(process.stdout.isTTY && process.env.TERM !== 'dumb'
            ? { terminal: () => ({ columns: process.stdout.columns || 80, rows: process.stdout.rows || 24 }) }
            : {}),
        });
      } finally {
        process.off('SIGINT', onSigint);
      }
    });
}

const provisionHelp = `
With several specs or a folder, every spec is checked before anything starts, then all are provisioned at once
on one progress board; --json prints one line per dataflow as it finishes:
  {"sandbox","name","spec","workflowId","uiUrl","status","ids"?,"created"?,"reused"?,"failure"?,"message"?,…}
  status: provisioned | already-existed | failed | cancelled | started (--no-wait) | unknown (lost Temporal)
Exit 0 when all are provisioned (or already were), 1 when any failed, 2 on a bad spec (nothing started).

Examples:
  npm run client -- provision specs/consents-eu.json
  npm run client -- provision specs/          # every specs/*.json
  npm run client -- provision specs/*.json --json
`;

export async function runProvision(
  specPath: string,
  options: ProvisionOptions,
  deps: ProvisionDependencies,
): Promise<number> {
  const { io } = deps;
  const print = new Printer(io, options.json);

  let spec: ResolvedDataflowSpec;
  let input: ProvisionDataflowInput;
  try {
    spec = loadDataflowSpecFile(specPath, { env: io.env });
    const monitorTaskQueue = io.env.MONITOR_TASK_QUEUE?.trim();
    input = toProvisionInput(spec, loadCliSecretSealer(io), {
      ...(monitorTaskQueue ? { monitorTaskQueue } : {}),
      ...deps.inputOverrides,
    });
  } catch (error) {
    if (error instanceof SpecError) {
      print.result({ ok: false, error: 'invalid-spec', problems: error.problems }, error.message);
      return exitCodes.invalidInput;
    }
    print.result({ ok: false, error: 'invalid-input', message: messageOf(error) }, `Error: ${messageOf(error)}`);
    return exitCodes.invalidInput;
  }

  let session: TemporalSession;
  try {
    session = await deps.connect(io.env);
  } catch (error) {
    print.result({ ok: false, error: 'temporal-unavailable', message: messageOf(error) }, `Error: ${messageOf(error)}`);
    return exitCodes.unavailable;
  }

  try {
    const workflowId = provisionWorkflowId(spec.sandbox, spec.name);
    const uiLink = workflowUiLink(session.uiUrl, session.namespace, workflowId);
    const earlier = await earlierProvisioning(session, spec);

    if (earlier.kind === 'provisioned') {
      const result = await session.client.workflow.getHandle<typeof provisionDataflow>(workflowId).result();
      // The same shape as a provisioning that just ran, minus created/reused: this run created and reused nothing.
      const {
        created: _created,
        reused: _reused,
        ...earlierResult
      } = reportFromResult(
        { sandbox: spec.sandbox, name: spec.name, spec: specPath, workflowId, uiUrl: uiLink },
        result,
      );
      const applied = await applySpecToDataflow(session, input, { tokenUnconfirmed: false });
      // The provisioning's result holds the ids it built with; an update since (mapping v2) moved the monitor's.
      const ids = (await idsInUse(session, spec)) ?? result.ids;
      print.result(
        { ok: applied.ok, ...earlierResult, ids, status: 'already-existed', applied },
        `Dataflow ${spec.name} already exists in sandbox ${spec.sandbox} (provisioned by ${workflowId}); nothing was created.\n` +
          `Web UI: ${uiLink}\n${formatIds(ids)}\n${describeApplied(applied)}`,
      );
      return applied.ok ? exitCodes.ok : exitCodes.failed;
    }

    let handle: WorkflowHandle<typeof provisionDataflow>;
    let runId: string | undefined;
    if (earlier.kind === 'running') {
      handle = session.client.workflow.getHandle(workflowId);
      print.line(`${workflowId} is already running: following it.`);
    } else {
      const started = await startProvisioningWorkflow(session, spec, input);
      handle = started;
      runId = started.firstExecutionRunId;
      print.line(`Started ${workflowId}`);
    }
    print.line(`Web UI: ${uiLink}`);

    if (!options.wait) {
      print.result(
        { ok: true, status: 'started', workflowId, runId, uiUrl: uiLink },
        `Not waiting (--no-wait). Follow it in the Web UI, or: npm run client -- status ${spec.sandbox}/${spec.name}`,
      );
      return exitCodes.ok;
    }

    return await follow(handle, {
      session,
      spec,
      specPath,
      input,
      uiLink,
      print,
      pollIntervalMs: deps.pollIntervalMs ?? 500,
    });
  } catch (error) {
    const code = isTemporalUnavailable(error) ? 'temporal-unavailable' : 'unexpected';
    print.result({ ok: false, error: code, message: messageOf(error) }, `Error: ${messageOf(error)}`);
    return exitCodes.unavailable;
  } finally {
    await session.close();
  }
}

async function follow(
  handle: WorkflowHandle<typeof provisionDataflow>,
  context: {
    session: TemporalSession;
    spec: ResolvedDataflowSpec;
    specPath: string;
    input: ProvisionDataflowInput;
    uiLink: string;
    print: Printer;
    pollIntervalMs: number;
  },
): Promise<number> {
  const { print, session } = context;
  const outcome = handle.result().then(
    (result) => ({ ok: true as const, result }),
    (error: unknown) => ({ ok: false as const, error }),
  );
  const shown = { transitions: 0 };
  let done = false;
  void outcome.then(() => (done = true));
  const startedAt = Date.now();
  let waitingNoticeShown = false;

  while (!done) {
    const progress = await queryProgress(session, handle);
    if (progress) showProgress(progress, shown, print);
    else if (!waitingNoticeShown && Date.now() - startedAt > 5_000) {
      waitingNoticeShown = true;
      print.line(
        `  (no answer yet: is a worker polling task queue "${session.taskQueue}"? start one with npm run worker)`,
      );
    }
    await Promise.race([outcome, sleep(context.pollIntervalMs)]);
  }

  const final = await outcome;
  const temporalLost = !final.ok && isTemporalUnavailable(final.error);
  const lastProgress = temporalLost ? undefined : await queryProgress(session, handle);
  if (lastProgress) showProgress(lastProgress, shown, print);

  if (final.ok) {
    const result = final.result;
    const headline = result.alreadyExisted
      ? `Dataflow ${result.name} already exists in sandbox ${result.sandbox}; nothing was created.`
      : `Dataflow ${result.name} is provisioned in sandbox ${result.sandbox} (${describeSchedule(result.schedule)}).`;
    const monitorLink = result.monitorWorkflowId
      ? `\nMonitor: ${result.monitorWorkflowId}  ${await monitorPageLink(session, result.monitorWorkflowId)}`
      : '';
    const warnings = (result.warnings ?? []).map((warning) => `\nWarning: ${warning}`).join('');
    // What existed already is made to match the spec; what this run created already does.
    const applied =
      result.reused.length > 0 && result.monitorWorkflowId
        ? await applySpecToDataflow(session, context.input, {
            tokenUnconfirmed: result.reused.includes('base-connection') && result.monitorStartedNow === true,
          })
        : undefined;
    // A monitor that was already watching may use newer ids than this run found (a mapping moved to v2).
    const ids = (result.monitorStartedNow === false ? await idsInUse(session, context.spec) : undefined) ?? result.ids;
    // A fresh dataflow built on what was already there: say which, rather than only "nothing to change".
    const reused = result.alreadyExisted ? [] : describeReused(result.reused, ids);
    print.result(
      {
        ok: applied?.ok ?? true,
        ...(applied ? { applied } : {}),
        ...reportFromResult(
          {
            sandbox: result.sandbox,
            name: result.name,
            spec: context.specPath,
            workflowId: result.workflowId,
            uiUrl: context.uiLink,
          },
          { ...result, ids },
        ),
      },
      `${headline}\n${formatIds(ids)}${monitorLink}${warnings}${applied ? `\n${describeApplied(applied, reused)}` : ''}`,
    );
    return applied?.ok === false ? exitCodes.failed : exitCodes.ok;
  }

  // Temporal went away while we waited: the workflow goes on without us; following it again will show the end.
  if (temporalLost) {
    print.result(
      { ok: false, error: 'temporal-unavailable', workflowId: handle.workflowId, message: messageOf(final.error) },
      `Lost Temporal while following ${handle.workflowId}: ${messageOf(final.error)}\n` +
        `It may still be running: run this command again to follow it.\nWeb UI: ${context.uiLink}`,
    );
    return exitCodes.unavailable;
  }

  const failure = provisioningFailureOf(final.error);
  if (failure) {
    print.result(
      { ok: false, error: 'provisioning-failed', workflowId: handle.workflowId, uiUrl: context.uiLink, failure },
      formatFailure(failure),
    );
    return exitCodes.failed;
  }
  print.result(
    { ok: false, error: 'workflow-failed', workflowId: handle.workflowId, message: messageOf(final.error) },
    `Provisioning did not complete: ${messageOf(final.error)}\nWeb UI: ${context.uiLink}`,
  );
  return exitCodes.failed;
}

async function queryProgress(
  session: TemporalSession,
  handle: WorkflowHandle<typeof provisionDataflow>,
): Promise<ProvisioningProgress | undefined> {
  try {
    // A deadline, not a race with a timer: the call (and the client's retries of it) must be over before the
    // connection closes, or a retry fires on a closed channel and crashes the process.
    return await session.client.withDeadline(Date.now() + 3_000, () => handle.query(progressQuery));
  } catch {
    // No worker has run the workflow yet, or it is between tasks: try again on the next tick.
    return undefined;
  }
}

/** Prints every change of a step's state not printed yet, in the order the workflow made them. */
function showProgress(progress: ProvisioningProgress, shown: { transitions: number }, print: Printer): void {
  for (const transition of progress.transitions.slice(shown.transitions)) {
    print.line(`  ${stepLine(transition)}`);
  }
  shown.transitions = progress.transitions.length;
}

const stepWords: Record<StepProgress['state'], string> = {
  pending: 'pending',
  running: 'running…',
  done: 'created',
  reused: 'already there',
  failed: 'FAILED',
  cancelled: 'cancelled',
  'rolled-back': 'rolled back',
  kept: 'kept',
  'rollback-failed': 'ROLLBACK FAILED',
};

function stepLine(step: StepTransition): string {
  const number = stepNumber(step.key);
  const resources = Object.entries(step.resources)
    .map(([key, value]) => `${key}=${value}`)
    .join(' ');
  const note = step.state === 'failed' || step.state === 'kept' ? '' : step.note ? ` (${step.note})` : '';
  let word = step.key === 'explore-preview' && step.state === 'done' ? 'checked' : stepWords[step.state];
  // "kept (belongs to prod/consent-2)": whose it is comes first, it is why the rollback left it.
  if (step.state === 'kept' && step.note) word = `kept (${step.note})`;
  return `[${number}/${provisioningSteps.length}] ${stepTitle(step.key)}: ${word}${resources ? ` ${resources}` : ''}${note}`;
}

function formatIds(ids: DataflowIds): string {
  const rows: Array<[string, string]> = [
    ['Base connection', ids.baseConnectionId],
    ['Source connection', ids.sourceConnectionId],
    ['Field group', ids.fieldGroupId],
    ['Schema', ids.schemaId],
    ['Dataset', ids.datasetId],
    ['Target connection', ids.targetConnectionId],
    ['Mapping set', `${ids.mappingSetId} (version ${ids.mappingVersion})`],
    ['Dataflow', ids.flowId],
  ];
  return rows.map(([label, value]) => `  ${label.padEnd(18)} ${value}`).join('\n');
}

/** The ids the dataflow's monitor uses now (updates move them); undefined when it cannot answer. */
async function idsInUse(session: TemporalSession, spec: ResolvedDataflowSpec): Promise<DataflowIds | undefined> {
  const monitor = session.client.workflow.getHandle(monitorWorkflowId(spec.sandbox, spec.name));
  try {
    return (await session.client.withDeadline(Date.now() + 5_000, () => monitor.query(statusQuery))).ids;
  } catch {
    return undefined;
  }
}

const reusedIdOf: Partial<Record<ProvisioningStepKey, keyof DataflowIds>> = {
  'base-connection': 'baseConnectionId',
  'source-connection': 'sourceConnectionId',
  'target-schema': 'schemaId',
  dataset: 'datasetId',
  'target-connection': 'targetConnectionId',
  'mapping-set': 'mappingSetId',
  dataflow: 'flowId',
};

/** "target schema https://ns.adobe.com/…", "dataset 6a…": what a provisioning found and built on. */
function describeReused(steps: readonly ProvisioningStepKey[], ids: DataflowIds): string[] {
  return steps.map((key) => {
    const idKey = reusedIdOf[key];
    return `${stepTitle(key).toLowerCase()}${idKey ? ` ${ids[idKey]}` : ''}`;
  });
}

function formatFailure(failure: ProvisioningFailure): string {
  const lines = [failure.message, ...formatFacts(failureFacts(failure), '  ')];
  if (failure.rolledBack.length > 0) lines.push(`Rolled back: ${failure.rolledBack.join('; ')}`);
  else lines.push('Nothing needed rolling back.');
  if (failure.kept && failure.kept.length > 0) lines.push(`Kept: ${failure.kept.join('; ')}`);
  if (failure.leftBehind.length > 0) lines.push(`LEFT BEHIND (delete by hand): ${failure.leftBehind.join('; ')}`);
  return lines.join('\n');
}

/** Text goes out line by line; in JSON mode only the final object is printed (progress is left out). */
class Printer {
  constructor(
    private readonly io: CommandIo,
    private readonly json: boolean,
  ) {}

  line(text: string): void {
    if (!this.json) this.io.out(text);
  }

  result(value: object, text: string): void {
    if (this.json) this.io.out(JSON.stringify(value, null, 2));
    else if ('ok' in value && value.ok === false) this.io.err(text);
    else this.io.out(text);
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** The monitor's page on the tab that shows its state; its plain page (History) when its run cannot be read. */
async function monitorPageLink(session: TemporalSession, workflowId: string): Promise<string> {
  const { runId } = await session.client.workflow
    .getHandle(workflowId)
    .describe()
    .catch(() => ({ runId: undefined }));
  return runId
    ? monitorUiLink(session.uiUrl, session.namespace, workflowId, runId)
    : workflowUiLink(session.uiUrl, session.namespace, workflowId);
}
