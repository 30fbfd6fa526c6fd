/**
 * What the `status` query answers and the Web UI's current details show: one view, two renderings.
 */
import { forWebUi } from '../web-ui-markdown';
import type { DataflowIds, DataflowSchedule } from '../dataflow-types';
import { describeDuration } from './durations';
import { failureCauseDescriptions } from './run-classification';
import type {
  ActionOutcome,
  AlertRecord,
  DataflowHealth,
  FailureCause,
  MonitorActionKind,
  MonitorState,
  RunSummary,
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
  pollInterval: string;
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
  lastPollAt?: string;
  lastPollError?: string;
  /** While the runs cannot be listed: how many looks failed in a row, since when. */
  pollTrouble?: { failures: number; since: string };
  nextPollAt: string;
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
  if (isTokenExpired(state.token, nowMs)) return 'token-expired';
  if (state.pollTrouble?.alerted) return 'unmonitored';
  if (state.paused) return 'paused';
  if (state.consecutiveFailures > 0) return 'failing';
  if (isTokenExpiring(state.token, leads, nowMs)) return 'token-expiring';
  return 'healthy';
}

export function describeStatus(
  state: MonitorState,
  context: { workflowId: string; leads: WarningLead[]; pollIntervalMs: number; nowMs: number },
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
    pollInterval: describeDuration(context.pollIntervalMs),
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
    ...(state.lastPollAt ? { lastPollAt: state.lastPollAt } : {}),
    ...(state.lastPollError ? { lastPollError: state.lastPollError } : {}),
    ...(state.pollTrouble
      ? { pollTrouble: { failures: state.pollTrouble.failures, since: state.pollTrouble.since } }
      : {}),
    nextPollAt: new Date(state.nextPollAt).toISOString(),
    monitoringSince: state.monitoringSince,
    continuedAsNew: state.generation,
    pendingWork: state.queue.map((item) => item.action.kind),
    recentActions: state.recentActions,
  };
}

function describeSchedule(schedule: DataflowSchedule): string {
  if (schedule.frequency === 'once') return 'once';
  return `every ${schedule.interval ?? 1} ${schedule.frequency}${(schedule.interval ?? 1) === 1 ? '' : 's'}`;
}

function describeRecords(run: RunSummary): string {
  const records = run.records;
  if (!records) return '';
  const parts = [`${records.input ?? 0} in`, `${records.output ?? 0} out`];
  if (records.failed) parts.push(`${records.failed} failed`);
  return parts.join(', ');
}

/** Markdown for the Web UI's "current details": the state at a glance, then the facts behind it. */
export function statusMarkdown(status: MonitorStatus): string {
  const lines = [
    `### ${status.sandbox}/${status.name}: **${status.state}**`,
    '',
    `- Flow \`${status.ids.flowId}\`, ${describeSchedule(status.schedule)}${status.paused ? ' (paused)' : ''}; runs checked every ${status.pollInterval}`,
    `- OneTrust token expires ${status.token.expiresAt} (${status.token.expiresInMs >= 0 ? `in ${describeDuration(status.token.expiresInMs)}` : `${describeDuration(-status.token.expiresInMs)} ago`})${status.token.automaticRotation ? ', rotated automatically' : ''}`,
  ];
  if (status.consecutiveFailures > 0) {
    const cause = status.failureCause ? failureCauseDescriptions[status.failureCause] : 'unknown cause';
    lines.push(`- ${status.consecutiveFailures} failed run(s) in a row since ${status.failingSince ?? '?'}: ${cause}`);
  }
  if (status.lastAlert) {
    lines.push(`- Last alert (${status.lastAlert.kind}, ${status.lastAlert.raisedAt}): ${status.lastAlert.message}`);
  }
  if (status.lastPollError) {
    const streak = status.pollTrouble
      ? ` (${status.pollTrouble.failures} in a row since ${status.pollTrouble.since})`
      : '';
    lines.push(`- Last look at the runs failed${streak}: ${status.lastPollError}`);
  }
  if (status.pendingWork.length > 0) lines.push(`- Working on: ${status.pendingWork.join(', ')}`);
  lines.push('', '| run | status | started | records |', '| --- | --- | --- | --- |');
  for (const run of status.lastRuns.slice(0, 5)) {
    lines.push(
      `| \`${run.id}\` | ${run.status}${run.cause ? ` (${run.cause})` : ''} | ${run.startedAt ?? ''} | ${describeRecords(run)} |`,
    );
  }
  if (status.lastRuns.length === 0) lines.push('| (no runs yet) | | | |');
  lines.push(
    '',
    `Resources: base connection \`${status.ids.baseConnectionId}\`, source \`${status.ids.sourceConnectionId}\`, target \`${status.ids.targetConnectionId}\`, dataset \`${status.ids.datasetId}\`, mapping \`${status.ids.mappingSetId}\` v${status.ids.mappingVersion}`,
  );
  return forWebUi(lines);
}
