/**
 * The facts of a failed provisioning as `provision` prints them, one labelled line each. Only AEP's own words are
 * labelled AEP's: OneTrust's are OneTrust's, and what the worker found itself (a sealed secret it cannot open, a
 * check of ours) is the cause.
 */
import type { ProvisioningFailure } from '../contracts/provisioning-messages';
import { provisioningSteps } from '../contracts/provisioning-steps';

export type FailureFact = [label: string, value: string | number | undefined];

export function failureFacts(failure: ProvisioningFailure): FailureFact[] {
  const speaker = speakerOf(failure);
  return [
    ['step', `${failure.stepNumber} of ${provisioningSteps.length} (${failure.stepTitle})`],
    ['HTTP status', failure.status],
    [speaker ? `${speaker} code` : 'code', failure.code],
    [speaker ? `${speaker} message` : 'cause', failure.detail],
    ['request', failure.method && failure.path ? `${failure.method} ${failure.path}` : undefined],
    ['request id', failure.requestId],
  ];
}

/** Lines `label  value` with the labels in one column (at least as wide as the README's samples). */
export function formatFacts(facts: FailureFact[], indent: string): string[] {
  const shown = facts.filter(([, value]) => value !== undefined);
  const width = Math.max(12, ...shown.map(([label]) => label.length));
  return shown.map(([label, value]) => `${indent}${label.padEnd(width)} ${value}`);
}

function speakerOf(failure: ProvisioningFailure): 'AEP' | 'OneTrust' | undefined {
  if (failure.saidBy === 'AEP' || failure.saidBy === 'OneTrust') return failure.saidBy;
  // Histories from before `saidBy`: a status meant AEP answered.
  return failure.saidBy === undefined && failure.status !== undefined ? 'AEP' : undefined;
}
