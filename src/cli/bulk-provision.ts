/**
 * `provision` with several specs or a folder: validates every spec before anything starts, starts one
 * provisioning workflow per dataflow (as `provision <spec.json>` does for one), follows them all on one progress
 * board, and ends with a summary (or, with --json, one JSON line per dataflow as each finishes).
 * Exit 0 when every dataflow is provisioned or already was, 1 when any failed, 2 on a bad spec (nothing started),
 * 3 when Temporal cannot be reached, 130 on Ctrl-C (the workflows keep running).
 */
import { setMaxListeners } from 'node:events';
import type { WorkflowHandle } from '@temporalio/client';
import type { ResolvedDataflowSpec } from '../config';
import { progressQuery, type ProvisionDataflowInput } from '../contracts/provisioning-messages';
import type { provisionDataflow } from '../workflows/provision-dataflow';
import { provisioningSteps } from '../contracts/provisioning-steps';
import { provisionWorkflowId } from '../contracts/workflow-ids';
import {
  bulkExitCode,
  formatBulkSummary,
  outcomeWords,
  reportFromError,
  reportFromResult,
  type BulkDataflowReport,
  type ReportSubject,
} from './bulk-report';
import { applySpecToDataflow } from './apply-spec';
import { exitCodes, type CommandIo } from '../runtime/command-io';
import { concurrencyLimit } from './concurrency-limit';
import { loadCliSecretSealer } from './cli-secret-sealer';
import { ProgressBoard, rowProgress, type BoardRow, type TerminalSize } from './progress-board';
import type { ProvisionDependencies, ProvisionOptions } from './provision-command';
import { toProvisionInput } from './provision-input';
import { earlierProvisioning, startProvisioningWorkflow } from './provision-start';
import { formatSpecBatchProblems, loadSpecBatch } from './spec-batch';
import { expandSpecArguments, isFolder } from './spec-files';
import { workflowListUiLink, workflowUiLink, type TemporalSession } from '../temporal/temporal-client';

export interface BulkProvisionDependencies extends ProvisionDependencies {
  /** Stdout is a terminal of this size: the board is redrawn in place. Without it, a line per change. */
  terminal?: () => TerminalSize;
  /** Aborted on Ctrl-C: stop following and say how to see the workflows, which keep running. */
  interrupt?: AbortSignal;
}

/** Progress queries at once: each one reaches a worker, which may have to replay the workflow to answer. */
const queryConcurrency = 20;
/** Dataflows being started at once (each start is up to three calls: two describes and the start). */
const startConcurrency = 20;
/** Workflows whose end is awaited at once: each wait is a long poll held open on the Temporal server. */
const followConcurrency = 100;
const defaultPollIntervalMs = 1_000;
const queryDeadlineMs = 3_000;
const noWorkerHintAfterMs = 5_000;
/** Workflows listed by name when Ctrl-C stops the command; the Web UI link shows them all. */
const listedOnInterrupt = 20;

/** One file naming one dataflow keeps the single-spec output; several files, or a folder, go in bulk. */
export function shouldProvisionInBulk(specArguments: readonly string[]): boolean {
  const [first] = specArguments;
  return specArguments.length !== 1 || first === undefined || isFolder(first);
}

export async function runBulkProvision(
  specArguments: readonly string[],
  options: ProvisionOptions,
  deps: BulkProvisionDependencies,
): Promise<number> {
  const { io } = deps;
  const fail = (value: object, text: string) =>
    io[options.json ? 'out' : 'err'](options.json ? JSON.stringify(value) : text);

  const batch = loadSpecBatch(expandSpecArguments(specArguments), io.env);
  if (batch.problems.length > 0) {
    fail({ ok: false, error: 'invalid-spec', problems: batch.problems }, formatSpecBatchProblems(batch.problems));
    return exitCodes.invalidInput;
  }

  let dataflows: BulkDataflow[];
  try {
    const secrets = loadCliSecretSealer(io);
    const monitorTaskQueue = io.env.MONITOR_TASK_QUEUE?.trim();
    dataflows = batch.specs.map(({ file, spec }) => ({
      file,
      spec,
      input: toProvisionInput(spec, secrets, {
        ...(monitorTaskQueue ? { monitorTaskQueue } : {}),
        ...deps.inputOverrides,
      }),
    }));
  } catch (error) {
    fail({ ok: false, error: 'invalid-input', message: messageOf(error) }, `Error: ${messageOf(error)}`);
    return exitCodes.invalidInput;
  }

  let session: TemporalSession;
  try {
    session = await deps.connect(io.env);
  } catch (error) {
    fail({ ok: false, error: 'temporal-unavailable', message: messageOf(error) }, `Error: ${messageOf(error)}`);
    return exitCodes.unavailable;
  }
  try {
    return await new BulkProvisioning(session, dataflows, specArguments, options, deps).run();
  } catch (error) {
    fail({ ok: false, error: 'unexpected', message: messageOf(error) }, `Error: ${messageOf(error)}`);
    return exitCodes.unavailable;
  } finally {
    await session.close();
  }
}

