/**
 * What every monitor verb shares: find the dataflow's monitor, do one thing with it (waiting for its answer, and
 * saying so when no worker seems to be there to give one), print the answer (text or `--json`), and turn each way
 * it can go wrong into a message that says what to do and an exit code.
 */
import {
  WorkflowUpdateFailedError,
  type WorkflowExecutionDescription,
  WorkflowUpdateStage,
  type WorkflowHandle,
  type WorkflowUpdateHandle,
} from '@temporalio/client';
import { ApplicationFailure, WorkflowNotFoundError, type UpdateDefinition } from '@temporalio/common';
import type { ActionOutcome } from '../contracts/monitor-state';
import type { dataflowMonitor } from '../workflows/dataflow-monitor';
import { monitorActionFailedType } from '../contracts/monitor-messages';
import { DataflowState } from '../contracts/search-attributes';
import { exitCodes, type CommandIo } from '../runtime/command-io';
import { isTemporalUnavailable } from './temporal-unavailable';
import { parseMonitorTarget, TargetError, type MonitorTarget } from './monitor-target';
import type { TemporalSession } from '../temporal/temporal-client';

export interface MonitorCommandDependencies {
  io: CommandIo;
  connect: (env: NodeJS.ProcessEnv) => Promise<TemporalSession>;
  /** The whole of standard input (rotate-token reads the token from it). */
  readStdin?: () => Promise<string>;
  /** Standard input is a terminal: rotate-token then says what it is waiting for. */
  stdinIsTerminal?: boolean;
  /** How long a request may go unaccepted before the "is a worker running?" hint (default 5 s; tests shorten it). */
  noWorkerHintAfterMs?: number;
}

export type MonitorHandle = WorkflowHandle<typeof dataflowMonitor>;

/** What a verb works with: the monitor's handle, and a way to ask it something and wait for the answer. */
export interface MonitorConnection {
  handle: MonitorHandle;
  target: MonitorTarget;
  session: TemporalSession;
  /** Sends an update and waits for its result (see `updateAndWait`). */
  update<Ret, Args extends unknown[]>(definition: UpdateDefinition<Ret, Args>, ...args: Args): Promise<Ret>;
}

const defaultNoWorkerHintAfterMs = 5_000;

/** Writes the final answer: one JSON object with --json, else text (to stderr when it reports a failure). */
export class Reporter {
  constructor(
    private readonly io: CommandIo,
    readonly json: boolean,
  ) {}

  succeed(value: object, text: string): number {
    this.io.out(this.json ? JSON.stringify({ ok: true, ...value }, null, 2) : text);
    return exitCodes.ok;
  }

  /** A caution that does not stop the command: on stderr, so `--json` output stays one object. */
  warn(message: string): void {
    this.io.err(`Warning: ${message}`);
  }

  fail(code: number, error: string, message: string, extra: object = {}): number {
    if (this.json) this.io.out(JSON.stringify({ ok: false, error, message, ...extra }, null, 2));
    else this.io.err(`Error: ${message}`);
    return code;
  }
}

export class InputError extends Error {
  override readonly name = 'InputError';
}

/**
 * Runs `work` against the monitor of `targetText`. `work` returns the exit code; errors it throws are reported
 * here: bad input or an unknown dataflow (2), a torn-down one (0: nothing to do), the monitor refusing or failing
 * the request (2 / 1), Temporal unreachable (3).
 */
export async function withMonitor(
  targetText: string,
  reporter: Reporter,
  deps: MonitorCommandDependencies,
  work: (monitor: MonitorConnection) => Promise<number>,
): Promise<number> {
  let target: MonitorTarget;
  try {
    target = parseMonitorTarget(targetText);
  } catch (error) {
    return reporter.fail(exitCodes.invalidInput, 'invalid-input', messageOf(error));
  }
  let session: TemporalSession;
  try {
    session = await deps.connect(deps.io.env);
  } catch (error) {
    return reporter.fail(exitCodes.unavailable, 'temporal-unavailable', messageOf(error));
  }
  try {
    const handle: MonitorHandle = session.client.workflow.getHandle(target.workflowId);
    const hintAfterMs = deps.noWorkerHintAfterMs ?? defaultNoWorkerHintAfterMs;
    return await work({
      handle,
      target,
      session,
      update: (definition, ...args) =>
        updateAndWait(handle, definition, args, {
          hintAfterMs,
          hint: (queue) =>
            deps.io.err(`(no answer yet: is a worker polling task queue "${queue}"? start one with npm run worker)`),
          fallbackTaskQueue: session.taskQueue,
        }),
    });
  } catch (error) {
    return await reportError(error, target, reporter, session.client.workflow.getHandle(target.workflowId));
  } finally {
    await session.close();
  }
}

/**
 * An update is accepted only when a worker runs the monitor's next workflow task; with no worker it would wait in
 * silence forever. So: wait for acceptance, and if it takes longer than `hintAfterMs`, print once which task queue
 * needs a worker (the monitor's own, from Temporal), keep waiting, then wait for the result.
 */
