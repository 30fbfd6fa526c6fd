/** The Web UI's "Current details" for a provisioning: a checklist of the steps in the seed's order. */
import type { DataflowSchedule } from './dataflow-types';
import { forWebUi } from './web-ui-markdown';
import type { ProvisioningPhase, ProvisioningProgress, StepState } from './provisioning-messages';

export function describeSchedule(schedule: DataflowSchedule): string {
  const start = new Date(schedule.startTime * 1000).toISOString();
  return schedule.frequency === 'once'
    ? `runs once at ${start}`
    : `every ${schedule.interval} ${schedule.frequency}(s) from ${start}`;
}

/** Plain symbols (not emoji) so the checklist reads the same in every browser font. */
const stateMarks: Record<StepState, [symbol: string, word: string]> = {
  pending: ['☐', 'pending'],
  running: ['▶', '**running**'],
  done: ['☑', 'created'],
  reused: ['☑', 'already there'],
  failed: ['☒', '**failed**'],
  cancelled: ['⊘', 'cancelled'],
  'rolled-back': ['↩', 'rolled back'],
  kept: ['=', 'kept'],
  'rollback-failed': ['⚠', '**rollback failed**'],
};

/** Markdown for the Web UI's "Current details": a checklist of the steps, their state and their resource ids. */
/** Long XDM `$id` URLs overflow the Web UI's details pane: show their kind and a prefix of the hash. */
function shortForDisplay(value: string | number): string {
  const text = String(value);
  const xdmId = /^https:\/\/ns\.adobe\.com\/[^/]+\/(\w+)\/(\w{12})\w*$/.exec(text);
  return xdmId ? `${xdmId[1]}/${xdmId[2]}…` : text;
}

export function renderDetails(progress: ProvisioningProgress): string {
  const headline: Record<ProvisioningPhase, string> = {
    'looking-for-existing': 'looking for resources that already exist',
    provisioning: 'provisioning',
    compensating: 'failed, rolling back what this run created',
    'starting-monitor': 'starting the monitor',
    succeeded: 'provisioned',
    failed: 'failed and rolled back',
    cancelled: 'cancelled and rolled back',
  };
  const lines = [
    `### OneTrust dataflow \`${progress.name}\` in sandbox \`${progress.sandbox}\`: ${headline[progress.phase]}`,
    '',
  ];
  progress.steps.forEach((step, index) => {
    const [symbol, word] = stateMarks[step.state];
    const outcome = step.key === 'explore-preview' && step.state === 'done' ? 'checked' : word;
    const resources = Object.entries(step.resources)
      .map(([key, value]) => `${key} \`${shortForDisplay(value)}\``)
      .join(', ');
    const title = step.state === 'running' ? `**${step.title}**` : step.title;
    lines.push(
      `${index + 1}. ${symbol} ${title}: ${outcome}` +
        `${resources ? ` · ${resources}` : ''}${step.note ? ` · ${step.note}` : ''}`,
    );
  });
  if (progress.failure) {
    lines.push('', `**Failure:** ${progress.failure.message}`);
    if (progress.failure.rolledBack.length > 0) {
      lines.push('', `Rolled back: ${progress.failure.rolledBack.join('; ')}`);
    }
    if (progress.failure.kept && progress.failure.kept.length > 0) {
      lines.push('', `Kept: ${progress.failure.kept.join('; ')}`);
    }
    if (progress.failure.leftBehind.length > 0)
      lines.push('', `**Left behind:** ${progress.failure.leftBehind.join('; ')}`);
  }
  if (progress.monitorWorkflowId) lines.push('', `Monitor: \`${progress.monitorWorkflowId}\``);
  for (const warning of progress.warnings ?? []) lines.push('', `**Warning:** ${warning}`);
  return forWebUi(lines);
}
