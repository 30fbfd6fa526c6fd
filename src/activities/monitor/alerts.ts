/**
 * Delivering an alert: always a structured log line (through the activity logger, so it carries the workflow
 * and activity context), and a JSON POST to the spec's webhook when there is one. The POST is retried by the
 * activity's policy and carries the alert id as Idempotency-Key, so a receiver can drop repeats.
 */
import { ApplicationFailure, Context, log } from '@temporalio/activity';
import { openSealedSecret } from '../aep-failure';
import type { SendAlertInput, SendAlertResult } from '../../contracts/monitor-activities';
import type { ActivityDependencies, WebhookSender } from '../dependencies';

const webhookTimeoutMs = 10_000;

/** The default sender: a JSON POST with a timeout. */
const postJson: WebhookSender = async (url, body, headers) => {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(webhookTimeoutMs),
  });
  await response.body?.cancel();
  return { status: response.status };
};

/** Webhook URLs often embed a secret (Slack, Teams): only the origin is ever logged. */
function originOf(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return '(unparseable URL)';
  }
}

export function createAlertActivities({ fetchWebhook, secrets }: ActivityDependencies) {
  const send = fetchWebhook ?? postJson;
  return {
    async sendAlert(input: SendAlertInput): Promise<SendAlertResult> {
      const { alert } = input;
      // One log line per alert, not one per delivery attempt.
      if (Context.current().info.attempt === 1) {
        const level = alert.severity === 'critical' ? 'error' : alert.severity === 'warning' ? 'warn' : 'info';
        log[level](`dataflow alert: ${alert.message}`, { alert });
      }
      if (!input.webhookUrl) return { delivery: 'log' };
      const webhookUrl =
        typeof input.webhookUrl === 'string'
          ? input.webhookUrl
          : openSealedSecret(secrets, input.webhookUrl, 'send alert (webhook URL)');

      let status: number;
      try {
        ({ status } = await send(webhookUrl, alert, { 'Idempotency-Key': alert.id }));
      } catch (error) {
        throw ApplicationFailure.retryable(
          `alert webhook ${originOf(webhookUrl)} unreachable: ${(error as Error).message}`,
          'AlertWebhookUnavailable',
        );
      }
      // 409: the receiver already has this alert id.
      if ((status >= 200 && status < 300) || status === 409) return { delivery: 'webhook' };
      const retryable = status === 408 || status === 429 || status >= 500;
      const message = `alert webhook ${originOf(webhookUrl)} answered HTTP ${status}`;
      throw retryable
        ? ApplicationFailure.retryable(message, 'AlertWebhookUnavailable')
        : ApplicationFailure.nonRetryable(message, 'AlertWebhookRejected');
    },
  };
}
