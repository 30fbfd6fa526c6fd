/**
 * Drift: the dataflow in AEP no longer is what the monitor last applied. Someone disabled the flow or changed its
 * schedule in the AEP UI, pointed it at another mapping, deleted one of its resources (flow, connections, mapping
 * set, dataset, schema, field group), or wired a connection to another one. The monitor looks on its reconcile, on
 * `status --refresh` and after every action; a difference is the `drifted` state and one alert per distinct drift.
 * `provision` with the spec puts back what the monitor can change in place (flow state, schedule, mapping version);
 * a resource deleted or rewired needs teardown and provision, which makes the dataflow anew around the data it
 * keeps (see howToRepair).
 */
import { log } from '@temporalio/workflow';
import type { LiveDataflow } from '../../contracts/monitor-activities';
import type { RaiseAlert } from './alerting';
import { localActivities } from './monitor-activities';
import { failureMessage, isoNow } from './monitor-context';
import type { DataflowIds } from '../../contracts/dataflow-types';
import type { DriftState, MonitorState } from '../../contracts/monitor-state';

/** Monitors that started before drift detection replay without its reads. */
export const driftDetectionPatch = 'drift-detection';

interface Difference {
  text: string;
  /** `provision` with the spec changes it back; a deleted resource needs teardown and provision instead. */
  repairable: boolean;
}

export function differencesFrom(state: MonitorState, live: LiveDataflow): Difference[] {
  const gone = live.missing.map((label) => ({ text: wasDeleted(label), repairable: false }));
  const rewired = connectionWiringDifferences(state, live);
  const flow = live.flow;
  if (flow === undefined) return [...rewired, ...gone];
  const { ids, schedule } = state.dataflow;
  const differences: Difference[] = [];
  const expectedState = state.paused ? 'disabled' : 'enabled';
  if (flow.state !== undefined && flow.state !== expectedState) {
    differences.push({
      text: `flow state ${flow.state} (expected ${expectedState}${state.paused ? ': paused with pause' : ''})`,
      repairable: true,
    });
  }
  if (flow.frequency !== schedule.frequency || flow.interval !== schedule.interval) {
    differences.push({
      text: `schedule ${describeEvery(flow.frequency, flow.interval)} (expected ${describeEvery(schedule.frequency, schedule.interval)})`,
      repairable: true,
    });
  }
  if (flow.mappingSetId !== ids.mappingSetId || flow.mappingVersion !== ids.mappingVersion) {
    differences.push({
      text: `mapping ${flow.mappingSetId ?? '(none)'} v${flow.mappingVersion ?? '?'} (expected ${ids.mappingSetId} v${ids.mappingVersion})`,
      repairable: true,
    });
  }
  if (!sameIds(flow.sourceConnectionIds, [ids.sourceConnectionId])) {
    differences.push({
      text: `source connections ${flow.sourceConnectionIds.join(', ') || '(none)'} (expected ${ids.sourceConnectionId})`,
      repairable: false,
    });
  }
  if (!sameIds(flow.targetConnectionIds, [ids.targetConnectionId])) {
    differences.push({
      text: `target connections ${flow.targetConnectionIds.join(', ') || '(none)'} (expected ${ids.targetConnectionId})`,
      repairable: false,
    });
  }
  return [...differences, ...rewired, ...gone];
}

/**
 * A source connection reading through another base connection, a target connection writing into another dataset.
 * AEP refuses to PATCH the first; either way the flow no longer moves this dataflow's data. What was not read
 * (results recorded by earlier releases, a connection that is gone) is no difference.
 */
function connectionWiringDifferences(state: MonitorState, live: LiveDataflow): Difference[] {
  const { ids } = state.dataflow;
  const differences: Difference[] = [];
  const source = live.sourceConnection;
  if (source !== undefined && source.baseConnectionId !== ids.baseConnectionId) {
    differences.push({
      text: `source connection ${ids.sourceConnectionId} reads through base connection ${source.baseConnectionId ?? '(none)'} (expected ${ids.baseConnectionId})`,
      repairable: false,
    });
  }
  const target = live.targetConnection;
  if (target !== undefined && target.dataSetId !== ids.datasetId) {
    differences.push({
      text: `target connection ${ids.targetConnectionId} writes into dataset ${target.dataSetId ?? '(none)'} (expected ${ids.datasetId})`,
      repairable: false,
    });
  }
  return differences;
}

