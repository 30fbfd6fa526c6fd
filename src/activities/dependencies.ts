/** What activities are built from: the AEP client and the secrets box (and, for alerts, a webhook sender). */
import type { Client } from '@temporalio/client';
import type { AepClient } from '../aep';
import type { RunFeedSettings } from '../contracts/run-feed-settings';
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
  /** Where sandbox run feeds are started, and how often they look (from the worker's environment). */
  runFeed?: RunFeedSettings;
  /** The Temporal client activities signal and start workflows with; default: the worker's own. */
  temporalClient?: () => Client;
}
