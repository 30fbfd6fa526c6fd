/** Workflow ids fixed by DESIGN.md: one provisioning and one monitor per dataflow. */
export function provisionWorkflowId(sandbox: string, name: string): string {
  return `provision:${sandbox}:${name}`;
}

export function monitorWorkflowId(sandbox: string, name: string): string {
  return `dataflow:${sandbox}:${name}`;
}

/** One run feed per sandbox: it lists the sandbox's runs and hands each to its dataflow's monitor. */
export function runFeedWorkflowId(sandbox: string): string {
  return `runs:${sandbox}`;
}

/** One reader per I/O Events journal (the registration's id is the journal URL's last path segment). */
export function eventsJournalWorkflowId(journalUrl: string): string {
  const registration = journalUrl.split('?', 1)[0]!.replace(/\/+$/, '').split('/').pop() ?? 'journal';
  return `io-events-journal:${registration}`;
}
