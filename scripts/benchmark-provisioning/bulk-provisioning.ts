/**
 * Bulk provisioning behind the simulator's gateway limit: N dataflows started at once on one task queue (one worker,
 * or several), measured from outside (the simulator's per-organisation counts of admitted and throttled AEP calls,
 * and its resources).
 */
import { randomBytes } from 'node:crypto';
import { WorkflowFailedError, type Client } from '@temporalio/client';
import { toProvisionInput } from '../../src/cli/provision-input';
import type { ResolvedDataflowSpec } from '../../src/config';
import type { SimulatorAdmin } from '../../test/harness/simulator-admin';
import { provisionDataflow } from '../../src/workflows/provision-dataflow';
import type { SecretBox } from '../../src/secrets';

export interface BulkFigures {
  dataflows: number;
  elapsedMs: number;
  admitted: number;
  throttled: number;
  /** Admitted AEP calls per second over the whole run, divided by the gateway's limit. */
  limitUsed: number;
  throttledPerAdmitted: number;
  failures: number;
  /** Dataflows whose sandbox does not hold exactly one of each resource kind per dataflow. */
  wrongResourceCounts: number;
  firstFailure?: string;
  workflowIds: string[];
  /** With `midway`: when half of the run's AEP calls had been admitted, in ms from the start. */
  midwayAtMs?: number;
  /** Where the limit went unused: before the first 429, in the run's middle, and in its tail. */
  phases: RunPhases;
}

export interface RunPhases {
  /** When the gateway answered its first 429 (ms from the start), and the admitted calls a second until then. */
  firstThrottledAtMs?: number;
  callsPerSecondBeforeFirstThrottled?: number;
  /** Admitted calls a second from 20 % to 80 % of the run, divided by the limit. */
  middleLimitUsed: number;
  /** From the last second that used at least three quarters of the limit to the last dataflow's end, in ms. */
  tailMs: number;
  /** With `midway`: the limit used in each 5 s from the mid-way point on, for 40 s (what a worker lost or added cost). */
  afterMidwayLimitUsed?: number[];
}

/** The simulator's counts of the organisation's calls, read every quarter second during the run. */
interface CallCountSample {
  atMs: number;
  admitted: number;
  throttled: number;
}

export interface BulkOptions {
  client: Client;
  admin: SimulatorAdmin;
  taskQueue: string;
  secrets: SecretBox;
  dataflows: number;
  /** Dataflows share sandboxes ten to a sandbox (each sandbox gets its own run feed). */
  dataflowsPerSandbox: number;
  rateLimit: number;
  spec: (sandbox: string, name: string) => ResolvedDataflowSpec;
  /**
   * Called once half of the AEP calls the run makes have been admitted (a worker lost or added mid-way): half of
   * `callsPerDataflow` times the dataflows. Not "half of the dataflows finished": they all advance together, and that
   * came at 159 s of a 194 s run.
   */
  midway?: () => Promise<void>;
}

/** The AEP calls of one provisioning (the benchmark's single measurement counts them). */
const callsPerDataflow = 15;

const resourceKinds = [
  'connections',
  'sourceConnections',
  'targetConnections',
  'flows',
  'schemas',
  'fieldGroups',
  'dataSets',
  'mappingSets',
];