export async function updateAndWait<Ret, Args extends unknown[]>(
  handle: MonitorHandle,
  definition: UpdateDefinition<Ret, Args>,
  args: Args,
  notice: { hintAfterMs: number; hint: (taskQueue: string) => void; fallbackTaskQueue: string },
): Promise<Ret> {
  // The SDK's overloads tell updates with and without arguments apart; at run time both are the same call.
  const accepted = handle.startUpdate(definition as unknown as UpdateDefinition<Ret, [unknown]>, {
    args: args as unknown as [unknown],
    waitForStage: WorkflowUpdateStage.ACCEPTED,
  });
  const timer = setTimeout(() => {
    void handle.describe().then(
      (description) => notice.hint(description.taskQueue),
      () => notice.hint(notice.fallbackTaskQueue),
    );
  }, notice.hintAfterMs);
  let updateHandle: WorkflowUpdateHandle<Ret>;
  try {
    updateHandle = await accepted;
  } finally {
    clearTimeout(timer);
  }
  return updateHandle.result();
}

async function reportError(
  error: unknown,
  target: MonitorTarget,
  reporter: Reporter,
  handle: MonitorHandle,
): Promise<number> {
  if (error instanceof InputError || error instanceof TargetError) {
    return reporter.fail(exitCodes.invalidInput, 'invalid-input', error.message);
  }
  if (error instanceof WorkflowNotFoundError || isClosedWorkflowError(error)) {
    return reportEndedMonitor(target, reporter, handle);
  }
  if (error instanceof WorkflowUpdateFailedError) {
    const cause = error.cause;
    if (cause instanceof ApplicationFailure && cause.type === monitorActionFailedType) {
      const outcome = cause.details?.[0] as ActionOutcome | undefined;
      return reporter.fail(exitCodes.failed, 'action-failed', cause.message, outcome ? { outcome } : {});
    }
    // Refused by the update's validator: nothing was done.
    return reporter.fail(
      exitCodes.invalidInput,
      'refused',
      `refused by the monitor: ${cause?.message ?? error.message}`,
    );
  }
  if (isTemporalUnavailable(error)) {
    // The request reached the monitor (or may have): it can still complete while Temporal is away from us.
    return reporter.fail(
      exitCodes.unavailable,
      'temporal-unavailable',
      `Lost Temporal while waiting for ${target.workflowId} to answer (${messageOf(error)}). The request may still ` +
        `complete: once Temporal is back, look with npm run client -- status ${target.sandbox}/${target.name}`,
    );
  }
  return reporter.fail(exitCodes.unavailable, 'unexpected', messageOf(error));
}

/**
 * The monitor is not there to ask. A dataflow that was torn down is finished: every verb has nothing to do (exit 0,
 * saying so). One that never existed, or whose monitor ended some other way, is bad input (exit 2).
 */
async function reportEndedMonitor(target: MonitorTarget, reporter: Reporter, handle: MonitorHandle): Promise<number> {
  const dataflow = `${target.sandbox}/${target.name}`;
  const listHint = '`npm run client -- list` shows the monitored dataflows';
  let description: WorkflowExecutionDescription;
  try {
    description = await handle.describe();
  } catch (error) {
    if (!(error instanceof WorkflowNotFoundError))
      return reporter.fail(exitCodes.unavailable, 'unexpected', messageOf(error));
    return reporter.fail(
      exitCodes.invalidInput,
      'no-monitor',
      `no dataflow ${dataflow}: it was never provisioned (no workflow ${target.workflowId}); ${listHint}`,
    );
  }
  const ended = description.status.name;
  if (ended === 'COMPLETED' && description.typedSearchAttributes.get(DataflowState) === 'torn-down') {
    const when = description.closeTime ? ` at ${description.closeTime.toISOString()}` : '';
    return reporter.succeed(
      { nothingToDo: true, state: 'torn-down', workflowId: target.workflowId },
      `nothing to do: ${dataflow} was torn down${when}`,
    );
  }
  return reporter.fail(
    exitCodes.invalidInput,
    'no-monitor',
    `no running monitor for ${dataflow} (workflow ${target.workflowId} ended: ${ended}); ` +
      `provision its spec again to watch it; ${listHint}`,
  );
}

/** Updates and queries sent to a workflow that already completed fail with a gRPC NOT_FOUND / "completed". */
function isClosedWorkflowError(error: unknown): boolean {
  return error instanceof Error && /workflow execution already completed|workflow not found/i.test(error.message);
}

/** The outcome of a change, as text: the summary, then each detail on its own line. */
export function describeOutcome(outcome: ActionOutcome): string {
  const lines = [outcome.summary];
  for (const [key, value] of Object.entries(outcome.details)) {
    if (Array.isArray(value)) {
      lines.push(`  ${labelFor(key)}:${value.length === 0 ? ' (none)' : ''}`);
      for (const entry of value) lines.push(`    - ${entry}`);
    } else {
      lines.push(`  ${labelFor(key)}: ${String(value)}`);
    }
  }
  return lines.join('\n');
}

/** Labels for people, not field names: `tokenExpiresAt` → "token expires at" (`--json` keeps the field names). */
export function labelFor(key: string): string {
  return key
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2')
    .toLowerCase();
}

export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export async function readAllStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin)
    chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}
