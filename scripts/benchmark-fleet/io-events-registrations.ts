/**
 * The push design's I/O Events registrations on the simulator, one webhook per sandbox as a Developer Console
 * project would have (the simulator sends the challenge before it accepts one), and their delivery counts: what
 * the webhook acknowledged, refused or made the simulator give up on.
 */
import type { RegistrationView } from '../../src/simulator/io-events/admin-io-events-routes';
import {
  noDeliveries,
  type DeliveryCounts,
  type RegistrationInput,
} from '../../src/simulator/io-events/event-registration';

const registrationsPath = '/__sim/io-events/registrations';

/** Registers the webhook for each sandbox's runs; returns the registration ids. */
export async function registerWebhooks(
  simulatorUrl: string,
  webhookUrl: string,
  sandboxes: string[],
): Promise<string[]> {
  const ids: string[] = [];
  for (const sandbox of sandboxes) {
    const input: RegistrationInput = { url: webhookUrl, sandboxName: sandbox, name: `benchmark ${sandbox}` };
    const response = await fetch(`${simulatorUrl}${registrationsPath}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(input),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`registering the webhook of ${sandbox} failed (${response.status}): ${text}`);
    ids.push((JSON.parse(text) as RegistrationView).id);
  }
  return ids;
}

/** The delivery counts of these registrations, added up, and whether any of them is no longer active. */
export async function deliveryCounts(
  simulatorUrl: string,
  registrationIds: string[],
): Promise<{ counts: DeliveryCounts; inactive: number }> {
  const response = await fetch(`${simulatorUrl}${registrationsPath}`);
  if (!response.ok) throw new Error(`reading the I/O Events registrations failed (${response.status})`);
  const { items } = (await response.json()) as { items: RegistrationView[] };
  const ours = items.filter((registration) => registrationIds.includes(registration.id));
  const counts = noDeliveries();
  for (const registration of ours) {
    for (const key of Object.keys(counts) as Array<keyof DeliveryCounts>) counts[key] += registration.counts[key];
  }
  return { counts, inactive: ours.filter((registration) => registration.status !== 'active').length };
}
