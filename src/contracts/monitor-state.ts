/**
 * Everything the dataflow monitor knows, as plain JSON (objects, arrays, strings, numbers), because it is
 * carried across continue-as-new as workflow input: a Map or a class instance would arrive as `{}`.
 */
import type { OneTrustEndpoint } from './onetrust-endpoint-changes';
import type { SealedSecret } from './sealed-secret';
import type { DataflowDescriptor, MappingRule, ScheduleFrequency } from './dataflow-types';

/** What a run came to, as far as the monitor cares. */
export type RunOutcome = 'success' | 'failed' | 'running';

/** Why runs fail: the OneTrust token or other auth, the Data Prep mapping, or anything else on the platform. */
export type FailureCause = 'token' | 'mapping' | 'platform';

/** One run, kept small: it travels through history on every poll. */
export interface RunSummary {
  id: string;
  /**
   * The run's flow, set by the run feed: a flow torn down and made anew under the same name belongs to the same
   * monitor's workflow id, and the monitor keeps only its current flow's runs.
   */
  flowId?: string;
  /** AEP's own status text (success, failed, inProgress, ...). */
  status: string;
  outcome: RunOutcome;
  /** ISO instants. */
  startedAt?: string;
  completedAt?: string;
  records?: { input?: number; output?: number; failed?: number };
  /** At most a few, messages shortened. */
  errors?: Array<{ code?: string; message: string }>;
  /** Set for failed runs. */
  cause?: FailureCause;
  /** ISO instant the monitor learned that the run finished (set by the monitor, not by AEP). */
  learnedAt?: string;
}

/**
 * The states the `status` query and the DataflowState search attribute report. `unmonitored`: the monitor has
 * not been able to list the runs for a while, so it cannot tell whether they work.
 */
export type DataflowHealth =
  | 'healthy'
  | 'failing'
  | 'token-expiring'
  | 'token-expired'
  | 'unmonitored'
  | 'drifted'
  | 'paused'
  | 'tearing-down'
  | 'teardown-failed'
  | 'torn-down';

/** Every state, most urgent first (README and `status --help` list them in this order). */
export const dataflowHealthStates: readonly DataflowHealth[] = [
  'torn-down',
  'teardown-failed',
  'tearing-down',
  'token-expired',
  'unmonitored',
  'drifted',
  'paused',
  'failing',
  'token-expiring',
  'healthy',
];

export type AlertKind =
  | 'run-failed'
  | 'recovered'
  | 'token-expiring'
  | 'token-expired'
  | 'token-rotated'
  | 'token-rotation-failed'
  | 'action-failed'
  | 'unmonitored'
  | 'monitoring-resumed'
  | 'drifted'
  | 'drift-resolved'
  | 'secrets-reseal-failed';

export type AlertSeverity = 'info' | 'warning' | 'critical';

/** An alert as it is logged and POSTed to the webhook. `id` makes the delivery idempotent. */
export interface Alert {
  id: string;
  kind: AlertKind;
  severity: AlertSeverity;
  workflowId: string;
  sandbox: string;
  dataflow: string;
  flowId: string;
  message: string;
  /** ISO instant (workflow time). */
  raisedAt: string;
  details: Record<string, string | number | boolean>;
}

/** What the status view keeps of the last alert. */
export interface AlertRecord {
  id: string;
  kind: AlertKind;
  severity: AlertSeverity;
  message: string;
  raisedAt: string;
  /** `webhook` when the POST was acknowledged, `log` when there is no webhook, `failed` when every attempt failed. */
  delivery: 'webhook' | 'log' | 'failed';
}

export interface RotateTokenRequest {
  token: SealedSecret;
  /** ISO instant; when absent the worker reads `exp` from the token (OneTrust tokens are JWTs). */
  expiresAt?: string;
}

export interface ScheduleChange {
  frequency: ScheduleFrequency;
  /** Required for every frequency but `once`. */
  interval?: number;
}

export interface UpdateDataflowRequest {
  name?: string;
  description?: string;
  schedule?: ScheduleChange;
  /** A complete new mapping: becomes a new version of the dataflow's mapping set. */
  mapping?: MappingRule[];
}

/**
 * What a spec asks the dataflow to be (`provision` sends it when the dataflow already exists): the monitor changes
 * what differs through the same paths as its verbs, and says what it changed and what it kept.
 */
export interface ApplySpecRequest {
  /** The flow's full description, with the ownership mark (as provisioning writes it). */
  description: string;
  schedule: ScheduleChange;
  mapping: MappingRule[];
  token: SealedSecret;
  /** ISO instant (the JWT's `exp`, or the spec's `expiresAt`). */
  tokenExpiresAt: string;
  /**
   * The connection's token is not known to be the monitor's (provisioning reused a base connection under a new
   * monitor): the spec's token is put in, whatever its expiry.
   */
  tokenUnconfirmed?: boolean;
  /** Absent: no alert webhook. */
  alerts?: { webhookUrl: SealedSecret };
  monitor?: { pollInterval?: string; tokenWarnings?: string[] };
  /**
   * The spec's OneTrust base URL and client credentials (the secret sealed by the CLI). Absent only from a CLI older
   * than this field, which leaves the monitor's as they are; with no `clientCredentials` the spec has none.
   */
  oneTrust?: OneTrustEndpoint;
}