/**
 * Reads the dataflow and records, alerts or clears drift. A failed read changes nothing (the next look retries).
 * A new drift is published before its alert is sent, so the status shows it at once.
 */
export async function lookForDrift(state: MonitorState, raise: RaiseAlert, publish: () => void): Promise<void> {
  let live: LiveDataflow;
  try {
    live = await localActivities.inspectDataflow.executeWithOptions({ summary: 'look for drift' }, [
      { sandbox: state.dataflow.sandbox, ids: state.dataflow.ids },
    ]);
  } catch (error) {
    log.warn('could not look for drift; the next look tries again', { reason: failureMessage(error) });
    return;
  }
  const differences = differencesFrom(state, live);
  const before = state.drift;
  if (differences.length === 0) {
    if (before === undefined) return;
    state.drift = undefined;
    await raise({
      kind: 'drift-resolved',
      severity: 'info',
      discriminator: `${before.since}:${isoNow()}`,
      message: 'the dataflow in AEP matches what the monitor applied again',
      details: { was: before.differences.join('; ') },
    });
    return;
  }
  const texts = differences.map((difference) => difference.text);
  if (before !== undefined && texts.join('\n') === before.differences.join('\n')) return;
  const drift: DriftState = {
    differences: texts,
    since: before?.since ?? isoNow(),
    repairable: differences.every((difference) => difference.repairable),
  };
  state.drift = drift;
  publish();
  await raise({
    kind: 'drifted',
    severity: 'warning',
    discriminator: `${drift.since}:${fingerprint(texts.join('\n'))}`,
    message: `the dataflow in AEP differs from what the monitor applied: ${texts.join('; ')}; ${howToRepair(drift, state.dataflow.ids)}`,
    details: { differences: texts.join('; '), repairable: drift.repairable },
  });
}

/**
 * The repair to name. Teardown without --keep-data deletes the dataset and the consent records in it, so it is named
 * only when the dataset is already gone. Otherwise the data is kept: with the dataset's schema there, provision finds
 * the kept dataset, schema and field group by name and title and writes into that dataset again. With the schema or
 * its field group gone, provision makes a new schema and then refuses the kept dataset, which follows the old one
 * (it reuses a dataset only of the schema it uses): new names leave the records where they are.
 */
export function howToRepair(drift: DriftState, ids: DataflowIds): string {
  if (drift.repairable) return 'provision the spec again to put it back (npm run client -- provision <spec.json>)';
  const gone = (label: string) => drift.differences.includes(wasDeleted(label));
  if (gone(`dataset ${ids.datasetId}`)) {
    return (
      'its dataset is gone, so no data is left to keep: tear it down and provision it again ' +
      '(npm run client -- teardown <sandbox/name>, then provision <spec.json>)'
    );
  }
  const schemaGone = gone(`schema ${ids.schemaId}`);
  if (schemaGone || gone(`field group ${ids.fieldGroupId}`)) {
    return (
      `${schemaGone ? 'the schema' : 'the field group of the schema'} of dataset ${ids.datasetId} is gone, so ` +
      'provision cannot write into that dataset again: tear it down keeping the dataset and its records ' +
      '(npm run client -- teardown --keep-data <sandbox/name>), then provision the spec with a new ' +
      `target.datasetName and target.schemaTitle (provision <spec.json>); the records stay in dataset ${ids.datasetId}`
    );
  }
  return (
    'part of it is gone or wired elsewhere, which provision cannot change in place: tear it down keeping the data ' +
    'and provision it again, which writes into the same dataset ' +
    '(npm run client -- teardown --keep-data <sandbox/name>, then provision <spec.json>)'
  );
}

function wasDeleted(label: string): string {
  return `${label} was deleted`;
}

function describeEvery(frequency: string | undefined, interval: number | undefined): string {
  if (frequency === undefined) return '(none)';
  return frequency === 'once' ? 'once' : `every ${interval ?? '?'} ${frequency}(s)`;
}

function sameIds(actual: readonly string[], expected: readonly string[]): boolean {
  return actual.length === expected.length && expected.every((id) => actual.includes(id));
}

/** A short stable id for a set of differences (FNV-1a), so the same drift is alerted once. */
function fingerprint(text: string): string {
  let hash = 0x811c9dc5;
  for (let index = 0; index < text.length; index += 1) {
    hash ^= text.charCodeAt(index);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash.toString(16).padStart(8, '0');
}
