/**
 * Arrangements for the crash-and-restart tests on the production-shaped Temporal server (PostgreSQL-backed, see
 * test/harness/production-temporal.ts): which process to crash, a simulator call held in flight so the crash lands
 * mid-step, the CLI run while it happens (in-process or as the real program), and what its output must say.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exitCodes } from '../../src/runtime/command-io';
import { runProvision } from '../../src/cli/provision-command';
import { connectTemporal } from '../../src/temporal/temporal-client';
import type { AlertKind } from '../../src/contracts/monitor-state';
import type { ActivityTiming } from '../../src/contracts/provisioning-messages';
import { monitorWorkflowId, runFeedWorkflowId } from '../../src/contracts/workflow-ids';
import { getProductionTemporal, type ProductionTemporal } from '../harness/production-temporal';
import type { FaultRule, LoggedRequest, SimulatorAdmin } from '../harness/simulator-admin';
import { getTemporal } from '../harness/temporal';
import { childProcessEnv } from '../harness/test-worker';
import { waitFor, type AlertReceiver } from '../monitor/monitor-fixtures';
import { fastActivityTiming, type Scenario } from '../provisioning/provisioning-fixtures';
import { spawnTsx } from '../provisioning/spawned-process';

// ---- The server under test -----------------------------------------------------------------------------------------

/**
 * For `before`: the production server the shared Temporal client talks to. Fails (never skips) when the run does
 * not use it, since crashing a dev server would prove nothing about PostgreSQL-backed Temporal.
 */
export async function requireProductionTemporal(): Promise<ProductionTemporal> {
  if (process.env.TEMPORAL_TEST_SERVER !== 'production') {
    throw new Error(
      'test/production/ crashes and restarts the PostgreSQL-backed Temporal server: run it with ' +
        'TEMPORAL_TEST_SERVER=production (e.g. TEMPORAL_TEST_SERVER=production npx mocha test/production/<file>.test.ts)',
    );
  }
  if (process.env.TEMPORAL_TEST_ADDRESS) {
    throw new Error(
      `TEMPORAL_TEST_ADDRESS=${process.env.TEMPORAL_TEST_ADDRESS} points the tests at another server than the one ` +
        'they crash: unset it to run test/production/',
    );
  }
  const production = await getProductionTemporal();
  const { address } = await getTemporal();
  assert.equal(address, production.address, 'the tests talk to the production server they crash');
  return production;
}

/** What a test crashes: the Temporal server process (all four services), or the PostgreSQL it persists to. */
export type CrashTarget = 'server' | 'postgres';

export const crashTargets: readonly CrashTarget[] = ['server', 'postgres'];

export const crashTargetNames: Record<CrashTarget, string> = {
  server: 'the Temporal server',
  postgres: 'PostgreSQL',
};

/** SIGKILL to the target; resolves once the process is gone. */
export async function crash(production: ProductionTemporal, target: CrashTarget): Promise<void> {
  if (target === 'server') await production.killServer();
  else await production.killPostgres();
}

/** Starts the target again; resolves once it serves (the server: the `default` namespace answers). */
export async function restart(production: ProductionTemporal, target: CrashTarget): Promise<void> {
  if (target === 'server') await production.restartServer();
  else await production.restartPostgres();
}

/**
 * SIGKILLs the target, runs `whileDown`, then restarts the target, also when `whileDown` fails, so that a failed
 * test never leaves the next one without a Temporal server.
 */
export async function whileCrashed<T>(
  production: ProductionTemporal,
  target: CrashTarget,
  whileDown: () => Promise<T>,
): Promise<T> {
  await crash(production, target);
  try {
    return await whileDown();
  } finally {
    await restart(production, target);
  }
}

// ---- A call held in flight -----------------------------------------------------------------------------------------

export interface HeldCall {
  method: string;
  /** Regular expression of the request path, as the fault rule has it. */
  path: string;
  /** Resolves once the simulator received the call and started holding it (its one-shot rule fired). */
  waitUntilHeld(timeoutMs?: number): Promise<void>;
  /** Whether the simulator has answered the call yet (the request log records a call when it is answered). */
  answered(): Promise<boolean>;
}

