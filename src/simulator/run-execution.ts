/**
 * One flow run, done for real: read the OneTrust profiles updated since the last run that did not fail, with the
 * token stored on the base connection; map each record with the flow's Data Prep mapping; append the mapped
 * records to the target dataset; report AEP-shaped metrics. A run is `inProgress` for a simulated duration
 * (shortened by the time scale), then `success` or `failed`. A chosen share of runs (RunFailures) fails with a
 * platform error instead, without reading anything.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { SimulatorContext } from './context';
import { oneTrustTokenRefusal } from './flow-service/connections';
import { auditFieldsForCreate, newEtag } from './flow-service/entity-metadata';
import type {
  RunError,
  StoredConnection,
  StoredFlow,
  StoredRun,
  StoredSourceConnection,
  StoredTargetConnection,
} from './flow-service/entity-types';
import { mappingTransformation, mappingVersionOf } from './flow-service/flow-validation';
import { RunFailures } from './run-failures';

/** Simulated run durations: a fixed start-up cost plus a little per record, and a quick failure. */
const simulatedRunBaseMs = 20_000;
const simulatedMsPerRecord = 20;
const simulatedFailureMs = 5_000;

/**
 * Error codes in AEP's CONNECTOR-/MAPPER- style (help/sources/notifications.md, monitor.md). Documented there:
 * CONNECTOR-2001-500 (processing error) and MAPPER-3700-400 (Mapper Transform Error). CONNECTOR-1001-401 and
 * CONNECTOR-2002-500 are in no Adobe document (Adobe lists only CONNECTOR-1001-500, a failed copy from the
 * source): they are the simulator's own choice.
 */
export const runErrorCodes = {
  sourceAuthentication: 'CONNECTOR-1001-401',
  missingConfiguration: 'CONNECTOR-2001-500',
  interrupted: 'CONNECTOR-2002-500',
  mapping: 'MAPPER-3700-400',
} as const;

interface PreparedRun {
  sourceConnectionId: string;
  targetConnectionId: string;
  dataSetId?: string;
  windowStart: number;
  windowEnd: number;
  batchId: string;
  inputRecordCount: number;
  inputBytes: number;
  outputs: Record<string, unknown>[];
  outputBytes: number;
  failedRecordCount: number;
  /** Errors that fail the whole run (authentication, missing resources). */
  fatalErrors: RunError[];
  /** Per-record mapping errors, grouped by code. */
  recordErrors: RunError[];
}

export class RunExecutor {
  /** Runs in progress: each one's completion timer and what it will write. */
  private readonly inProgress = new Map<string, { timer: NodeJS.Timeout; prepared: PreparedRun }>();

  constructor(
    private readonly context: SimulatorContext,
    private readonly failures = new RunFailures(),
    /** Told when a run starts and when it ends (I/O Events notifications). */
    private readonly runChanged: (run: StoredRun) => void = () => undefined,
  ) {}

  /**
   * Starts a run of `flow` now and returns it (status inProgress). `reportedStartMs` (admin API) makes the run
   * report an earlier start than the moment it appears: a run AEP lists late, behind a cursor already past it.
   */
  start(flow: StoredFlow, reportedStartMs?: number): StoredRun {
    const { store, clock } = this.context;
    const now = clock.now();
    const prepared = this.failures.shouldFail(flow.sandboxName)
      ? this.platformFailure(flow, now)
      : this.prepare(flow, now);
    const etag = newEtag(now);
    const run: StoredRun = {
      id: randomUUID(),
      flowId: flow.id,
      ...auditFieldsForCreate(this.context, flow.sandboxName, now),
      etag,
      version: etag,
      metrics: {
        durationSummary: { startedAtUTC: Math.min(now, reportedStartMs ?? now) },
        sizeSummary: { inputBytes: 0, outputBytes: 0 },
        recordSummary: { inputRecordCount: 0, outputRecordCount: 0, failedRecordCount: 0 },
        fileSummary: { inputFileCount: 0, outputFileCount: 0, activityRefs: ['promotionActivity'] },
        statusSummary: { status: 'inProgress', errors: [], activityRefs: ['promotionActivity'] },
      },
      activities: [],
    };
    run.activities = activities(run, prepared, 'inProgress', flow);
    store.put('runs', run);
    this.runChanged(run);

    const simulatedMs =
      prepared.fatalErrors.length > 0
        ? simulatedFailureMs
        : simulatedRunBaseMs + simulatedMsPerRecord * prepared.inputRecordCount;
    const timer = setTimeout(() => {
      this.inProgress.delete(run.id);
      this.complete(run.id, prepared);
    }, clock.scaled(simulatedMs));
    timer.unref();
    this.inProgress.set(run.id, { timer, prepared });
    return run;
  }

