/**
 * Push for one sandbox, as in production: the simulator's I/O Events registration for the sandbox delivers every
 * run's start and end (signed) to a real events receiver, which hands them to the sandbox's run feed.
 */
import { simulatorDefaults } from '../../src/simulator';
import { startEventsReceiver, type RunningEventsReceiver } from '../../src/events/events-receiver';
import type { EventsReceiverLogger } from '../../src/events/receiver-logger';
import { temporalHandOff } from '../../src/events/temporal-hand-off';
import { SimulatorAdmin } from '../harness/simulator-admin';
import { getSimulator } from '../harness/simulator';
import { getTemporal } from '../harness/temporal';

const quiet: EventsReceiverLogger = { info: () => undefined, warn: () => undefined, error: () => undefined };

export interface PushedSandbox {
  receiver: RunningEventsReceiver;
  registrationId: string;
  /** Stops the deliveries, then the receiver. */
  close(): Promise<void>;
}

/** Start the sandbox's run feed first: the receiver then only signals it (it would start one with its defaults). */
export async function pushRunsOf(sandbox: string, taskQueue: string): Promise<PushedSandbox> {
  const [simulator, { client }] = await Promise.all([getSimulator(), getTemporal()]);
  const admin = new SimulatorAdmin(simulator.url);
  const receiver = await startEventsReceiver({
    port: 0,
    keyHost: simulator.url,
    clientId: simulatorDefaults.clientId,
    orgId: simulatorDefaults.orgId,
    handOff: temporalHandOff({ client, runFeed: { taskQueue }, logger: quiet }),
    logger: quiet,
  });
  const registration = await admin.registerWebhook({ url: `${receiver.url}/events`, sandboxName: sandbox });
  return {
    receiver,
    registrationId: registration.id,
    async close() {
      await admin.deleteIoEventRegistration(registration.id).catch(() => undefined);
      await receiver.close();
    },
  };
}
