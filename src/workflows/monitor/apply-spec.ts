/**
 * `provision` with a spec for a dataflow that already exists: the monitor makes AEP and itself match the spec,
 * through the same paths as its verbs (flow PATCH with If-Match, a new mapping-set version and the flow pointed at
 * it, the token PATCHed and proven by an explore preview, the OneTrust base URL and client credentials proven by a
 * mint: apply-onetrust-endpoint.ts), and says what it changed and what it kept. Nothing differs: nothing is
 * written. Resources another dataflow shares are never changed, only named.
 */
import { patched } from '@temporalio/workflow';
import { activities, changeOptions } from './monitor-activities';
import { applyOneTrustEndpoint, applyOneTrustEndpointPatch } from './apply-onetrust-endpoint';
import type {
  ApplySpecRequest,
  MonitorState,
  RotateTokenRequest,
  UpdateDataflowRequest,
} from '../../contracts/monitor-state';
import type { WorkResult } from './actions';

/** The monitor's own verbs (on the same state), which apply uses for each kind of change. */
export interface MonitorVerbs {
  updateDataflow(request: UpdateDataflowRequest): Promise<WorkResult>;
  rotate(request: RotateTokenRequest, how: 'from the spec'): Promise<WorkResult>;
  setEnabled(enabled: boolean): Promise<WorkResult>;
}

export async function applySpec(
  state: MonitorState,
  request: ApplySpecRequest,
  verbs: MonitorVerbs,
): Promise<WorkResult> {
  const { dataflow } = state;
  const changed: string[] = [];
  const kept: string[] = [];

  const comparison = await activities.compareDataflowWithSpec.executeWithOptions(
    { ...changeOptions, summary: 'compare the dataflow with the spec' },
    [
      {
        sandbox: dataflow.sandbox,
        dataflowName: dataflow.name,
        ids: dataflow.ids,
        description: request.description,
        schedule: request.schedule,
        mapping: request.mapping,
      },
    ],
  );

  if (comparison.description || comparison.schedule) {
    await verbs.updateDataflow({
      ...(comparison.description ? { description: request.description } : {}),
      ...(comparison.schedule ? { schedule: request.schedule } : {}),
    });
    changed.push(...comparison.flowChanges);
  }
  if (comparison.mappingChanges.length > 0) {
    await verbs.updateDataflow({ mapping: request.mapping });
    changed.push(...comparison.mappingChanges, `the flow uses mapping v${dataflow.ids.mappingVersion}`);
  } else if (comparison.mappingPointsElsewhere) {
    // Someone pointed the flow at another mapping: back to the dataflow's own version.
    await activities.pointFlowAtMapping.executeWithOptions(
      { ...changeOptions, summary: `point the flow at mapping v${dataflow.ids.mappingVersion} again` },
      [
        {
          sandbox: dataflow.sandbox,
          flowId: dataflow.ids.flowId,
          mappingSetId: dataflow.ids.mappingSetId,
          mappingVersion: dataflow.ids.mappingVersion,
        },
      ],
    );
    changed.push(`the flow uses mapping v${dataflow.ids.mappingVersion} again`);
  }

  const wantedState = state.paused ? 'disabled' : 'enabled';
  if (comparison.flowState !== undefined && comparison.flowState !== wantedState) {
    await verbs.setEnabled(!state.paused);
    changed.push(`flow state ${comparison.flowState} → ${wantedState}`);
  }
  if (state.paused) kept.push('the flow stays paused (resume enables it)');

  const sameToken = await activities.sameSecret.executeWithOptions({ summary: 'compare the tokens (sealed)' }, [
    { first: request.token, second: dataflow.oneTrust.token },
  ]);
  if (!sameToken || request.tokenUnconfirmed) {
    const inUse = state.token.expiresAt;
    if (request.tokenUnconfirmed || Date.parse(request.tokenExpiresAt) >= Date.parse(inUse)) {
      await verbs.rotate({ token: request.token, expiresAt: request.tokenExpiresAt }, 'from the spec');
      changed.push(`OneTrust token replaced by the spec's (expires ${request.tokenExpiresAt})`);
    } else {
      kept.push(`the OneTrust token in use (expires ${inUse}): the spec's expires earlier (${request.tokenExpiresAt})`);
    }
  }

  // A spec from an older CLI carries no endpoint: what the monitor holds stays.
  if (request.oneTrust !== undefined && patched(applyOneTrustEndpointPatch)) {
    const endpoint = await applyOneTrustEndpoint(state, request.oneTrust);
    changed.push(...endpoint.changed);
    kept.push(...endpoint.kept);
  }

  const sameWebhook = await activities.sameSecret.executeWithOptions({ summary: 'compare the alert webhooks' }, [
    {
      ...(request.alerts ? { first: request.alerts.webhookUrl } : {}),
      ...(dataflow.alerts ? { second: dataflow.alerts.webhookUrl } : {}),
    },
  ]);
  if (!sameWebhook) {
    changed.push(
      request.alerts === undefined
        ? 'alerts: webhook removed (alerts go to the log)'
        : dataflow.alerts === undefined
          ? 'alerts: webhook set'
          : 'alerts: webhook changed',
    );
    if (request.alerts) dataflow.alerts = request.alerts;
    else delete dataflow.alerts;
  }

  const warningsBefore = (dataflow.monitor?.tokenWarnings ?? []).join(', ') || '(defaults)';
  const warningsWanted = (request.monitor?.tokenWarnings ?? []).join(', ') || '(defaults)';
  if (warningsBefore !== warningsWanted) changed.push(`token warnings ${warningsBefore} → ${warningsWanted}`);
  const pollBefore = dataflow.monitor?.pollInterval ?? '(default)';
  const pollWanted = request.monitor?.pollInterval ?? '(default)';
  if (pollBefore !== pollWanted) changed.push(`monitor poll interval ${pollBefore} → ${pollWanted}`);
  if (request.monitor) dataflow.monitor = request.monitor;
  else delete dataflow.monitor;

  return {
    summary:
      changed.length === 0
        ? 'nothing to change: the dataflow matches the spec'
        : `applied the spec: ${changed.join('; ')}`,
    details: {
      changed,
      kept,
      shared: comparison.shared,
    },
  };
}
