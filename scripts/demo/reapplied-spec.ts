/**
 * Every `npm run demo` provisions the example spec again, and provisioning makes the dataflow match its spec: what
 * was changed since with `provision` or `update` is put back. The demo keeps doing that (it shows the example, and
 * a fresh OneTrust token must reach the dataflow), but never silently: it asks `plan` first and says what re-applying
 * the example changes on the dataflow an earlier demo left.
 */
import type { DataflowPlan } from '../../src/contracts/plan-activities';
import { stepTitle } from '../../src/contracts/provisioning-steps';
import { captureClient } from './client-command';
import type { DemoContext } from './demo-context';
import type { DemoTemporal } from './temporal-server';

/** The lines to print before re-applying `specPath`; none for a new dataflow or one that already matches. */
export function reapplyNotice(plan: DataflowPlan, specPath: string): string[] {
  const earlierDataflow = plan.resources.some((resource) => resource.action !== 'create');
  if (!earlierDataflow || plan.changeCount === 0) return [];
  const changes = [
    ...plan.resources.flatMap((resource) =>
      resource.action === 'change'
        ? (resource.changes ?? [resource.note ?? 'changed']).map((change) => `${stepTitle(resource.key)}: ${change}`)
        : resource.action === 'create'
          ? [`${stepTitle(resource.key)}: made again (it was gone)`]
          : [],
    ),
    ...(plan.token.action === 'keep' ? [] : [`OneTrust token: ${plan.token.action} (${plan.token.reason})`]),
    ...(plan.monitor ?? []).map((change) => `Monitor: ${change}`),
  ];
  return [
    `The dataflow from an earlier demo differs from ${specPath}. The demo applies ${specPath} again, which puts back`,
    `what was changed since (e.g. with provision or update); edit ${specPath} to keep a change. It changes:`,
    ...changes.map((change) => `  - ${change}`),
  ];
}

/** Asks `plan` what provisioning `specPath` would change, and prints it when it would undo earlier changes. */
export async function announceReapply(
  context: DemoContext,
  temporalServer: DemoTemporal,
  specPath: string,
  tokenEnv: NodeJS.ProcessEnv,
): Promise<void> {
  const { exitCode, stdout } = await captureClient(context, temporalServer, ['plan', specPath, '--json'], tokenEnv);
  let plan: DataflowPlan | undefined;
  try {
    plan = exitCode === 0 || exitCode === 2 ? (JSON.parse(stdout.split('\n')[0] ?? '') as DataflowPlan) : undefined;
  } catch {
    plan = undefined;
  }
  if (!plan?.resources) {
    console.log(`(could not ask plan what re-applying ${specPath} changes: exit ${exitCode}; provisioning anyway)`);
    return;
  }
  const notice = reapplyNotice(plan, specPath);
  if (notice.length > 0) console.log(`\n${notice.join('\n')}`);
}
