/**
 * Shared arrangements for the provisioning tests: a fresh sandbox and task queue per test, a real OneTrust
 * token from the simulator, a spec, and the workflow input the CLI would build from it (with short retries).
 */
import { randomBytes } from 'node:crypto';
import { WorkflowFailedError } from '@temporalio/client';
import { toProvisionInput } from '../../src/cli/provision-input';
import { resolveDataflowSpec } from '../../src/config';
import { provisionDataflow } from '../../src/workflows/provision-dataflow';
import type {
  ActivityTiming,
  ProvisionDataflowInput,
  ProvisionDataflowResult,
  ProvisioningFailure,
} from '../../src/contracts/provisioning-messages';
import { provisionWorkflowId } from '../../src/contracts/workflow-ids';
import { provisioningFailureOf } from '../../src/cli/provision-command';
import { SimulatorAdmin, type ResourcesByKind } from '../harness/simulator-admin';
import { getSimulator } from '../harness/simulator';
import { getTemporal } from '../harness/temporal';
import { startTestWorker, testSecretBox, type TestWorker } from '../harness/test-worker';

/** The seven kinds of resource one dataflow consists of (field groups counted with schemas' kind list too). */
export const dataflowResourceKinds = [
  'connections',
  'sourceConnections',
  'fieldGroups',
  'schemas',
  'dataSets',
  'targetConnections',
  'mappingSets',
  'flows',
] as const;

export function uniqueName(prefix: string): string {
  return `${prefix}-${randomBytes(4).toString('hex')}`;
}

export async function simulatorAdmin(): Promise<SimulatorAdmin> {
  return new SimulatorAdmin((await getSimulator()).url);
}

/** A OneTrust token the simulator accepts (a JWT, so the spec needs no expiresAt). */
export async function mintOneTrustToken(expiresInSeconds = 180 * 24 * 3600): Promise<string> {
  return (await (await simulatorAdmin()).mintOneTrustToken(expiresInSeconds)).access_token;
}

export interface Scenario {
  sandbox: string;
  name: string;
  taskQueue: string;
  token: string;
  /** The spec as a user would write it (token from env ONETRUST_ACCESS_TOKEN). */
  spec: Record<string, unknown>;
  env: NodeJS.ProcessEnv;
}

export async function newScenario(overrides: Record<string, unknown> = {}): Promise<Scenario> {
  const sandbox = uniqueName('t');
  const name = 'consent';
  const token = await mintOneTrustToken();
  const spec = {
    name,
    sandbox,
    onetrust: { accessToken: { env: 'ONETRUST_ACCESS_TOKEN' } },
    target: { schemaTitle: `OneTrust consent ${sandbox}`, datasetName: `OneTrust consent ${sandbox}` },
    schedule: { frequency: 'minute', interval: 15 },
    ...overrides,
  };
  return { sandbox, name, taskQueue: uniqueName('provisioning'), token, spec, env: { ONETRUST_ACCESS_TOKEN: token } };
}

/** Short retries so fault scenarios finish in seconds (each test's workflow times out after 2 minutes). */
export const fastActivityTiming = {
  initialInterval: '100ms',
  maximumInterval: '1s',
  startToCloseTimeout: '15s',
  stepRetryTimeout: '45s',
  compensationMaximumInterval: '1s',
  compensationRetryTimeout: '45s',
} as const satisfies ActivityTiming;

export function workflowInput(scenario: Scenario, extra: Partial<ProvisionDataflowInput> = {}): ProvisionDataflowInput {
  const spec = resolveDataflowSpec(scenario.spec, { env: scenario.env });
  return { ...toProvisionInput(spec, testSecretBox(), { activityTiming: fastActivityTiming }), ...extra };
}

export async function startProvisioning(scenario: Scenario, input: ProvisionDataflowInput = workflowInput(scenario)) {
  const { client } = await getTemporal();
  return client.workflow.start(provisionDataflow, {
    workflowId: provisionWorkflowId(scenario.sandbox, scenario.name),
    taskQueue: scenario.taskQueue,
    args: [input],
    workflowIdReusePolicy: 'ALLOW_DUPLICATE',
    workflowExecutionTimeout: '2m',
  });
}

export async function provision(
  scenario: Scenario,
  input: ProvisionDataflowInput = workflowInput(scenario),
): Promise<ProvisionDataflowResult> {
  return (await startProvisioning(scenario, input)).result();
}

/** Runs provisioning expecting it to fail; returns the ProvisioningFailure it carries. */
export async function provisionExpectingFailure(
  scenario: Scenario,
  input: ProvisionDataflowInput = workflowInput(scenario),
): Promise<{ failure: ProvisioningFailure; error: WorkflowFailedError }> {
  try {
    await provision(scenario, input);
  } catch (error) {
    if (!(error instanceof WorkflowFailedError)) throw error;
    const failure = provisioningFailureOf(error);
    if (!failure)
      throw new Error(`the workflow failed without a ProvisioningFailure: ${error.message}`, { cause: error });
    return { failure, error };
  }
  throw new Error('provisioning succeeded but was expected to fail');
}

/** Resources of the sandbox counted per kind (runs left out). */
export async function resourceCounts(sandbox: string): Promise<Record<string, number>> {
  const byKind = await (await simulatorAdmin()).resources(sandbox);
  return Object.fromEntries(dataflowResourceKinds.map((kind) => [kind, (byKind[kind] ?? []).length]));
}

export async function resourcesOf(sandbox: string): Promise<ResourcesByKind> {
  return (await simulatorAdmin()).resources(sandbox);
}

export const exactlyOneOfEach = Object.fromEntries(dataflowResourceKinds.map((kind) => [kind, 1]));
export const noneOfAny = Object.fromEntries(dataflowResourceKinds.map((kind) => [kind, 0]));

/** How many platform calls the simulator has logged for a sandbox (admin calls are not logged). */
export async function platformCallCount(sandbox: string): Promise<number> {
  const response = await fetch(`${(await getSimulator()).url}/__sim/requests`);
  const body = (await response.json()) as { items?: Array<{ sandbox?: string }> };
  return (body.items ?? []).filter((entry) => entry.sandbox === sandbox).length;
}

/**
 * Mocha hooks for a describe block whose tests share one worker on their own task queue and may add fault rules:
 * the worker starts before the first test, faults are cleared after each, the worker stops after the last.
 */
export function useProvisioningWorker(taskQueuePrefix: string): { taskQueue: string; worker: () => TestWorker } {
  const taskQueue = uniqueName(taskQueuePrefix);
  let worker: TestWorker | undefined;

  before(async function () {
    this.timeout(120_000);
    worker = await startTestWorker({ taskQueue });
  });

  afterEach(async () => {
    await (await simulatorAdmin()).clearFaults();
  });

  after(async () => {
    await worker?.stop();
  });

  return {
    taskQueue,
    worker: () => {
      if (!worker) throw new Error('the provisioning worker has not started');
      return worker;
    },
  };
}