interface BulkDataflow {
  file: string;
  spec: ResolvedDataflowSpec;
  input: ProvisionDataflowInput;
}

interface TrackedDataflow extends BulkDataflow {
  subject: ReportSubject;
  row: BoardRow;
  handle?: WorkflowHandle<typeof provisionDataflow>;
  /** A progress query has answered at least once (so a worker runs it). */
  answered: boolean;
  report?: BulkDataflowReport;
}

class BulkProvisioning {
  private readonly tracked: TrackedDataflow[];
  /** Aborted by Ctrl-C: the waits for workflow results are cancelled, nothing new is started. */
  private readonly stopFollowing = new AbortController();
  private readonly board: ProgressBoard | undefined;
  private readonly queries = concurrencyLimit(queryConcurrency);
  private readonly starts = concurrencyLimit(startConcurrency);
  private readonly follows = concurrencyLimit(followConcurrency);
  private readonly io: CommandIo;

  constructor(
    private readonly session: TemporalSession,
    dataflows: readonly BulkDataflow[],
    private readonly specArguments: readonly string[],
    private readonly options: ProvisionOptions,
    private readonly deps: BulkProvisionDependencies,
  ) {
    this.io = deps.io;
    // --json prints only the reports; --no-wait does not follow, so has no progress to show.
    this.board = options.json || !options.wait ? undefined : new ProgressBoard(deps.io, deps.terminal);
    this.tracked = dataflows.map((dataflow) => {
      const workflowId = provisionWorkflowId(dataflow.spec.sandbox, dataflow.spec.name);
      const label = `${dataflow.spec.sandbox}/${dataflow.spec.name}`;
      return {
        ...dataflow,
        subject: {
          sandbox: dataflow.spec.sandbox,
          name: dataflow.spec.name,
          spec: dataflow.file,
          workflowId,
          uiUrl: workflowUiLink(session.uiUrl, session.namespace, workflowId),
        },
        row: { label, stepsDone: 0, runningSteps: [], activity: 'waiting to start' },
        answered: false,
      };
    });
  }

  async run(): Promise<number> {
    const { session } = this;
    if (!this.options.json) {
      this.io.out(
        `Provisioning ${this.tracked.length} dataflows on task queue ${session.taskQueue}.\n` +
          `Web UI: ${workflowListUiLink(session.uiUrl, session.namespace, 'WorkflowType="provisionDataflow"')}`,
      );
    }
    for (const dataflow of this.tracked) this.board?.add(dataflow.row);
    this.board?.render();

    // One listener per workflow being followed (see untilStopped): hundreds are expected, not a leak.
    setMaxListeners(0, this.stopFollowing.signal);
    const interrupt = this.deps.interrupt;
    const onInterrupt = () => this.stopFollowing.abort();
    if (interrupt?.aborted) onInterrupt();
    interrupt?.addEventListener('abort', onInterrupt, { once: true });
    try {
      await this.provisionAll();
    } finally {
      interrupt?.removeEventListener('abort', onInterrupt);
    }
    const unfinished = this.tracked.some((dataflow) => !dataflow.report);
    if (this.stopFollowing.signal.aborted && unfinished) return this.sayWhatKeepsRunning();

    const reports = this.tracked.flatMap((dataflow) => (dataflow.report ? [dataflow.report] : []));
    if (!this.options.json) {
      this.board?.render();
      this.io.out(
        this.options.wait
          ? formatBulkSummary(reports)
          : 'Not waiting (--no-wait). Follow them in the Web UI, or run the same command again without --no-wait.',
      );
    }
    return bulkExitCode(reports);
  }

