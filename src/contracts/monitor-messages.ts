/**
 * Everything the dataflow monitor accepts and answers: signals, updates and the status query, with their
 * payload types. Definitions only, so the CLI, the run feed's activity and tests import them without loading
 * the workflow (or anything that calls proxyActivities).
 */
import type { Duration } from '@temporalio/common';
import { query, signal, update } from './message-definitions';
import type { OneTrustEndpoint } from './onetrust-endpoint-changes';
import type { DataflowDescriptor, DataflowIds, DataflowSchedule } from './dataflow-types';
import type { MonitorStatus } from './monitor-status';
import type {
  ActionOutcome,
  ApplySpecRequest,
  DataflowHealth,
  MonitorState,
  RotateTokenRequest,
  RunSummary,
  TeardownRequest,
  UpdateDataflowRequest,
} from './monitor-state';

export interface DataflowMonitorInput {
  dataflow: DataflowDescriptor;
  /** Set by the monitor itself when it continues as new. */
  carriedState?: MonitorState;
  /** Continue as new once history holds this many events (default 300), or sooner when the server suggests it. */
  continueAsNewAfterEvents?: number;
  /**
   * Time between the monitor's own looks at its runs, which catch anything the sandbox's run feed missed
   * (default: the spec's `monitor.pollInterval`, else 6 hours). Tests use seconds.
   */
  reconcileIntervalMs?: number;
  /** How long `status --refresh` waits for the run feed before listing the runs itself (default 20 s). */
  refreshTimeoutMs?: number;
  /**
   * How patiently teardown retries a delete AEP keeps failing (defaults: 1 s doubling to 5 min, for 24 h), and how
   * long one attempt may run before another worker takes it over (default: the change timeout, 6 min).
   */
  teardownTiming?: {
    initialInterval?: Duration;
    maximumInterval?: Duration;
    retryTimeout?: Duration;
    startToCloseTimeout?: Duration;
  };
  /**
   * Set when provisioning starts the monitor before its flow exists: the id of that provisioning workflow. The
   * monitor's dataflow then has only the ids built so far (and the schedule the spec asked for); it waits for
   * `dataflowMadeSignal` from the dataflow step's activity, or for `provisioningRolledBackSignal`.
   */
  awaitsDataflowFrom?: string;
  /**
   * How long the monitor waits for either before it asks Temporal how that provisioning went (default 15 min: the
   * dataflow step's retry window and its cancel). Tests use seconds.
   */
  awaitDataflowLimitMs?: number;
}

/** From the activity that made (or found) the dataflow's flow: what the monitor started before it watches. */
export interface DataflowMade {
  provisioningWorkflowId: string;
  flowId: string;
  /** Every id of the dataflow (absent from the release that started the monitor beside the create: only the flow). */
  ids?: DataflowIds;
  schedule: DataflowSchedule;
}

/** From the provisioning that started the monitor: it rolled back, so there is no dataflow to watch. */
export interface ProvisioningRolledBack {
  provisioningWorkflowId: string;
  reason: string;
}

export interface DataflowMonitorResult {
  workflowId: string;
  state: DataflowHealth;
  teardown: ActionOutcome;
}

/** What the sandbox's run feed tells a monitor: its runs that finished since the last message. */
export interface RunUpdate {
  /** Oldest first. Finished runs; when answering a `lookNow`, also the runs still in progress. */
  runs: RunSummary[];
  /** The `lookNow` requests this message answers. */
  answers?: string[];
  /** ISO instant of the listing. */
  listedAt: string;
}

export const runUpdatesSignal = signal<[RunUpdate]>('runUpdates');

export const rotateTokenSignal = signal<[RotateTokenRequest]>('rotateToken');
export const updateDataflowSignal = signal<[UpdateDataflowRequest]>('updateDataflow');
export const pauseSignal = signal('pause');
export const resumeSignal = signal('resume');
export const teardownSignal = signal<[TeardownRequest]>('teardown');
export const dataflowMadeSignal = signal<[DataflowMade]>('dataflowMade');
export const provisioningRolledBackSignal = signal<[ProvisioningRolledBack]>('provisioningRolledBack');

export const rotateTokenUpdate = update<ActionOutcome, [RotateTokenRequest]>('rotateToken');
export const updateDataflowUpdate = update<ActionOutcome, [UpdateDataflowRequest]>('updateDataflow');
export const pauseUpdate = update<ActionOutcome>('pause');
export const resumeUpdate = update<ActionOutcome>('resume');
export const teardownUpdate = update<ActionOutcome, [TeardownRequest]>('teardown');
/** `provision` of an existing dataflow: make AEP and the monitor match the spec (see apply-spec.ts). */
export const applySpecUpdate = update<ActionOutcome, [ApplySpecRequest]>('applySpec');
/** Ask the run feed to look now and answer with what the monitor then knows (`status --refresh`). */
export const refreshUpdate = update<MonitorStatus>('refresh');

export const statusQuery = query<MonitorStatus>('status');
/**
 * The OneTrust base URL and client credentials the monitor mints tokens with (the secret sealed, as it is in the
 * monitor's own history): `plan` hands them to the worker, which compares them with the spec's.
 */
export const oneTrustEndpointQuery = query<OneTrustEndpoint>('oneTrustEndpoint');

/** The failure type an update fails with when its work failed (the message says why). */
export const monitorActionFailedType = 'MonitorActionFailed';
