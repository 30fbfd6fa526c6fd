/**
 * Arrangements for the monitor tests: a dataflow provisioned for real (provisionDataflow on the shared Temporal
 * server and simulator), its monitor watching at a one-second cadence, a webhook that records alerts, and
 * helpers to wait for what the scenario expects.
 */
import type { SecretBox } from '../../src/secrets';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { WorkflowHandle } from '@temporalio/client';
import { request } from 'undici';
import type { CommandIo } from '../../src/runtime/command-io';
import { simulatorDefaults } from '../../src/simulator';
import { dataflowMonitor } from '../../src/workflows/dataflow-monitor';
import { statusQuery, type DataflowMonitorInput } from '../../src/contracts/monitor-messages';
import type { DataflowDescriptor } from '../../src/contracts/dataflow-types';
import type { MonitorStatus } from '../../src/contracts/monitor-status';
import type { Alert } from '../../src/contracts/monitor-state';
import type { ProvisionDataflowResult } from '../../src/contracts/provisioning-messages';
import { monitorWorkflowId, runFeedWorkflowId } from '../../src/contracts/workflow-ids';
import { SimulatorAdmin, type LoggedRequest } from '../harness/simulator-admin';
import { getSimulator } from '../harness/simulator';
import { getTemporal } from '../harness/temporal';
import { startTestWorker, type TestWorker } from '../harness/test-worker';
import { newScenario, provision, workflowInput, type Scenario } from '../provisioning/provisioning-fixtures';

// ---- Waiting -------------------------------------------------------------------------------------------------------

/** Polls `probe` until it returns something truthy; fails naming what was awaited and what was last seen. */
export async function waitFor<T>(
  description: string,
  probe: () => Promise<T | undefined | false | null> | T | undefined | false | null,
  timeoutMs = 20_000,
  intervalMs = 200,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value) return value;
      last = value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${description}; last seen: ${describe(last)}`);
    }
    await sleep(intervalMs);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function describe(value: unknown): string {
  if (value instanceof Error) return value.message;
  const text = JSON.stringify(value);
  return text === undefined ? String(value) : text.length > 600 ? `${text.slice(0, 600)}…` : text;
}

// ---- The alert webhook ---------------------------------------------------------------------------------------------

export interface ReceivedAlert {
  alert: Alert;
  idempotencyKey: string | undefined;
  receivedAt: number;
}

export interface AlertReceiver {
  url: string;
  /** Every POST that was answered 200, in arrival order. */
  received: ReceivedAlert[];
  /** POSTs answered with a failure (see failNext). */
  refused: number;
  /** The next `count` POSTs are answered 503, to exercise the retries. */
  failNext(count: number): void;
  ofKind(kind: Alert['kind']): ReceivedAlert[];
  close(): Promise<void>;
}

export async function startAlertReceiver(): Promise<AlertReceiver> {
  const received: ReceivedAlert[] = [];
  let toFail = 0;
  const receiver: AlertReceiver = {
    url: '',
    received,
    refused: 0,
    failNext(count) {
      toFail = count;
    },
    ofKind: (kind) => received.filter((entry) => entry.alert.kind === kind),
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      if (toFail > 0) {
        toFail -= 1;
        receiver.refused += 1;
        response.writeHead(503).end();
        return;
      }
      received.push({
        alert: JSON.parse(Buffer.concat(chunks).toString('utf8')) as Alert,
        idempotencyKey: header(request.headers, 'idempotency-key'),
        receivedAt: Date.now(),
      });
      response.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  receiver.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/alerts`;
  return receiver;
}

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

// ---- A monitored dataflow ------------------------------------------------------------------------------------------