export interface TeardownRequest {
  /** Keep the dataset (and the data in it), its schema and field group. */
  keepData?: boolean;
}

/** One piece of work the monitor does for a user or for itself, strictly one at a time. */
export type MonitorAction =
  | { kind: 'rotateToken'; request: RotateTokenRequest }
  | { kind: 'updateDataflow'; request: UpdateDataflowRequest }
  | { kind: 'pause' }
  | { kind: 'resume' }
  | { kind: 'teardown'; request: TeardownRequest }
  | { kind: 'refresh' }
  | { kind: 'autoRotateToken' }
  | { kind: 'applySpec'; request: ApplySpecRequest };

export type MonitorActionKind = MonitorAction['kind'];

export interface WorkItem {
  id: string;
  /** Who asked: a signal, an update (someone is waiting for the outcome), or the monitor itself. */
  source: 'signal' | 'update' | 'monitor';
  receivedAt: string;
  action: MonitorAction;
}

/** The result of one piece of work: what an update returns, and what `status` lists under recent actions. */
export interface ActionOutcome {
  id: string;
  kind: MonitorActionKind;
  source: WorkItem['source'];
  ok: boolean;
  /** One line a person can read. */
  summary: string;
  finishedAt: string;
  details: Record<string, string | number | boolean | string[]>;
}

export interface TokenState {
  /** ISO instant. */
  expiresAt: string;
  /** When this token was put in place (or the monitor first saw it): bounds automatic rotation for short-lived tokens. */
  obtainedAt: string;
  /** Lead times (as written, e.g. "7d") already warned about for this token. */
  warningsSent: string[];
  expiredAlerted: boolean;
  /** Epoch ms before which automatic rotation is not retried after a failure. */
  autoRotationRetryAt?: number;
  autoRotationFailures: number;
  lastRotatedAt?: string;
}

/** Reconciles that failed in a row: after a few, over at least one reconcile interval, the dataflow is `unmonitored`. */
export interface ReconcileTrouble {
  failures: number;
  /** ISO instant of the first failure in the row. */
  since: string;
  /** The `unmonitored` alert went out (and the state says so). */
  alerted: boolean;
}

export interface TeardownProgress {
  phase: 'tearing-down' | 'teardown-failed';
  /** Resources still to delete, in order, e.g. `dataset 5f…`. */
  left: string[];
  deleted: string[];
  /** Why it stopped (teardown-failed); `teardown` again finishes the job. */
  error?: string;
}

/** The dataflow differs from what the monitor last applied (someone changed it in AEP, or deleted part of it). */
export interface DriftState {
  /** What differs, for people: `flow state disabled (expected enabled)`, `dataset 5f… was deleted`. */
  differences: string[];
  /** ISO instant it was first seen. */
  since: string;
  /** Whether `provision` can put everything back (a deleted resource needs teardown and provision). */
  repairable: boolean;
}

/**
 * The last re-seal (at continue-as-new) failed, typically because a secret names a key this worker's keyring no
 * longer holds: the old key cannot be retired yet, and what cannot be opened cannot be used.
 */
export interface ResealTrouble {
  /** Why, naming the key and the fix (the worker's own message; never the secret). */
  problem: string;
  /** ISO instant of the first failure with this problem. */
  since: string;
}

export interface MonitorState {
  /** The dataflow as it is now: updates and rotations change it. */
  dataflow: DataflowDescriptor;
  /** When this monitor first started (before any continue-as-new). */
  monitoringSince: string;
  /** How many times the monitor has continued as new. */
  generation: number;
  paused: boolean;
  tornDown: boolean;
  /** A teardown under way, or one that stopped with resources left: never `healthy` while half-deleted. */
  teardown?: TeardownProgress;
  /** Epoch ms of the next reconcile: the monitor's own look at its runs, a safety net under the run feed. */
  nextReconcileAt: number;
  lastReconcileAt?: string;
  lastReconcileError?: string;
  /** Set while the runs cannot be listed; cleared by the next reconcile that works. */
  reconcileTrouble?: ReconcileTrouble;
  /** Runs that started at or after this epoch ms are listed by the next reconcile. */
  reconcileCursorMs?: number;
  /** Runs the last reconcile saw in progress: read again by id by the next one. */
  unfinishedRunIds: string[];
  /** ISO instant of the last message from the sandbox's run feed. */
  lastFeedMessageAt?: string;
  /** Newest first. */
  lastRuns: RunSummary[];
  /** Finished runs already counted, so a run seen twice (feed retry, overlap, reconcile) is never counted twice. */
  settledRunIds: string[];
  consecutiveFailures: number;
  failureCause?: FailureCause;
  failingSince?: string;
  lastSuccessAt?: string;
  token: TokenState;
  lastAlert?: AlertRecord;
  /** Newest first. */
  recentActions: ActionOutcome[];
  /** Work not finished yet, oldest first; the head is the one in progress. */
  queue: WorkItem[];
  /** Set while the dataflow in AEP differs from what the monitor last applied; cleared when it matches again. */
  drift?: DriftState;
  /** Set while the carried secrets cannot be re-sealed with the worker's newest key; cleared when they are. */
  resealTrouble?: ResealTrouble;
  /** Counters since the monitor first started. */
  counts: { runsLearned: number; runsFailed: number; feedMessages: number; reconciles: number };
}
