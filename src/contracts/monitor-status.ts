/** What the dataflow monitor's `status` query answers: its state as one plain view. */
import type { DataflowIds, DataflowSchedule } from './dataflow-types';
import type {
  ActionOutcome,
  AlertRecord,
  DataflowHealth,
  DriftState,
  FailureCause,
  MonitorActionKind,
  ResealTrouble,
  RunSummary,
  TeardownProgress,
} from './monitor-state';

export interface MonitorStatus {
  workflowId: string;
  sandbox: string;
  name: string;
  state: DataflowHealth;
  ids: DataflowIds;
  schedule: DataflowSchedule;
  paused: boolean;
  /** While the dataflow in AEP differs from what the monitor applied: what differs, and how to put it back. */
  drift?: DriftState & { repair: string };
  /** While a teardown runs, or after one stopped: what is left to delete and why it stopped. */
  teardown?: TeardownProgress;
  /** While the carried secrets cannot be re-sealed with the worker's newest key: why (naming the key), since when. */
  resealTrouble?: ResealTrouble;
  /** Where alerts go: the spec's webhook, or the worker's log when there is none. */
  alerts: 'webhook' | 'log';
  /** How often the monitor double-checks its runs itself (the run feed looks every minute). */
  reconcileInterval: string;
  /** The sandbox's run feed, which hands this monitor its runs. */
  runFeedWorkflowId: string;
  token: {
    expiresAt: string;
    /** Negative once expired. */
    expiresInMs: number;
    automaticRotation: boolean;
    warningLeadTimes: string[];
    warningsSent: string[];
    lastRotatedAt?: string;
  };
  consecutiveFailures: number;
  failureCause?: FailureCause;
  failingSince?: string;
  lastSuccessAt?: string;
  lastRuns: RunSummary[];
  lastAlert?: AlertRecord;
  /** When the run feed last handed this monitor runs. */
  lastFeedMessageAt?: string;
  lastReconcileAt?: string;
  lastReconcileError?: string;
  /** While the runs cannot be listed: how many reconciles failed in a row, since when. */
  reconcileTrouble?: { failures: number; since: string };
  nextReconcileAt: string;
  /** Since the monitor first started: finished runs it learned of (each once), failed ones, messages, reconciles. */
  counts: { runsLearned: number; runsFailed: number; feedMessages: number; reconciles: number };
  monitoringSince: string;
  continuedAsNew: number;
  pendingWork: MonitorActionKind[];
  recentActions: ActionOutcome[];
}
