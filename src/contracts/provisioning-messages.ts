/**
 * What provisionDataflow takes, returns and shows while it runs: its input and result, the progress query the CLI,
 * the tests and the Web UI read, and the failure it ends with.
 */
import type { SealedSecret } from './sealed-secret';
import { ApplicationFailure, type Duration } from '@temporalio/common';
import type { AepFailureDetails } from './aep-failure-details';
import { query } from './message-definitions';
import type { DataflowIds, DataflowSchedule, MappingRule, OneTrustAccess } from './dataflow-types';
import type { ProvisioningStepKey } from './provisioning-steps';

export interface ProvisionDataflowInput {
  sandbox: string;
  name: string;
  description?: string;
  /** The token is sealed: only the worker can open it. */
  oneTrust: OneTrustAccess;
  target: { schemaTitle: string; datasetName: string };
  /** Destinations may use the `{TENANT_ID}` placeholder, filled in at the mapping step. */
  mapping: MappingRule[];
  schedule: DataflowSchedule;
  /** The spec gave no start time: the dataflow step may move it forward if it is about to pass. */
  startTimeIsDefault?: boolean;
  /** The URL often embeds a secret (Slack, Teams): the CLI seals it; a plain string is what older releases sent. */
  alerts?: { webhookUrl: string | SealedSecret };
  monitor?: { pollInterval?: string; tokenWarnings?: string[] };
  /** Start the monitor on success (default true). */
  startMonitor?: boolean;
  /** The task queue monitors run on (MONITOR_TASK_QUEUE; default: this workflow's own). */
  monitorTaskQueue?: string;
  /** Retry and timeout tuning (tests shorten them). */
  activityTiming?: ActivityTiming;
}

export interface ActivityTiming {
  /** First wait between two attempts (it doubles each time). Default 1s. */
  initialInterval?: Duration;
  /** Longest wait between two attempts of a step. Default 30s. */
  maximumInterval?: Duration;
  /** One attempt's time limit. Default 2m. */
  startToCloseTimeout?: Duration;
  /**
   * How long a step may go without a heartbeat (each beats while it runs): a step lost with its worker is retried
   * elsewhere after this. Default 30s.
   */
  heartbeatTimeout?: Duration;
  /**
   * How long a step keeps retrying what may succeed later (429 after its Retry-After, 5xx, network) before
   * provisioning rolls back. Bounded by time, not attempts, so a long throttle does not undo the dataflow. Default 10m.
   */
  stepRetryTimeout?: Duration;
  /** Longest wait between two attempts of a compensation (a delete during rollback). Default 5m. */
  compensationMaximumInterval?: Duration;
  /** How long a compensation keeps retrying before its resource is reported as left behind. Default 24h. */
  compensationRetryTimeout?: Duration;
}

export interface ProvisionDataflowResult {
  workflowId: string;
  sandbox: string;
  name: string;
  ids: DataflowIds;
  schedule: DataflowSchedule;
  tenantId: string;
  monitorWorkflowId?: string;
  /** This run started the monitor (it was not running yet): it tracks the spec's token from now on. */
  monitorStartedNow?: boolean;
  /** Steps whose resource this run created, and those it found already there. */
  created: ProvisioningStepKey[];
  reused: ProvisioningStepKey[];
  /** Nothing was created: the dataflow existed already. */
  alreadyExisted: boolean;
  /** Things the user must act on although provisioning succeeded (e.g. a monitor watching other ids). */
  warnings?: string[];
}

/** `cancelled`: stopped because another step failed or the provisioning was cancelled (and nothing to undo). */
export type StepState =
  | 'pending'
  | 'running'
  | 'done'
  | 'reused'
  | 'failed'
  | 'cancelled'
  | 'rolled-back'
  /** The rollback left what the step found in place: it belongs to (or is used by) another dataflow. */
  | 'kept'
  | 'rollback-failed';

export interface StepProgress {
  key: ProvisioningStepKey;
  title: string;
  state: StepState;
  /** Resource ids the step produced, e.g. { baseConnectionId: '…' }. */
  resources: Record<string, string | number>;
  note?: string;
  /** Whose the resource the step found is, when another dataflow's ("prod/consent"). */
  owner?: string;
}

/** One change of a step's state, in the order they happened (the CLI prints these, so none is skipped). */
export interface StepTransition {
  key: ProvisioningStepKey;
  state: StepState;
  resources: Record<string, string | number>;
  note?: string;
}

export interface ProvisioningFailure extends Partial<AepFailureDetails> {
  /** The failed step; `look-for-existing` (step number 0) when the survey before step 1 failed. */
  step: ProvisioningStepKey | 'look-for-existing';
  stepNumber: number;
  stepTitle: string;
  /** The complete message, as the workflow failure carries it. */
  message: string;
  /** Resources the compensation deleted, and any it could not. */
  rolledBack: string[];
  leftBehind: string[];
  /** Resources the rollback found but left in place, each with whose it is ("schema … (belongs to prod/x)"). */
  kept?: string[];
}

export type ProvisioningPhase =
  'looking-for-existing' | 'provisioning' | 'compensating' | 'starting-monitor' | 'succeeded' | 'failed' | 'cancelled';

export interface ProvisioningProgress {
  workflowId: string;
  sandbox: string;
  name: string;
  phase: ProvisioningPhase;
  steps: StepProgress[];
  transitions: StepTransition[];
  ids: Partial<DataflowIds>;
  failure?: ProvisioningFailure;
  monitorWorkflowId?: string;
  warnings?: string[];
}

/** Live progress for the CLI and tests (the Web UI shows the same as current details). */
export const progressQuery = query<ProvisioningProgress>('progress');

export const provisioningFailureType = 'ProvisioningFailed';

/** How a provisioning ends for good: the failure, with what was rolled back and what is left, rides in its details. */
export function provisioningFailed(failure: ProvisioningFailure, cause?: unknown): ApplicationFailure {
  return ApplicationFailure.create({
    type: provisioningFailureType,
    message: failure.message,
    nonRetryable: true,
    details: [failure],
    cause: cause instanceof Error ? cause : undefined,
  });
}