export async function provisionInBulk(options: BulkOptions): Promise<BulkFigures> {
  const prefix = `bulk-${randomBytes(3).toString('hex')}`;
  const dataflows = Array.from({ length: options.dataflows }, (_, index) =>
    options.spec(`${prefix}-${Math.floor(index / options.dataflowsPerSandbox)}`, `consent-${index}`),
  );

  const before = await options.admin.requestCountsByOrganization();
  const started = performance.now();
  // What went wrong mid-way, kept (not thrown at once) so that the run still ends and is counted.
  let midway: Promise<unknown> | undefined;
  let midwayAtMs: number | undefined;
  const halfOfCalls = (callsPerDataflow * options.dataflows) / 2;
  let running = true;
  const samples: CallCountSample[] = [{ atMs: 0, admitted: 0, throttled: 0 }];
  const watchingCalls = (async () => {
    while (running) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      const counts = await options.admin.requestCountsByOrganization();
      const admitted = counts.platformCalls.admitted - before.platformCalls.admitted;
      const atMs = performance.now() - started;
      samples.push({ atMs, admitted, throttled: counts.platformCalls.throttled - before.platformCalls.throttled });
      if (!options.midway || midwayAtMs !== undefined || admitted < halfOfCalls) continue;
      midwayAtMs = atMs;
      midway = options.midway().then(
        () => undefined,
        (error: unknown) => error ?? 'failed',
      );
    }
  })();
  const outcomes = await Promise.all(
    dataflows.map(async (spec) => {
      const handle = await options.client.workflow.start(provisionDataflow, {
        taskQueue: options.taskQueue,
        workflowId: workflowIdOf(spec),
        args: [toProvisionInput(spec, options.secrets)],
      });
      const outcome = await handle.result().then(
        () => undefined,
        (error: unknown) => (error instanceof WorkflowFailedError ? String(error.cause?.message) : String(error)),
      );
      return outcome;
    }),
  );
  const elapsedMs = performance.now() - started;
  running = false;
  await watchingCalls;
  const midwayError = await midway;
  if (midwayError !== undefined) throw midwayError;
  const after = await options.admin.requestCountsByOrganization();
  const admitted = after.platformCalls.admitted - before.platformCalls.admitted;
  const throttled = after.platformCalls.throttled - before.platformCalls.throttled;

  const sandboxes = [...new Set(dataflows.map((spec) => spec.sandbox))];
  let wrongResourceCounts = 0;
  for (const sandbox of sandboxes) {
    const expected = dataflows.filter((spec) => spec.sandbox === sandbox).length;
    const counts = await options.admin.resourceCounts(sandbox);
    if (resourceKinds.some((kind) => (counts[kind] ?? 0) !== expected)) wrongResourceCounts += expected;
  }
  const failures = outcomes.filter((outcome) => outcome !== undefined);
  return {
    dataflows: options.dataflows,
    elapsedMs,
    admitted,
    throttled,
    limitUsed: admitted / (elapsedMs / 1000) / options.rateLimit,
    throttledPerAdmitted: admitted === 0 ? 0 : throttled / admitted,
    failures: failures.length,
    wrongResourceCounts,
    ...(failures[0] ? { firstFailure: failures[0] } : {}),
    workflowIds: dataflows.map(workflowIdOf),
    ...(midwayAtMs !== undefined ? { midwayAtMs } : {}),
    phases: runPhases(samples, elapsedMs, options.rateLimit, midwayAtMs),
  };
}

function runPhases(
  samples: CallCountSample[],
  elapsedMs: number,
  rateLimit: number,
  midwayAtMs: number | undefined,
): RunPhases {
  const admittedAt = (atMs: number) => [...samples].reverse().find((sample) => sample.atMs <= atMs)?.admitted ?? 0;
  const firstThrottled = samples.find((sample) => sample.throttled > 0);
  const middleFrom = elapsedMs * 0.2;
  const middleTo = elapsedMs * 0.8;
  const middleLimitUsed =
    (admittedAt(middleTo) - admittedAt(middleFrom)) / ((middleTo - middleFrom) / 1000) / rateLimit;
  // The last second (ending at a sample) in which at least three quarters of the limit were admitted.
  const busy = samples.filter((sample) => sample.admitted - admittedAt(sample.atMs - 1_000) >= 0.75 * rateLimit);
  const lastBusyAtMs = busy.at(-1)?.atMs ?? 0;
  const windowMs = 5_000;
  const afterMidwayLimitUsed =
    midwayAtMs === undefined
      ? undefined
      : Array.from({ length: 8 }, (_, index) => midwayAtMs + index * windowMs)
          .filter((from) => from + windowMs <= elapsedMs)
          .map((from) => (admittedAt(from + windowMs) - admittedAt(from)) / (windowMs / 1000) / rateLimit);
  return {
    ...(firstThrottled
      ? {
          firstThrottledAtMs: firstThrottled.atMs,
          callsPerSecondBeforeFirstThrottled: firstThrottled.admitted / (firstThrottled.atMs / 1000),
        }
      : {}),
    middleLimitUsed,
    tailMs: Math.max(0, elapsedMs - lastBusyAtMs),
    ...(afterMidwayLimitUsed ? { afterMidwayLimitUsed } : {}),
  };
}

function workflowIdOf(spec: ResolvedDataflowSpec): string {
  return `provision:${spec.sandbox}:${spec.name}`;
}
