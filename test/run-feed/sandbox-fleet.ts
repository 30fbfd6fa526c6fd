/**
 * Arrangements for the run feed tests: a few dataflows provisioned for real in ONE sandbox (each with its own
 * schema and dataset), their monitors, the sandbox's feed, and ways to compare what the monitors learned with
 * what the simulator ran.
 */
import type { WorkflowHandle } from '@temporalio/client';
import { dataflowMonitor } from '../../src/workflows/dataflow-monitor';
import type { DataflowDescriptor } from '../../src/contracts/dataflow-types';
import { pauseUpdate, statusQuery, type DataflowMonitorInput } from '../../src/contracts/monitor-messages';
import type { MonitorStatus } from '../../src/contracts/monitor-status';
import { runFeedStatusQuery, type RunFeedStatus } from '../../src/contracts/run-feed-messages';
import { sandboxRunFeed } from '../../src/workflows/sandbox-run-feed';
import { monitorWorkflowId, runFeedWorkflowId } from '../../src/contracts/workflow-ids';
import { SimulatorAdmin } from '../harness/simulator-admin';
import { getSimulator } from '../harness/simulator';
import { getTemporal } from '../harness/temporal';
import { startAlertReceiver, waitFor, type AlertReceiver } from '../monitor/monitor-fixtures';
import {
  mintOneTrustToken,
  provision,
  uniqueName,
  workflowInput,
  type Scenario,
} from '../provisioning/provisioning-fixtures';

export interface SimulatedRun {
  id: string;
  flowId: string;
  metrics: { durationSummary: { startedAtUTC: number; completedAtUTC?: number }; statusSummary: { status: string } };
}

export interface FleetMember {
  name: string;
  flowId: string;
  descriptor: DataflowDescriptor;
  handle: WorkflowHandle<typeof dataflowMonitor>;
  status(): Promise<MonitorStatus>;
}

export interface SandboxFleet {
  sandbox: string;
  taskQueue: string;
  members: FleetMember[];
  admin: SimulatorAdmin;
  alerts: AlertReceiver;
  feed(): Promise<RunFeedStatus>;
  /** The simulator's runs of this sandbox, optionally of one flow. */
  runs(flowId?: string): Promise<SimulatedRun[]>;
  /** Pauses every flow (through its monitor) and waits until no run is in progress. */
  stopRunning(): Promise<void>;
  /** Terminates the monitors and the feed. */
  dispose(): Promise<void>;
}

export interface SandboxFleetOptions {
  taskQueue: string;
  dataflows: number;
  /** Start the monitors here with this input (provisioning starts them otherwise). */
  monitorInput?: Omit<DataflowMonitorInput, 'dataflow'>;
  /** Start the feed here with this input before provisioning (provisioning starts one otherwise). */
  runFeedInput?: { intervalMs?: number; continueAsNewAfterEvents?: number; pageSize?: number };
  sandbox?: string;
}

export async function sandboxFleet(options: SandboxFleetOptions): Promise<SandboxFleet> {
  const [{ client }, simulator] = await Promise.all([getTemporal(), getSimulator()]);
  const admin = new SimulatorAdmin(simulator.url);
  const alerts = await startAlertReceiver();
  const sandbox = options.sandbox ?? uniqueName('fleet');
  const { taskQueue } = options;
  if (options.runFeedInput) {
    await client.workflow.start(sandboxRunFeed, {
      workflowId: runFeedWorkflowId(sandbox),
      taskQueue,
      args: [{ sandbox, ...options.runFeedInput }],
    });
  }

  const members: FleetMember[] = [];
  for (let index = 1; index <= options.dataflows; index += 1) {
    const name = `consent-${index}`;
    const token = await mintOneTrustToken();
    const scenario: Scenario = {
      sandbox,
      name,
      taskQueue,
      token,
      env: { ONETRUST_ACCESS_TOKEN: token },
      spec: {
        name,
        sandbox,
        onetrust: { baseUrl: simulator.url, accessToken: { env: 'ONETRUST_ACCESS_TOKEN' } },
        target: { schemaTitle: `Consent ${sandbox} ${name}`, datasetName: `Consent ${sandbox} ${name}` },
        schedule: { frequency: 'minute', interval: 15 },
        alerts: { webhookUrl: alerts.url },
      },
    };
    const input = workflowInput(scenario, { startMonitor: options.monitorInput === undefined });
    const provisioned = await provision(scenario, input);
    const descriptor: DataflowDescriptor = {
      sandbox,
      name,
      ids: provisioned.ids,
      schedule: provisioned.schedule,
      oneTrust: input.oneTrust,
      ...(input.alerts ? { alerts: input.alerts } : {}),
    };
    const workflowId = monitorWorkflowId(sandbox, name);
    if (options.monitorInput) {
      await client.workflow.start(dataflowMonitor, {
        workflowId,
        taskQueue,
        args: [{ dataflow: descriptor, ...options.monitorInput }],
      });
    }
    const handle = client.workflow.getHandle<typeof dataflowMonitor>(workflowId);
    members.push({ name, flowId: provisioned.ids.flowId, descriptor, handle, status: () => handle.query(statusQuery) });
  }

  const runs = async (flowId?: string) => {
    const all = (await admin.resources(sandbox)).runs as unknown as SimulatedRun[];
    return flowId === undefined ? all : all.filter((run) => run.flowId === flowId);
  };
  return {
    sandbox,
    taskQueue,
    members,
    admin,
    alerts,
    feed: () => client.workflow.getHandle(runFeedWorkflowId(sandbox)).query(runFeedStatusQuery),
    runs,
    async stopRunning() {
      for (const member of members) await member.handle.executeUpdate(pauseUpdate);
      await waitFor(
        'no run in progress',
        async () => (await runs()).every((run) => run.metrics.statusSummary.status !== 'inProgress'),
        30_000,
      );
    },
    async dispose() {
      const handles = [
        ...members.map((member) => member.handle),
        client.workflow.getHandle(runFeedWorkflowId(sandbox)),
      ];
      for (const handle of handles) {
        try {
          await handle.terminate('test finished');
        } catch {
          // Already closed.
        }
      }
      await alerts.close();
    },
  };
}

/** Finished runs (success or failed) in the simulator. */
export function finished(runs: SimulatedRun[]): SimulatedRun[] {
  return runs.filter((run) => run.metrics.statusSummary.status !== 'inProgress');
}

/** Waits until the monitor has learned of exactly the runs of its flow that finished, and returns its status. */
export async function waitUntilEveryRunLearned(fleet: SandboxFleet, member: FleetMember): Promise<MonitorStatus> {
  let last: { learned: number; finished: number } | undefined;
  try {
    return await waitFor(
      `${member.name} to have learned of every finished run`,
      async () => {
        const [status, runs] = await Promise.all([member.status(), fleet.runs(member.flowId)]);
        last = { learned: status.counts.runsLearned, finished: finished(runs).length };
        return last.learned >= last.finished ? status : undefined;
      },
      30_000,
    );
  } catch (error) {
    throw new Error(`${(error as Error).message} (${JSON.stringify(last)})`);
  }
}