  private async provisionAll(): Promise<void> {
    const everyone = Promise.all(this.tracked.map((dataflow) => this.provision(dataflow)));
    await Promise.all([everyone, this.board ? this.showProgressUntil(everyone) : undefined]);
  }

  /** Never throws: whatever happens to one dataflow ends in its report. */
  private async provision(dataflow: TrackedDataflow): Promise<void> {
    try {
      const handle = await this.starts(() => this.start(dataflow));
      if (!handle) return;
      if (!this.options.wait) this.finish(dataflow, { ...dataflow.subject, status: 'started' });
      else await this.follow(dataflow, handle);
    } catch (error) {
      if (this.stopFollowing.signal.aborted) return;
      this.finish(dataflow, reportFromError(dataflow.subject, error, dataflow.handle ? 'following it' : 'starting it'));
    }
  }

  /** As the single-spec path does: a dataflow done and watched is reported, a running one joined, else started. */
  private async start(dataflow: TrackedDataflow): Promise<WorkflowHandle<typeof provisionDataflow> | undefined> {
    // Ctrl-C came before this one's turn: it is not started.
    if (this.stopFollowing.signal.aborted) return undefined;
    const { client } = this.session;
    const earlier = await earlierProvisioning(this.session, dataflow.spec);
    if (earlier.kind === 'provisioned') {
      const result = await client.workflow.getHandle<typeof provisionDataflow>(dataflow.subject.workflowId).result();
      // Its ids, but not what that earlier run created or reused: this run did nothing.
      const { created: _created, reused: _reused, ...earlierReport } = reportFromResult(dataflow.subject, result);
      const applied = await applySpecToDataflow(this.session, dataflow.input, { tokenUnconfirmed: false });
      this.finish(dataflow, { ...earlierReport, status: 'already-existed', applied });
      return undefined;
    }
    if (earlier.kind === 'running') {
      dataflow.handle = client.workflow.getHandle<typeof provisionDataflow>(dataflow.subject.workflowId);
      dataflow.row.activity = 'already running: following it';
    } else {
      dataflow.handle = await startProvisioningWorkflow(this.session, dataflow.spec, dataflow.input);
      dataflow.row.activity = 'started';
    }
    this.board?.update(dataflow.row);
    return dataflow.handle;
  }

  private async follow(dataflow: TrackedDataflow, handle: WorkflowHandle<typeof provisionDataflow>): Promise<void> {
    let report: BulkDataflowReport;
    try {
      const result = await this.follows(() => this.untilStopped(() => handle.result()));
      report = reportFromResult(dataflow.subject, result);
      // What existed already is made to match the spec, as the single-spec path does.
      if (result.reused.length > 0 && result.monitorWorkflowId) {
        report.applied = await applySpecToDataflow(this.session, dataflow.input, {
          tokenUnconfirmed: result.reused.includes('base-connection') && result.monitorStartedNow === true,
        });
      }
    } catch (error) {
      if (this.stopFollowing.signal.aborted) return;
      report = reportFromError(dataflow.subject, error, 'following it');
      // The step counts after the rollback, rather than those of the last poll.
      if (report.status !== 'unknown') await this.queries(() => this.refreshProgress(dataflow, { show: false }));
    }
    this.finish(dataflow, report);
  }

  /**
   * Runs a Temporal call that Ctrl-C cancels. Each call gets a signal of its own, let go when it ends: the client
   * adds a listener to the signal for every request and never removes it, so one shared signal would collect
   * one per long poll of every workflow followed.
   */
  private async untilStopped<T>(call: () => Promise<T>): Promise<T> {
    if (this.stopFollowing.signal.aborted) throw new Error('stopped following (Ctrl-C)');
    const own = new AbortController();
    // result() long-polls again and again, each time adding a listener.
    setMaxListeners(0, own.signal);
    const stop = () => own.abort();
    this.stopFollowing.signal.addEventListener('abort', stop, { once: true });
    try {
      return await this.session.client.withAbortSignal(own.signal, call);
    } finally {
      this.stopFollowing.signal.removeEventListener('abort', stop);
    }
  }

