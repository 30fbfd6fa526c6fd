/**
 * The work people (and the token calendar) ask a monitor for, done one item at a time: rotate the OneTrust token
 * (on request, or minted automatically with client credentials), change the flow (settings, schedule, mapping),
 * pause, resume and tear down. Each takes the monitor state it changes and what else it needs; DataflowMonitor
 * picks the one an item asks for (and looks at the runs itself for `refresh`).
 */
import { ApplicationFailure, patched } from '@temporalio/workflow';
import type { DataflowResourceKind } from '../../contracts/monitor-activities';
import type { Duration } from '@temporalio/common';
import type { DataflowIds } from '../../contracts/dataflow-types';
import { formatDuration, messageOf, usedUpRetryWindow } from '../provisioning/failure-causes';
import type { RaiseAlert } from './alerting';
import { activities, changeOptions, teardownActivities } from './monitor-activities';
import { failureMessage } from './monitor-context';
import { monitorActionFailedType, type DataflowMonitorInput } from '../../contracts/monitor-messages';
import type {
  ActionOutcome,
  MonitorState,
  RotateTokenRequest,
  TeardownProgress,
  TeardownRequest,
  UpdateDataflowRequest,
} from '../../contracts/monitor-state';
import { tokenStateAfterRotation } from '../../contracts/token-schedule';

export type WorkResult = { summary: string; details: ActionOutcome['details'] };

export async function rotate(
  state: MonitorState,
  raise: RaiseAlert,
  request: RotateTokenRequest,
  how: 'on request' | 'automatically' | 'from the spec',
): Promise<WorkResult> {
  const result = await activities.rotateOneTrustToken.executeWithOptions(
    { ...changeOptions, summary: `rotate token ${how}` },
    [
      {
        sandbox: state.dataflow.sandbox,
        baseConnectionId: state.dataflow.ids.baseConnectionId,
        token: request.token,
        // Put back if OneTrust refuses the new one, so a bad token never replaces a working one.
        previousToken: state.dataflow.oneTrust.token,
        ...(request.expiresAt !== undefined ? { expiresAt: request.expiresAt } : {}),
      },
    ],
  );
  state.dataflow.oneTrust = {
    ...state.dataflow.oneTrust,
    token: request.token,
    tokenExpiresAt: result.tokenExpiresAt,
  };
  state.token = tokenStateAfterRotation(result.tokenExpiresAt, Date.now());
  await raise({
    kind: 'token-rotated',
    severity: 'info',
    discriminator: result.tokenExpiresAt,
    message: `the OneTrust token was rotated ${how}; the new one expires ${result.tokenExpiresAt}`,
    details: { tokenExpiresAt: result.tokenExpiresAt, patchAttempts: result.patchAttempts },
  });
  return {
    summary: `token rotated ${how}: expires ${result.tokenExpiresAt}; the explore preview read ${result.previewRecords} record(s) with it`,
    details: {
      tokenExpiresAt: result.tokenExpiresAt,
      patchAttempts: result.patchAttempts,
      previewRecords: result.previewRecords,
    },
  };
}

export async function rotateAutomatically(state: MonitorState, raise: RaiseAlert): Promise<WorkResult> {
  const credentials = state.dataflow.oneTrust.clientCredentials;
  if (!credentials) throw ApplicationFailure.nonRetryable('no OneTrust client credentials to mint a token with');
  try {
    const minted = await activities.mintOneTrustToken.executeWithOptions(
      { ...changeOptions, summary: 'mint a OneTrust token' },
      [
        {
          baseUrl: state.dataflow.oneTrust.baseUrl,
          clientId: credentials.clientId,
          clientSecret: credentials.clientSecret,
        },
      ],
    );
    return await rotate(state, raise, { token: minted.token, expiresAt: minted.expiresAt }, 'automatically');
  } catch (error) {
    const failures = state.token.autoRotationFailures + 1;
    state.token.autoRotationFailures = failures;
    // Back off: 15 minutes × 2^(failures-1), at most six hours, so a broken credential does not spin.
    state.token.autoRotationRetryAt = Date.now() + Math.min(6 * 3_600_000, 15 * 60_000 * 2 ** (failures - 1));
    await raise({
      kind: 'token-rotation-failed',
      severity: 'critical',
      discriminator: `${state.token.expiresAt}:${failures}`,
      message: `automatic token rotation failed (attempt ${failures}): ${failureMessage(error)}; the token expires ${state.token.expiresAt}`,
      details: { tokenExpiresAt: state.token.expiresAt, attempt: failures },
    });
    throw error;
  }
}

