/**
 * `npm run demo -- --push`: push tried against the simulator. Starts the I/O Events receiver (`npm run events`'s
 * program) with the values that make it trust the simulator (its key host, its client id), then registers the
 * receiver's webhook for the sandbox with the simulator, as the Developer Console would. Runs then reach their
 * monitor within seconds, and `status` counts what was pushed. A receiver already on the port is reused.
 */
import { request } from 'undici';
import { simulatorDefaults } from '../../src/simulator/defaults';
import type { DemoContext } from './demo-context';
import { startManagedProcess } from './managed-process';
import type { DemoSimulator } from './simulator';
import type { DemoTemporal } from './temporal-server';
import { isPortOpen, waitUntil } from './waiting';

/** Only this machine calls it (the simulator), so it listens on the loopback interface only. */
const receiverHost = '127.0.0.1';

export async function ensurePushReceiver(
  context: DemoContext,
  temporalServer: DemoTemporal,
  simulator: DemoSimulator,
  sandbox: string,
): Promise<void> {
  const port = Number(process.env.IO_EVENTS_PORT ?? 8091);
  const webhook = `http://${receiverHost}:${port}/events`;
  if (await isPortOpen(port, receiverHost)) {
    context.report('Events receiver', `reusing the one on ${webhook}`);
  } else {
    const receiver = startManagedProcess({
      name: 'events-receiver',
      command: process.execPath,
      args: ['--import', 'tsx', 'src/events/main.ts'],
      cwd: context.projectRoot,
      logDirectory: context.logDirectory,
      env: {
        ...process.env,
        TEMPORAL_ADDRESS: temporalServer.address,
        TEMPORAL_NAMESPACE: temporalServer.namespace,
        IO_EVENTS_HOST: receiverHost,
        IO_EVENTS_PORT: String(port),
        // The simulator signs its deliveries with its own keys and names its own client id as the recipient.
        IO_EVENTS_KEY_HOST: simulator.baseUrl,
        IO_EVENTS_CLIENT_ID: simulatorDefaults.clientId,
        // Only events of this organisation are handed on: the simulator's.
        AEP_ORG_ID: simulatorDefaults.orgId,
      },
    });
    context.track(receiver);
    await waitUntil(`the events receiver on ${webhook}`, () => isPortOpen(port, receiverHost), {
      timeoutMs: 60_000,
      stopEarly: receiver.exited,
    });
    context.report(
      'Events receiver',
      `listening on ${webhook} (pid ${receiver.pid}), log ${context.relative(receiver.logFile)}`,
    );
  }

  const registrations = await adminJson<{ items: Array<{ id: string; url?: string; sandboxName?: string }> }>(
    simulator,
    'GET',
    '/__sim/io-events/registrations',
  );
  const existing = registrations.items.find((item) => item.url === webhook && item.sandboxName === sandbox);
  const registration =
    existing ??
    (await adminJson<{ id: string }>(simulator, 'POST', '/__sim/io-events/registrations', {
      url: webhook,
      sandboxName: sandbox,
    }));
  context.report(
    'Push',
    `${existing ? 'webhook already registered' : 'webhook registered'} for sandbox ${sandbox} (registration ${registration.id})`,
  );
}

async function adminJson<T>(
  simulator: DemoSimulator,
  method: 'GET' | 'POST',
  path: string,
  body?: unknown,
): Promise<T> {
  const response = await request(`${simulator.baseUrl}${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.body.text();
  if (response.statusCode >= 400) throw new Error(`${method} ${path} answered ${response.statusCode}: ${text}`);
  return JSON.parse(text) as T;
}