  /** Drops the runs in progress without finishing them (a start-up that failed). */
  stop(): void {
    for (const { timer } of this.inProgress.values()) clearTimeout(timer);
    this.inProgress.clear();
  }

  /**
   * Completes the runs in progress now, before a clean shutdown saves the state: their records are already read,
   * and a restarted simulator would otherwise have to report them failed (and the monitor alert on it).
   */
  finishInProgress(): void {
    const pending = [...this.inProgress];
    this.stop();
    for (const [runId, { prepared }] of pending) this.complete(runId, prepared);
  }

  /** Runs left inProgress by a previous process that was killed (state file) can never finish: mark them failed. */
  failInterruptedRuns(): void {
    const now = this.context.clock.now();
    for (const run of this.context.store.list<StoredRun>('runs')) {
      if (run.metrics.statusSummary.status !== 'inProgress') continue;
      const error = {
        code: runErrorCodes.interrupted,
        message: 'The run was interrupted because the platform stopped.',
      };
      run.metrics.statusSummary = { ...run.metrics.statusSummary, status: 'failed', errors: [error] };
      run.metrics.durationSummary.completedAtUTC = now;
      run.updatedAt = now;
    }
    this.context.store.touch('runs');
  }

  /** A run the platform fails on its own (the chosen failure share): it reads nothing, so its window is read again. */
  private platformFailure(flow: StoredFlow, now: number): PreparedRun {
    const prepared = this.emptyPreparation(flow, now);
    prepared.fatalErrors.push({
      code: runErrorCodes.interrupted,
      message: 'The run was interrupted by an internal platform error.',
    });
    return prepared;
  }

  private emptyPreparation(flow: StoredFlow, now: number): PreparedRun {
    return {
      sourceConnectionId: flow.sourceConnectionIds[0] ?? '',
      targetConnectionId: flow.targetConnectionIds[0] ?? '',
      windowStart: this.previousWindowEnd(flow) ?? firstWindowStart(flow),
      windowEnd: now,
      batchId: batchId(now),
      inputRecordCount: 0,
      inputBytes: 0,
      outputs: [],
      outputBytes: 0,
      failedRecordCount: 0,
      fatalErrors: [],
      recordErrors: [],
    };
  }