export async function updateDataflow(state: MonitorState, request: UpdateDataflowRequest): Promise<WorkResult> {
  const { dataflow } = state;
  const changed: string[] = [];
  const details: WorkResult['details'] = {};
  if (request.name !== undefined || request.description !== undefined || request.schedule !== undefined) {
    const patched = await activities.updateFlowSettings.executeWithOptions(
      { ...changeOptions, summary: 'update dataflow settings' },
      [
        {
          sandbox: dataflow.sandbox,
          flowId: dataflow.ids.flowId,
          ...(request.name !== undefined ? { name: request.name } : {}),
          ...(request.description !== undefined ? { description: request.description } : {}),
          ...(request.schedule !== undefined ? { schedule: request.schedule } : {}),
        },
      ],
    );
    changed.push(...patched.changed);
    details.flowPatchAttempts = patched.patchAttempts;
    if (request.schedule) {
      const { frequency, interval } = request.schedule;
      dataflow.schedule = {
        startTime: dataflow.schedule.startTime,
        frequency,
        ...(interval !== undefined ? { interval } : {}),
      };
      details.schedule = frequency === 'once' ? 'once' : `every ${interval} ${frequency}(s)`;
    }
    if (request.name !== undefined) details.flowName = request.name;
  }
  if (request.mapping !== undefined) {
    const published = await activities.publishMappingVersion.executeWithOptions(
      { ...changeOptions, summary: 'new mapping-set version' },
      [
        {
          sandbox: dataflow.sandbox,
          mappingSetId: dataflow.ids.mappingSetId,
          schemaId: dataflow.ids.schemaId,
          currentVersion: dataflow.ids.mappingVersion,
          mapping: request.mapping,
        },
      ],
    );
    await activities.pointFlowAtMapping.executeWithOptions(
      { ...changeOptions, summary: `point the flow at mapping v${published.mappingVersion}` },
      [
        {
          sandbox: dataflow.sandbox,
          flowId: dataflow.ids.flowId,
          mappingSetId: dataflow.ids.mappingSetId,
          mappingVersion: published.mappingVersion,
        },
      ],
    );
    dataflow.ids = { ...dataflow.ids, mappingVersion: published.mappingVersion };
    changed.push('mapping');
    details.mappingVersion = published.mappingVersion;
  }
  details.changed = changed;
  return { summary: `dataflow updated: ${changed.join(', ')}`, details };
}

export async function setEnabled(state: MonitorState, enabled: boolean): Promise<WorkResult> {
  const result = await activities.setFlowEnabled.executeWithOptions(
    { ...changeOptions, summary: enabled ? 'resume: enable the flow' : 'pause: disable the flow' },
    [{ sandbox: state.dataflow.sandbox, flowId: state.dataflow.ids.flowId, enabled }],
  );
  state.paused = !enabled;
  const done = enabled ? 'resumed' : 'paused';
  return {
    summary: result.unchanged
      ? `flow already ${done}: nothing to do (AEP state: ${result.flowState})`
      : `flow ${done} (AEP state: ${result.flowState})`,
    details: result,
  };
}

/** `publish` shows each step (the status says what is deleted and what is left) while the teardown is under way. */
export async function teardown(
  state: MonitorState,
  request: TeardownRequest,
  timing: DataflowMonitorInput['teardownTiming'],
  publish: () => void,
): Promise<WorkResult> {
  // Teardowns started before this change keep their old path when replayed: a few attempts per delete, no state.
  if (!patched(patientTeardownPatch)) return teardownWithoutProgress(state, request);
  const { ids, sandbox, name } = state.dataflow;
  const { plan, kept } = teardownPlan(ids, request.keepData === true);
  const deleted: string[] = [];
  const alreadyGone: string[] = [];
  // Visible from the first delete to the last: a half-deleted dataflow is never reported healthy.
  const progress: TeardownProgress = {
    phase: 'tearing-down',
    left: plan.map(([kind, id]) => `${kind} ${id}`),
    deleted: [],
  };
  state.teardown = progress;
  publish();
  for (const [kind, id] of plan) {
    const label = `${kind} ${id}`;
    // A field group still used by a schema we kept stays too.
    if (kind === 'fieldGroup' && kept.some((entry) => entry.startsWith('schema '))) {
      kept.push(`fieldGroup ${id} (its schema was kept)`);
      progress.left = progress.left.filter((entry) => entry !== label);
      continue;
    }
    let result;
    try {
      result = await teardownActivities(timing).deleteDataflowResource.executeWithOptions(
        { summary: `teardown: delete ${kind}` },
        [{ sandbox, dataflowName: name, kind, id }],
      );
    } catch (error) {
      progress.phase = 'teardown-failed';
      progress.error = `stopped at ${label}: ${teardownFailureMessage(error, timing?.retryTimeout)}`;
      publish();
      throw ApplicationFailure.nonRetryable(
        `teardown ${progress.error} (deleted so far: ${deleted.join(', ') || 'nothing'}; left: ${progress.left.join(', ')}); ` +
          'run teardown again to finish',
        monitorActionFailedType,
      );
    }
    if (result.outcome === 'deleted') deleted.push(label);
    else if (result.outcome === 'already-gone') alreadyGone.push(label);
    else kept.push(`${label} (${result.reason ?? 'kept'})`);
    if (result.outcome !== 'kept') progress.deleted.push(label);
    progress.left = progress.left.filter((entry) => entry !== label);
    publish();
  }
  state.teardown = undefined;
  state.tornDown = true;
  return {
    summary: `torn down: ${deleted.length} deleted, ${alreadyGone.length} already gone, ${kept.length} kept`,
    details: { deleted, alreadyGone, kept },
  };
}

