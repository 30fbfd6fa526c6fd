/** What activities are built from: the AEP client and the secrets box (and, for alerts, a webhook sender). */
import type { AepClient } from '../aep';
import type { SecretBox } from '../secrets';

/** Sends one JSON POST; returns the HTTP status. Injected so tests can observe alerts. */
export type WebhookSender = (
  url: string,
  body: unknown,
  headers?: Record<string, string>,
) => Promise<{ status: number }>;

export interface ActivityDependencies {
  aep: AepClient;
  secrets: SecretBox;
  fetchWebhook?: WebhookSender;
}