export interface MonitoredDataflowOptions {
  /** Lifetime of the OneTrust token the dataflow is provisioned with (default 180 days). */
  tokenExpiresInSeconds?: number;
  /** `monitor` section of the spec (default none: reconcile every 6 h; the run feed looks every second in tests). */
  monitor?: { pollInterval?: string; tokenWarnings?: string[] };
  /**
   * Give the spec OneTrust client credentials, so the monitor can mint tokens: `true` for the simulator's built-in
   * client, or a client registered with the simulator's admin API. The secret goes in env ONETRUST_CLIENT_SECRET.
   */
  clientCredentials?: boolean | { clientId: string; clientSecret: string };
  /** The spec's `onetrust.baseUrl` (default: the simulator's URL). */
  oneTrustBaseUrl?: string;
  /**
   * Start the monitor here instead of from provisioning, with extra input (e.g. a continue-as-new threshold).
   * Provisioning then runs with startMonitor: false.
   */
  monitorInput?: Omit<DataflowMonitorInput, 'dataflow'>;
  /** The sandbox's run feed (default: looks every second, pages of 500). */
  runFeed?: { intervalMs?: number; pageSize?: number };
  /** The worker's secret box (e.g. a keyring with a newer key than the one the dataflow was sealed with). */
  workerSecrets?: SecretBox;
}

export interface MonitoredDataflow {
  scenario: Scenario;
  sandbox: string;
  name: string;
  target: string;
  token: string;
  provisioned: ProvisionDataflowResult;
  descriptor: DataflowDescriptor;
  worker: TestWorker;
  handle: WorkflowHandle<typeof dataflowMonitor>;
  admin: SimulatorAdmin;
  alerts: AlertReceiver;
  status(): Promise<MonitorStatus>;
  /** Waits until the status satisfies `predicate` (the status query is cheap: no history events). */
  waitForStatus(
    description: string,
    predicate: (status: MonitorStatus) => boolean,
    timeoutMs?: number,
  ): Promise<MonitorStatus>;
  /** Terminates the monitor if it still runs, stops the worker and the webhook. */
  dispose(): Promise<void>;
}

export async function monitoredDataflow(options: MonitoredDataflowOptions = {}): Promise<MonitoredDataflow> {
  const [temporal, simulator] = await Promise.all([getTemporal(), getSimulator()]);
  const admin = new SimulatorAdmin(simulator.url);
  const alerts = await startAlertReceiver();
  const token = (await admin.mintOneTrustToken(options.tokenExpiresInSeconds ?? 180 * 24 * 3600)).access_token;
  const oneTrustClient =
    typeof options.clientCredentials === 'object' ? options.clientCredentials : simulatorDefaults.oneTrustClient;
  const scenario = await newScenario({
    onetrust: {
      baseUrl: options.oneTrustBaseUrl ?? simulator.url,
      accessToken: { env: 'ONETRUST_ACCESS_TOKEN' },
      ...(options.clientCredentials
        ? { clientCredentials: { clientId: oneTrustClient.clientId, clientSecret: { env: 'ONETRUST_CLIENT_SECRET' } } }
        : {}),
    },
    alerts: { webhookUrl: alerts.url },
    ...(options.monitor ? { monitor: options.monitor } : {}),
  });
  scenario.token = token;
  scenario.env = { ONETRUST_ACCESS_TOKEN: token, ONETRUST_CLIENT_SECRET: oneTrustClient.clientSecret };

  const worker = await startTestWorker({
    taskQueue: scenario.taskQueue,
    ...(options.runFeed ? { runFeed: options.runFeed } : {}),
    ...(options.workerSecrets ? { secrets: options.workerSecrets } : {}),
  });
  const startsItsOwnMonitor = options.monitorInput !== undefined;
  const input = workflowInput(scenario, { startMonitor: !startsItsOwnMonitor });
  const provisioned = await provision(scenario, input);
  const descriptor: DataflowDescriptor = {
    sandbox: scenario.sandbox,
    name: scenario.name,
    ids: provisioned.ids,
    schedule: provisioned.schedule,
    oneTrust: input.oneTrust,
    ...(input.alerts ? { alerts: input.alerts } : {}),
    ...(input.monitor ? { monitor: input.monitor } : {}),
  };
  const workflowId = monitorWorkflowId(scenario.sandbox, scenario.name);
  if (startsItsOwnMonitor) {
    await temporal.client.workflow.start(dataflowMonitor, {
      workflowId,
      taskQueue: scenario.taskQueue,
      args: [{ dataflow: descriptor, ...options.monitorInput }],
    });
  }
  const handle = temporal.client.workflow.getHandle<typeof dataflowMonitor>(workflowId);

  const status = () => handle.query(statusQuery);
  return {
    scenario,
    sandbox: scenario.sandbox,
    name: scenario.name,
    target: `${scenario.sandbox}/${scenario.name}`,
    token,
    provisioned,
    descriptor,
    worker,
    handle,
    admin,
    alerts,
    status,
    async waitForStatus(description, predicate, timeoutMs) {
      let last: MonitorStatus | undefined;
      try {
        return await waitFor(
          description,
          async () => {
            last = await status();
            return predicate(last) ? last : undefined;
          },
          timeoutMs,
        );
      } catch (error) {
        throw new Error(`${(error as Error).message}\nlast status: ${JSON.stringify(last, null, 1)}`);
      }
    },
    async dispose() {
      for (const running of [handle, temporal.client.workflow.getHandle(runFeedWorkflowId(scenario.sandbox))]) {
        try {
          const { status: executionStatus } = await running.describe();
          if (executionStatus.name === 'RUNNING') await running.terminate('test finished');
        } catch {
          // Never started, or already gone.
        }
      }
      await worker.stop();
      await alerts.close();
    },
  };
}