  private finish(dataflow: TrackedDataflow, report: BulkDataflowReport): void {
    dataflow.report = report;
    // Success means every step is done or was found already there.
    if (report.status === 'provisioned' || report.status === 'already-existed') {
      dataflow.row.stepsDone = provisioningSteps.length;
    }
    dataflow.row.outcome = outcomeWords(report);
    dataflow.row.runningSteps = [];
    this.board?.update(dataflow.row);
    if (this.options.json) this.io.out(JSON.stringify(report));
    else if (!this.options.wait) this.io.out(`${dataflow.row.label}: ${dataflow.row.outcome}  ${report.uiUrl}`);
  }

  /** Polls each unfinished workflow's progress, a bounded number at a time, and redraws the board each round. */
  private async showProgressUntil(everyone: Promise<unknown>): Promise<void> {
    let finished = false;
    void everyone.then(() => (finished = true));
    const startedAt = Date.now();
    let hinted = false;
    while (!finished && !this.stopFollowing.signal.aborted) {
      const following = this.tracked.filter((dataflow) => dataflow.handle && !dataflow.report);
      await Promise.all(
        following.map((dataflow) => this.queries(() => this.refreshProgress(dataflow, { show: true }))),
      );
      if (this.stopFollowing.signal.aborted) return;
      const noAnswerYet = following.length > 0 && !this.tracked.some((dataflow) => dataflow.answered);
      if (!hinted && noAnswerYet && Date.now() - startedAt > noWorkerHintAfterMs) {
        hinted = true;
        this.board?.showHint(
          `(no answer yet: is a worker polling task queue "${this.session.taskQueue}"? start one with npm run worker)`,
        );
      } else if (hinted && !noAnswerYet) {
        this.board?.clearHint();
      }
      this.board?.render();
      await Promise.race([
        everyone,
        pause(this.deps.pollIntervalMs ?? defaultPollIntervalMs, this.stopFollowing.signal),
      ]);
    }
  }

  private async refreshProgress(dataflow: TrackedDataflow, { show }: { show: boolean }): Promise<void> {
    const handle = dataflow.handle;
    if (!handle || dataflow.report) return;
    try {
      // A deadline, so a closing connection never has a query of ours still retrying on it.
      const progress = await this.session.client.withDeadline(Date.now() + queryDeadlineMs, () =>
        handle.query(progressQuery),
      );
      dataflow.answered = true;
      if (dataflow.report) return;
      Object.assign(dataflow.row, rowProgress(progress));
      if (show) this.board?.update(dataflow.row);
    } catch {
      // No worker has run it yet, or it is between tasks: the next round asks again.
    }
  }

  private sayWhatKeepsRunning(): number {
    const unfinished = this.tracked.filter((dataflow) => !dataflow.report);
    const running = unfinished.filter((dataflow) => dataflow.handle);
    const notStarted = unfinished.filter((dataflow) => !dataflow.handle);
    const { uiUrl, namespace } = this.session;
    const lines = [
      `Stopped following (Ctrl-C). ${running.length} provisioning workflow(s) keep running on Temporal; nothing was cancelled.`,
    ];
    if (notStarted.length > 0) {
      lines.push(`${notStarted.length} not started: ${notStarted.map((dataflow) => dataflow.row.label).join(', ')}.`);
    }
    lines.push(
      `Follow them again (nothing is started twice): npm run client -- provision ${this.specArguments.join(' ')}`,
      `Running provisioning workflows: ${workflowListUiLink(uiUrl, namespace, 'WorkflowType="provisionDataflow" AND ExecutionStatus="Running"')}`,
    );
    for (const dataflow of running.slice(0, listedOnInterrupt)) {
      lines.push(`  ${dataflow.row.label}  ${dataflow.subject.uiUrl}`);
    }
    if (running.length > listedOnInterrupt) lines.push(`  … and ${running.length - listedOnInterrupt} more`);
    this.io.err(lines.join('\n'));
    return exitCodes.interrupted;
  }
}

/** Resolves after `ms`, or at once when the signal aborts. */
function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
