/**
 * The push design's Adobe I/O Events receiver, run as its own process from the project root as `npm run events`
 * runs it: keys fetched from the simulator (it signs its deliveries), events checked against the simulator's client
 * id, and handed to the run feeds on the same Temporal server and task queues as the worker. Its key fetches are
 * capped by the receiver's defaults (`defaultKeyFetchLimits`), as in production.
 */
import { join } from 'node:path';
import type { ReceiverStatus } from '../../src/events/events-receiver';
import { simulatorDefaults } from '../../src/simulator/defaults';
import { freePort, startChild, waitForOutput, type ChildExit, type ChildService } from './processes';

export interface EventsReceiverProcess {
  service: ChildService;
  /** The URL to register with I/O Events. */
  webhookUrl: string;
  /** Its base URL, for deliveries the benchmark forges itself. */
  baseUrl: string;
}

export async function startEventsReceiverProcess(options: {
  projectRoot: string;
  simulatorUrl: string;
  /** The Temporal settings the worker runs with (address, namespace, task queues). */
  temporalEnv: NodeJS.ProcessEnv;
  onUnexpectedExit?: (exit: ChildExit) => void;
}): Promise<EventsReceiverProcess> {
  const port = await freePort();
  const service = startChild(process.execPath, ['--import', 'tsx', join('src', 'events', 'main.ts')], {
    cwd: options.projectRoot,
    env: {
      ...process.env,
      ...options.temporalEnv,
      IO_EVENTS_PORT: String(port),
      // Only the simulator on this machine calls it.
      IO_EVENTS_HOST: '127.0.0.1',
      IO_EVENTS_KEY_HOST: options.simulatorUrl,
      IO_EVENTS_CLIENT_ID: simulatorDefaults.clientId,
      // Events of other organisations are counted, never handed on.
      AEP_ORG_ID: simulatorDefaults.orgId,
    },
    ...(options.onUnexpectedExit ? { onUnexpectedExit: options.onUnexpectedExit } : {}),
  });
  await waitForOutput(service, /events receiver listening/, 120_000, 'the events receiver');
  const baseUrl = `http://127.0.0.1:${port}`;
  return { service, webhookUrl: `${baseUrl}/events`, baseUrl };
}

/** The receiver's counters (`GET /status`); undefined when it does not answer (it died). */
export async function readReceiverStatus(baseUrl: string): Promise<ReceiverStatus | undefined> {
  try {
    const response = await fetch(`${baseUrl}/status`, { signal: AbortSignal.timeout(10_000) });
    return response.ok ? ((await response.json()) as ReceiverStatus) : undefined;
  } catch {
    return undefined;
  }
}