export const patientTeardownPatch = 'patient-teardown-with-progress';

/**
 * A delete that kept failing until its retry window ended is reported by Temporal as the window's timeout, with
 * AEP's last answer only as its cause: say that answer (step, HTTP status, AEP code, message) and that the window
 * ended. Teardowns that failed before this change keep their message when replayed.
 */
export const teardownFailureNamesLastAnswerPatch = 'teardown-failure-names-last-answer';

function teardownFailureMessage(error: unknown, retryTimeout: Duration | undefined): string {
  if (!patched(teardownFailureNamesLastAnswerPatch)) return failureMessage(error);
  const message = messageOf(error);
  return usedUpRetryWindow(error)
    ? `${message} (still failing when teardown's retry window of ${formatDuration(retryTimeout ?? '24h')} ended)`
    : message;
}

/** What a teardown deletes, in order, and what --keep-data keeps. */
function teardownPlan(
  ids: DataflowIds,
  keepData: boolean,
): { plan: Array<[DataflowResourceKind, string]>; kept: string[] } {
  // Flow first: AEP refuses to delete a connection a flow still uses (FLOW-1418-400).
  const plan: Array<[DataflowResourceKind, string]> = [
    ['flow', ids.flowId],
    ['targetConnection', ids.targetConnectionId],
    ['sourceConnection', ids.sourceConnectionId],
    ['baseConnection', ids.baseConnectionId],
    ['mappingSet', ids.mappingSetId],
  ];
  if (!keepData) plan.push(['dataset', ids.datasetId], ['schema', ids.schemaAltId], ['fieldGroup', ids.fieldGroupId]);
  const kept = keepData
    ? [`dataset ${ids.datasetId}`, `schema ${ids.schemaAltId}`, `fieldGroup ${ids.fieldGroupId}`]
    : [];
  return { plan, kept };
}

/** The teardown of releases before `patientTeardownPatch`, kept for replaying their histories. */
async function teardownWithoutProgress(state: MonitorState, request: TeardownRequest): Promise<WorkResult> {
  const { ids, sandbox, name } = state.dataflow;
  const { plan, kept } = teardownPlan(ids, request.keepData === true);
  const deleted: string[] = [];
  const alreadyGone: string[] = [];
  for (const [kind, id] of plan) {
    // A field group still used by a schema we kept stays too.
    if (kind === 'fieldGroup' && kept.some((entry) => entry.startsWith('schema '))) {
      kept.push(`fieldGroup ${id} (its schema was kept)`);
      continue;
    }
    let result;
    try {
      result = await activities.deleteDataflowResource.executeWithOptions(
        { ...changeOptions, summary: `teardown: delete ${kind}` },
        [{ sandbox, dataflowName: name, kind, id }],
      );
    } catch (error) {
      throw ApplicationFailure.nonRetryable(
        `teardown stopped at ${kind} ${id}: ${failureMessage(error)} (deleted so far: ${deleted.join(', ') || 'nothing'})`,
        monitorActionFailedType,
      );
    }
    const label = `${kind} ${id}`;
    if (result.outcome === 'deleted') deleted.push(label);
    else if (result.outcome === 'already-gone') alreadyGone.push(label);
    else kept.push(`${label} (${result.reason ?? 'kept'})`);
  }
  state.tornDown = true;
  return {
    summary: `torn down: ${deleted.length} deleted, ${alreadyGone.length} already gone, ${kept.length} kept`,
    details: { deleted, alreadyGone, kept },
  };
}