  private prepare(flow: StoredFlow, now: number): PreparedRun {
    const { store, oneTrust, dataPrep } = this.context;
    const sandbox = flow.sandboxName;
    const prepared = this.emptyPreparation(flow, now);
    const fail = (code: string, message: string): PreparedRun => {
      prepared.fatalErrors.push({ code, message });
      return prepared;
    };

    const source = store.get<StoredSourceConnection>('sourceConnections', sandbox, prepared.sourceConnectionId);
    const base = source && store.get<StoredConnection>('connections', sandbox, source.baseConnectionId);
    if (!source || !base)
      return fail(runErrorCodes.missingConfiguration, 'The source connection or its base connection no longer exists.');
    const target = store.get<StoredTargetConnection>('targetConnections', sandbox, prepared.targetConnectionId);
    prepared.dataSetId = target?.params.dataSetId;
    if (!target || !store.get('dataSets', sandbox, target.params.dataSetId)) {
      return fail(runErrorCodes.missingConfiguration, 'The target connection or its dataset no longer exists.');
    }
    let mappingId: string;
    let mappingVersion: number;
    try {
      const mapping = mappingTransformation(flow.transformations);
      mappingId = mapping.params.mappingId;
      mappingVersion = mappingVersionOf(mapping);
    } catch {
      return fail(runErrorCodes.missingConfiguration, 'The flow has no valid Mapping transformation.');
    }
    if (dataPrep.mappingSchemaId(sandbox, mappingId, mappingVersion) === undefined) {
      return fail(
        runErrorCodes.missingConfiguration,
        `Mapping set ${mappingId} version ${mappingVersion} no longer exists.`,
      );
    }

    const refusal = oneTrustTokenRefusal(this.context, base);
    if (refusal) {
      return fail(runErrorCodes.sourceAuthentication, `Authentication with the source failed: ${refusal}`);
    }

    const since = prepared.windowStart > 0 ? new Date(prepared.windowStart) : undefined;
    const profiles = oneTrust.profilesUpdatedBetween(since, new Date(now));
    const errorsByCode = new Map<string, RunError>();
    profiles.forEach((profile, index) => {
      const record = oneTrust.toSourceRecord(profile, index);
      prepared.inputRecordCount += 1;
      prepared.inputBytes += Buffer.byteLength(JSON.stringify(record));
      const outcome = dataPrep.applyMapping(sandbox, mappingId, mappingVersion, record);
      if (outcome.output) {
        prepared.outputs.push(outcome.output);
        prepared.outputBytes += Buffer.byteLength(JSON.stringify(outcome.output));
        return;
      }
      prepared.failedRecordCount += 1;
      const first = outcome.errors[0] ?? { code: runErrorCodes.mapping, message: 'Mapper Transform Error' };
      const code = first.code || runErrorCodes.mapping;
      const grouped = errorsByCode.get(code);
      if (grouped) grouped.recordCount = (grouped.recordCount ?? 0) + 1;
      else errorsByCode.set(code, { code, message: first.message, recordCount: 1 });
    });
    prepared.recordErrors = [...errorsByCode.values()];
    return prepared;
  }

  private complete(runId: string, prepared: PreparedRun): void {
    const { store, clock } = this.context;
    const run = store.getAnywhere<StoredRun>('runs', runId);
    if (!run) return;
    const now = clock.now();
    if (
      prepared.fatalErrors.length === 0 &&
      !(prepared.dataSetId && store.get('dataSets', run.sandboxName, prepared.dataSetId))
    ) {
      prepared.fatalErrors.push({
        code: runErrorCodes.missingConfiguration,
        message: 'The target dataset was deleted during the run.',
      });
    }
    const fatal = prepared.fatalErrors.length > 0;
    // As in AEP's monitoring example, a run with some failed records still succeeds and carries the errors.
    const failed = fatal || (prepared.inputRecordCount > 0 && prepared.outputs.length === 0);
    if (!fatal && prepared.outputs.length > 0) store.appendRecords(prepared.dataSetId!, prepared.outputs, now);

    const status = failed ? 'failed' : 'success';
    const counted = !fatal;
    run.metrics = {
      durationSummary: { startedAtUTC: run.metrics.durationSummary.startedAtUTC, completedAtUTC: now },
      sizeSummary: { inputBytes: counted ? prepared.inputBytes : 0, outputBytes: counted ? prepared.outputBytes : 0 },
      recordSummary: {
        inputRecordCount: counted ? prepared.inputRecordCount : 0,
        outputRecordCount: counted ? prepared.outputs.length : 0,
        failedRecordCount: counted ? prepared.failedRecordCount : 0,
      },
      fileSummary: {
        inputFileCount: counted && prepared.inputRecordCount > 0 ? 1 : 0,
        outputFileCount: counted && prepared.outputs.length > 0 ? 1 : 0,
        activityRefs: ['promotionActivity'],
      },
      statusSummary: {
        status,
        errors: fatal ? prepared.fatalErrors : prepared.recordErrors,
        activityRefs: ['promotionActivity'],
      },
    };
    const flow = store.getAnywhere<StoredFlow>('flows', run.flowId);
    run.activities = activities(run, prepared, status, flow);
    run.updatedAt = now;
    const etag = newEtag(now);
    run.etag = etag;
    run.version = etag;
    if (flow) {
      flow.lastRunDetails = {
        id: run.id,
        state: status,
        startedAtUTC: run.metrics.durationSummary.startedAtUTC,
        completedAtUTC: now,
      };
    }
    store.touch('runs');
    this.runChanged(run);
  }

