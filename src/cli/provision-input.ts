/**
 * Turns a validated spec into the provisioning workflow's input: secrets are sealed here, in the CLI, with the
 * worker's public key (so the CLI cannot open them again).
 */
import { forWebUi } from '../contracts/web-ui-markdown';
import type { ResolvedDataflowSpec } from '../config';
import type { SecretSealer } from '../secrets';
import type { ProvisionDataflowInput } from '../contracts/provisioning-messages';

export function toProvisionInput(
  spec: ResolvedDataflowSpec,
  secrets: SecretSealer,
  extra: Pick<ProvisionDataflowInput, 'activityTiming' | 'startMonitor' | 'monitorTaskQueue'> = {},
): ProvisionDataflowInput {
  const clientCredentials = spec.oneTrust.clientCredentials;
  return {
    sandbox: spec.sandbox,
    name: spec.name,
    ...(spec.description !== undefined ? { description: spec.description } : {}),
    oneTrust: {
      baseUrl: spec.oneTrust.baseUrl,
      token: secrets.seal(spec.oneTrust.accessToken.reveal()),
      tokenExpiresAt: spec.oneTrust.expiresAt.toISOString(),
      ...(clientCredentials
        ? {
            clientCredentials: {
              clientId: clientCredentials.clientId,
              clientSecret: secrets.seal(clientCredentials.clientSecret.reveal()),
            },
          }
        : {}),
    },
    target: { ...spec.target },
    mapping: spec.mapping.map((rule) => ({ ...rule })),
    schedule: { ...spec.schedule },
    startTimeIsDefault: spec.startTimeIsDefault,
    ...(spec.alerts ? { alerts: { webhookUrl: secrets.seal(spec.alerts.webhookUrl) } } : {}),
    ...(spec.monitor ? { monitor: { ...spec.monitor } } : {}),
    ...extra,
  };
}

/** The one-line summary and the markdown details the Web UI shows for the provisioning workflow. */
export function provisionStaticSummary(spec: ResolvedDataflowSpec): string {
  return `Provision OneTrust dataflow ${spec.name} in sandbox ${spec.sandbox}`;
}

export function provisionStaticDetails(spec: ResolvedDataflowSpec): string {
  const schedule =
    spec.schedule.frequency === 'once'
      ? `once at ${new Date(spec.schedule.startTime * 1000).toISOString()}`
      : `every ${spec.schedule.interval} ${spec.schedule.frequency}(s) from ${new Date(spec.schedule.startTime * 1000).toISOString()}`;
  return forWebUi([
    `**OneTrust → AEP dataflow \`${spec.name}\`**`,
    '',
    `- Sandbox: \`${spec.sandbox}\``,
    `- Target schema: ${spec.target.schemaTitle}`,
    `- Dataset: ${spec.target.datasetName}`,
    `- Mapping: ${spec.mappingIsDefault ? 'the OneTrust default' : 'custom'} (${spec.mapping.length} rules)`,
    `- Schedule: ${schedule}`,
    `- OneTrust: ${spec.oneTrust.baseUrl}, token expires ${spec.oneTrust.expiresAt.toISOString()}` +
      (spec.oneTrust.clientCredentials ? ' (renewed automatically with client credentials)' : ''),
    ...(spec.description ? ['', spec.description] : []),
  ]);
}