/** The simulator's request log for one sandbox (the admin API answers `{items}`). */
export async function simulatorRequests(sandbox: string): Promise<LoggedRequest[]> {
  const simulator = await getSimulator();
  const response = await request(`${simulator.url}/__sim/requests`);
  const { items } = (await response.body.json()) as { items: LoggedRequest[] };
  return items.filter((entry) => entry.sandbox === sandbox);
}

// ---- Running CLI verbs in-process ----------------------------------------------------------------------------------

export interface CapturedIo extends CommandIo {
  stdout(): string;
  stderr(): string;
}

/** The CLI's io, writing into strings, with the environment of the shared Temporal server. */
export async function capturedIo(taskQueue: string): Promise<CapturedIo> {
  const temporal = await getTemporal();
  let out = '';
  let err = '';
  return {
    out: (text) => (out += text.endsWith('\n') ? text : `${text}\n`),
    err: (text) => (err += text.endsWith('\n') ? text : `${text}\n`),
    env: {
      TEMPORAL_ADDRESS: temporal.address,
      TEMPORAL_NAMESPACE: temporal.namespace,
      TASK_QUEUE: taskQueue,
      DATAFLOW_SECRETS_KEY: process.env.DATAFLOW_SECRETS_KEY,
    },
    stdout: () => out,
    stderr: () => err,
  };
}

/** Everything a workflow id's executions recorded (every continue-as-new generation), as one JSON text. */
export async function historiesText(workflowId: string): Promise<string> {
  const { client } = await getTemporal();
  const texts: string[] = [];
  for await (const execution of client.workflow.list({ query: `WorkflowId = '${workflowId}'` })) {
    const history = await client.workflow.getHandle(workflowId, execution.runId).fetchHistory();
    texts.push(JSON.stringify(history, payloadBytesAsText));
  }
  return texts.join('\n');
}

/**
 * Payloads hold their JSON as bytes, which the history's JSON form shows as base64: decoded, a plaintext token
 * in any payload would be found by a substring search.
 */
export function payloadBytesAsText(key: string, value: unknown): unknown {
  if (key === 'data' && typeof value === 'string') return Buffer.from(value, 'base64').toString('utf8');
  if (value instanceof Uint8Array) return Buffer.from(value).toString('utf8');
  return value;
}
