/** `<sandbox/name>` as the monitor verbs take it, checked the way the spec checks sandbox and dataflow names. */
import { dataflowNamePattern, sandboxNamePattern } from '../config';
import { monitorWorkflowId } from '../contracts/workflow-ids';

export interface MonitorTarget {
  sandbox: string;
  name: string;
  workflowId: string;
}

export class TargetError extends Error {
  override readonly name = 'TargetError';
}

export function parseMonitorTarget(text: string): MonitorTarget {
  const slash = text.indexOf('/');
  if (slash <= 0 || slash === text.length - 1) {
    throw new TargetError(`"${text}" is not <sandbox>/<name> (e.g. prod/consent-daily)`);
  }
  const sandbox = text.slice(0, slash);
  const name = text.slice(slash + 1);
  if (!sandboxNamePattern.test(sandbox)) {
    throw new TargetError(`sandbox "${sandbox}": lowercase letters, digits and hyphens, as in AEP`);
  }
  if (!dataflowNamePattern.test(name)) {
    throw new TargetError(`name "${name}": 1–80 letters, digits, ".", "_" or "-", as in the dataflow spec`);
  }
  return { sandbox, name, workflowId: monitorWorkflowId(sandbox, name) };
}