  /**
   * Where the next window starts: the end of the latest run of the flow that succeeded or is still running.
   * A window ends when its run starts, so the flow's runs in start order are also in window order: walking back
   * from the newest stops at the first one that did not fail.
   */
  private previousWindowEnd(flow: StoredFlow): number | undefined {
    const runs = this.context.store.runs.ofFlow(flow.sandboxName, flow.id);
    for (let index = runs.length - 1; index >= 0; index -= 1) {
      const run = runs[index]!;
      if (run.metrics.statusSummary.status === 'failed') continue;
      const windowEnd = windowOf(run)?.windowEnd;
      if (windowEnd !== undefined) return windowEnd;
    }
    return undefined;
  }
}

/** The first run reads all history (backfill), unless the schedule says `backfill: false`: then from startTime. */
function firstWindowStart(flow: StoredFlow): number {
  return flow.scheduleParams.backfill === 'false' ? Number(flow.scheduleParams.startTime) * 1000 : 0;
}

export function windowOf(run: StoredRun): { windowStart: number; windowEnd: number } | undefined {
  const copy = run.activities.find((activity) => activity.id === 'copyActivity') as
    { durationSummary?: { extensions?: { windowStart: number; windowEnd: number } } } | undefined;
  return copy?.durationSummary?.extensions;
}

function activities(
  run: StoredRun,
  prepared: PreparedRun,
  status: 'inProgress' | 'success' | 'failed',
  flow: StoredFlow | undefined,
): Array<Record<string, unknown>> {
  const { durationSummary, sizeSummary, recordSummary, fileSummary, statusSummary } = run.metrics;
  const copyFailed = prepared.fatalErrors.length > 0;
  const updatedAtUTC = durationSummary.completedAtUTC ?? durationSummary.startedAtUTC;
  return [
    {
      id: 'copyActivity',
      updatedAtUTC,
      durationSummary: {
        ...durationSummary,
        extensions: { windowStart: prepared.windowStart, windowEnd: prepared.windowEnd },
      },
      sizeSummary: { inputBytes: sizeSummary.inputBytes, outputBytes: sizeSummary.inputBytes },
      recordSummary: {},
      fileSummary: { inputFileCount: fileSummary.inputFileCount, outputFileCount: fileSummary.inputFileCount },
      statusSummary: {
        status: status === 'inProgress' ? 'inProgress' : copyFailed ? 'failed' : 'success',
        ...(copyFailed && status !== 'inProgress' ? { errors: prepared.fatalErrors } : {}),
        extensions: { type: flow?.scheduleParams.frequency === 'once' ? 'one-time' : 'scheduled' },
      },
      sourceInfo: [
        {
          id: prepared.sourceConnectionId,
          type: 'SourceConnection',
          reference: { type: 'AdfRunId', ids: [run.id] },
        },
      ],
    },
    {
      id: 'promotionActivity',
      updatedAtUTC,
      durationSummary,
      sizeSummary: { inputBytes: sizeSummary.inputBytes, outputBytes: sizeSummary.outputBytes },
      recordSummary,
      fileSummary: { inputFileCount: fileSummary.inputFileCount, outputFileCount: fileSummary.outputFileCount },
      statusSummary: {
        status,
        errors: statusSummary.errors,
        ...(prepared.recordErrors.length > 0 && status !== 'inProgress'
          ? { extensions: { errors: prepared.recordErrors } }
          : {}),
      },
      targetInfo: [
        {
          id: prepared.targetConnectionId,
          type: 'TargetConnection',
          reference: { type: 'Batch', ids: [prepared.batchId] },
        },
      ],
    },
  ];
}

const crockford = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/** A 26-character ULID-style batch id, like the ones in AEP's run examples. */
function batchId(time: number): string {
  let timePart = '';
  let remaining = time;
  for (let index = 0; index < 10; index += 1) {
    timePart = crockford[remaining % 32]! + timePart;
    remaining = Math.floor(remaining / 32);
  }
  const random = randomBytes(16);
  let randomPart = '';
  for (let index = 0; index < 16; index += 1) randomPart += crockford[random[index]! % 32]!;
  return timePart + randomPart;
}