/**
 * Holds the next call matching `method` and `path` for `delayMs` before AEP handles it, so a crash started once
 * it is held lands while the step that made it is in flight. The rule fires once.
 */
export async function holdNextCall(
  admin: SimulatorAdmin,
  sandbox: string,
  rule: { method: string; path: string; delayMs: number },
): Promise<HeldCall> {
  const since = Date.now();
  const fault: FaultRule = { ...rule, times: 1 };
  await admin.addFault(fault);
  const pattern = new RegExp(rule.path);
  return {
    method: rule.method,
    path: rule.path,
    async waitUntilHeld(timeoutMs = 45_000) {
      await waitUntil(
        `the simulator to receive and hold ${rule.method} ${rule.path}`,
        async () => {
          // A one-shot rule disappears from the list when it fires.
          const { items } = (await (await fetch(`${admin.baseUrl}/__sim/faults`)).json()) as { items: FaultRule[] };
          return !items.some((item) => item.method === rule.method && item.path === rule.path);
        },
        timeoutMs,
        50,
      );
    },
    async answered() {
      return (await admin.requests(sandbox)).some(
        (entry) => entry.method === rule.method && pattern.test(entry.path) && Date.parse(entry.time) >= since - 1_000,
      );
    },
  };
}

// ---- Waiting -------------------------------------------------------------------------------------------------------

