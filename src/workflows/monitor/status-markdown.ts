/** The monitor's Web UI details: its status as markdown, the state at a glance first, then the facts behind it. */
import type { DataflowSchedule } from '../../contracts/dataflow-types';
import { forWebUi } from '../../contracts/web-ui-markdown';
import { describeDuration } from '../../contracts/durations';
import type { MonitorStatus } from '../../contracts/monitor-status';
import { failureCauseDescriptions } from '../../contracts/run-classification';
import type { RunSummary } from '../../contracts/monitor-state';

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

/** Commands in a sentence as code: markdown would take `<spec.json>` for a tag and `--` for a dash. */
function asCode(text: string): string {
  return text.replace(/npm run client -- [^)]*/g, (command) => `\`${command.trim()}\``);
}

/** Markdown for the Web UI's "current details": the state at a glance, then the facts behind it. */
export function statusMarkdown(status: MonitorStatus): string {
  const lines = [
    `### ${status.sandbox}/${status.name}: **${status.state}**`,
    '',
    `- Flow \`${status.ids.flowId}\`, ${describeSchedule(status.schedule)}${status.paused ? ' (paused)' : ''}`,
    `- Runs handed on by \`${status.runFeedWorkflowId}\` (last ${status.lastFeedMessageAt ?? 'not yet'}); double-checked every ${status.reconcileInterval} (last ${status.lastReconcileAt ?? 'not yet'}); ${status.counts.runsLearned} finished run(s) seen, ${status.counts.runsFailed} failed`,
    `- OneTrust token expires ${status.token.expiresAt} (${status.token.expiresInMs >= 0 ? `in ${describeDuration(status.token.expiresInMs)}` : `${describeDuration(-status.token.expiresInMs)} ago`})${status.token.automaticRotation ? ', rotated automatically' : ''}`,
  ];
  if (status.continuedAsNew > 0) {
    // The UI's Summary and Details are the first run's start options: SDK 1.24 cannot give them to a continued run.
    lines.push(
      `- Watching since ${status.monitoringSince}; continued as new ${status.continuedAsNew}× to keep its history short (Summary and Details belong to its first run; this is its state)`,
    );
  }
  if (status.drift) {
    lines.push(
      `- **Drifted** since ${status.drift.since}: ${status.drift.differences.join('; ')}. To fix: ${asCode(status.drift.repair)}`,
    );
  }
  if (status.teardown) {
    const how = status.teardown.phase === 'tearing-down' ? 'Tearing down' : '**Teardown stopped**';
    lines.push(
      `- ${how}: ${status.teardown.deleted.length} deleted, left: ${status.teardown.left.join(', ') || 'nothing'}` +
        (status.teardown.error ? ` (${status.teardown.error}); run teardown again to finish` : ''),
    );
  }
  if (status.resealTrouble) {
    lines.push(`- **Secrets not re-sealed** since ${status.resealTrouble.since}: ${status.resealTrouble.problem}`);
  }
  if (status.consecutiveFailures > 0) {
    const cause = status.failureCause ? failureCauseDescriptions[status.failureCause] : 'unknown cause';
    lines.push(`- ${status.consecutiveFailures} failed run(s) in a row since ${status.failingSince ?? '?'}: ${cause}`);
  }
  if (status.lastAlert) {
    lines.push(
      `- Last alert (${status.lastAlert.kind}, ${status.lastAlert.raisedAt}): ${asCode(status.lastAlert.message)}`,
    );
  }
  if (status.lastReconcileError) {
    const streak = status.reconcileTrouble
      ? ` (${status.reconcileTrouble.failures} in a row since ${status.reconcileTrouble.since})`
      : '';
    lines.push(`- Last reconcile failed${streak}: ${status.lastReconcileError}`);
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
