/**
 * What the `status` query answers (and status-markdown.ts renders for the Web UI): the monitor's state as one
 * plain view.
 */
import type { MonitorStatus } from '../../contracts/monitor-status';
import { howToRepair } from './drift';
import { describeDuration } from '../../contracts/durations';
import type { DataflowHealth, MonitorState } from '../../contracts/monitor-state';
import {
  canRotateAutomatically,
  isTokenExpired,
  isTokenExpiring,
  tokenExpiresAtMs,
  type WarningLead,
} from '../../contracts/token-schedule';

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