/** Polls `condition` until it holds; fails naming what it waited for. Errors count as "not yet". */
export async function waitUntil(
  description: string,
  condition: () => Promise<boolean> | boolean,
  timeoutMs = 30_000,
  intervalMs = 100,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      if (await condition()) return;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      const seen = lastError instanceof Error ? `; last error: ${lastError.message}` : '';
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${description}${seen}`);
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

// ---- The CLI -------------------------------------------------------------------------------------------------------

export interface CliResult {
  exitCode: number | null;
  stdout: string;
  stderr: string;
  /** Milliseconds from the start of the command to its end. */
  tookMs: number;
}

const specDirectory = mkdtempSync(join(tmpdir(), 'restart-specs-'));

/**
 * `provision <spec>` in-process, as `npm run client` runs it (the real Temporal connection), following until the
 * end. Its retries are short so that an attempt whose completion the crash lost is retried within a test.
 */
export async function provisionWithCli(
  scenario: Scenario,
  activityTiming: ActivityTiming = fastActivityTiming,
): Promise<CliResult> {
  const path = join(specDirectory, `${scenario.sandbox}.json`);
  writeFileSync(path, JSON.stringify(scenario.spec));
  const stdout: string[] = [];
  const stderr: string[] = [];
  const env = { ...(await childProcessEnv(scenario.taskQueue)), ...scenario.env };
  const startedAt = Date.now();
  const exitCode = await runProvision(
    path,
    { wait: true, json: false },
    {
      io: { out: (text) => stdout.push(text), err: (text) => stderr.push(text), env },
      connect: connectTemporal,
      pollIntervalMs: 200,
      inputOverrides: { activityTiming },
    },
  );
  return { exitCode, stdout: stdout.join('\n'), stderr: stderr.join('\n'), tookMs: Date.now() - startedAt };
}

/** A verb of the real CLI program (`npx tsx src/client.ts <args>`), as a user runs it, on the test's task queue. */
export async function spawnCli(taskQueue: string, args: string[]): Promise<CliResult> {
  const startedAt = Date.now();
  const cli = spawnTsx('src/client.ts', args, await childProcessEnv(taskQueue));
  const exitCode = await cli.exited;
  // The child's stdout and stderr are read together: tell them apart by what they say.
  return { exitCode, stdout: cli.output(), stderr: cli.output(), tookMs: Date.now() - startedAt };
}

/** A Node.js stack frame: no CLI output may contain one, whatever happened to Temporal. */
const stackFrame = /^\s+at .+(\(.+:\d+:\d+\)|:\d+:\d+)$/m;

export function assertNoStackTrace(result: CliResult): void {
  const output = `${result.stdout}\n${result.stderr}`;
  assert.doesNotMatch(output, stackFrame, `the CLI printed a stack trace:\n${output}`);
}

/**
 * What the CLI that was following must end with: the outcome (`expected` exit code and text), or exit 3 saying
 * Temporal was lost and how to look again. Returns which of the two it was.
 */
export function assertOutcomeOrLostTemporal(
  result: CliResult,
  expected: { exitCode: number; outcome: RegExp; lost: RegExp; lookAgain: RegExp },
): 'outcome' | 'lost-temporal' {
  const output = `stdout:\n${result.stdout}\nstderr:\n${result.stderr}`;
  assertNoStackTrace(result);
  if (result.exitCode === expected.exitCode) {
    assert.match(`${result.stdout}\n${result.stderr}`, expected.outcome, output);
    return 'outcome';
  }
  assert.equal(result.exitCode, exitCodes.unavailable, `exit ${expected.exitCode} with the outcome, or 3:\n${output}`);
  assert.match(result.stderr, expected.lost, `says it lost Temporal:\n${output}`);
  assert.match(result.stderr, expected.lookAgain, `says how to look again:\n${output}`);
  return 'lost-temporal';
}

// ---- Alerts --------------------------------------------------------------------------------------------------------

/**
 * Every alert the webhook took was delivered once: no id twice, each carrying its id as the idempotency key. The
 * scenario must have raised alerts of the `expected` kinds, or there would be nothing to find twice.
 */
export function assertNoDuplicateAlerts(alerts: AlertReceiver, expected: readonly AlertKind[]): void {
  const kinds = alerts.received.map((entry) => entry.alert.kind);
  for (const kind of expected) assert.ok(kinds.includes(kind), `no ${kind} alert was delivered: ${kinds.join(', ')}`);
  const ids = alerts.received.map((entry) => entry.alert.id);
  const repeated = ids.filter((id, index) => ids.indexOf(id) !== index);
  assert.deepEqual(repeated, [], `alerts delivered more than once: ${JSON.stringify(ids)}`);
  for (const { alert, idempotencyKey } of alerts.received) assert.equal(idempotencyKey, alert.id);
}

/**
 * Makes every run of the sandbox fail and waits for the monitor's run-failed alert: the alert path is in use from
 * before the crash to after it, so an alert sent again after the restart is caught by assertNoDuplicateAlerts.
 */
export async function failRunsUntilAlerted(admin: SimulatorAdmin, sandbox: string, alerts: AlertReceiver) {
  await admin.failRuns(sandbox, 1);
  await waitFor('the run-failed alert', () => alerts.ofKind('run-failed').length > 0, 30_000);
}

// ---- Looking at what happened --------------------------------------------------------------------------------------

/** The calls the simulator answered for a sandbox with this method and path, since `since` (ms). */
export async function answeredCalls(
  admin: SimulatorAdmin,
  sandbox: string,
  method: string,
  path: RegExp,
  since = 0,
): Promise<LoggedRequest[]> {
  return (await admin.requests(sandbox)).filter(
    (entry) => entry.method === method && path.test(entry.path) && Date.parse(entry.time) >= since,
  );
}

/** How the simulator shows a secret it holds: the first 16 hex digits of its SHA-256. */
export function secretFingerprint(secret: string): string {
  return `sha256:${createHash('sha256').update(secret).digest('hex').slice(0, 16)}`;
}

/** Terminates the dataflow's monitor and its sandbox's run feed when they still run (what a test left behind). */
export async function stopMonitoring(sandbox: string, name: string): Promise<void> {
  const { client } = await getTemporal();
  for (const workflowId of [monitorWorkflowId(sandbox, name), runFeedWorkflowId(sandbox)]) {
    const handle = client.workflow.getHandle(workflowId);
    try {
      if ((await handle.describe()).status.name === 'RUNNING') await handle.terminate('test finished');
    } catch {
      // Never started, or already gone.
    }
  }
}
