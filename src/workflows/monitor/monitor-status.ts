/**
 * What the `status` query answers (and status-markdown.ts renders for the Web UI): the monitor's state as one
 * plain view.
 */
import type { DataflowIds, DataflowSchedule } from '../dataflow-types';
import { howToRepair } from './drift';
import { describeDuration } from './durations';
import type {
  ActionOutcome,
  AlertRecord,
  DataflowHealth,
  DriftState,
  FailureCause,
  MonitorActionKind,
  MonitorState,
  ResealTrouble,
  RunSummary,
  TeardownProgress,
} from './state';
import {
  canRotateAutomatically,
  isTokenExpired,
  isTokenExpiring,
  tokenExpiresAtMs,
  type WarningLead,
} from './token-schedule';

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

/**
 * Most urgent first (the order of `dataflowHealthStates`): an expired token blocks everything; a monitor that
 * cannot list the runs knows nothing else for sure; a paused flow is not failing, it is not running.
 */
export function deriveHealth(state: MonitorState, leads: WarningLead[], nowMs: number): DataflowHealth {
  if (state.tornDown) return 'torn-down';
  if (state.teardown) return state.teardown.phase;
  if (isTokenExpired(state.token, nowMs)) return 'token-expired';
  if (state.reconcileTrouble?.alerted) return 'unmonitored';
  if (state.drift) return 'drifted';
  if (state.paused) return 'paused';
  if (state.consecutiveFailures > 0) return 'failing';
  if (isTokenExpiring(state.token, leads, nowMs)) return 'token-expiring';
  return 'healthy';
}

export function describeStatus(
  state: MonitorState,
  context: {
    workflowId: string;
    runFeedWorkflowId: string;
    leads: WarningLead[];
    reconcileIntervalMs: number;
    nowMs: number;
  },
): MonitorStatus {
  const { dataflow, token } = state;
  return {
    workflowId: context.workflowId,
    sandbox: dataflow.sandbox,
    name: dataflow.name,
    state: deriveHealth(state, context.leads, context.nowMs),
    ids: dataflow.ids,
    schedule: dataflow.schedule,
    paused: state.paused,
    ...(state.drift ? { drift: { ...state.drift, repair: howToRepair(state.drift, dataflow.ids) } } : {}),
    ...(state.teardown ? { teardown: state.teardown } : {}),
    ...(state.resealTrouble ? { resealTrouble: state.resealTrouble } : {}),
    alerts: dataflow.alerts ? 'webhook' : 'log',
    reconcileInterval: describeDuration(context.reconcileIntervalMs),
    runFeedWorkflowId: context.runFeedWorkflowId,
    token: {
      expiresAt: token.expiresAt,
      expiresInMs: tokenExpiresAtMs(token) - context.nowMs,
      automaticRotation: canRotateAutomatically(dataflow),
      warningLeadTimes: context.leads.map((lead) => lead.text),
      warningsSent: token.warningsSent,
      ...(token.lastRotatedAt ? { lastRotatedAt: token.lastRotatedAt } : {}),
    },
    consecutiveFailures: state.consecutiveFailures,
    ...(state.failureCause ? { failureCause: state.failureCause } : {}),
    ...(state.failingSince ? { failingSince: state.failingSince } : {}),
    ...(state.lastSuccessAt ? { lastSuccessAt: state.lastSuccessAt } : {}),
    lastRuns: state.lastRuns,
    ...(state.lastAlert ? { lastAlert: state.lastAlert } : {}),
    ...(state.lastFeedMessageAt ? { lastFeedMessageAt: state.lastFeedMessageAt } : {}),
    ...(state.lastReconcileAt ? { lastReconcileAt: state.lastReconcileAt } : {}),
    ...(state.lastReconcileError ? { lastReconcileError: state.lastReconcileError } : {}),
    ...(state.reconcileTrouble
      ? { reconcileTrouble: { failures: state.reconcileTrouble.failures, since: state.reconcileTrouble.since } }
      : {}),
    nextReconcileAt: new Date(state.nextReconcileAt).toISOString(),
    counts: { ...state.counts },
    monitoringSince: state.monitoringSince,
    continuedAsNew: state.generation,
    pendingWork: state.queue.map((item) => item.action.kind),
    recentActions: state.recentActions,
  };
}
