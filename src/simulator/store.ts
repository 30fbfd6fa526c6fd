/**
 * In-memory state of the simulated platform, isolated per sandbox, optionally persisted as JSON.
 * Every resource kind is a map of id -> resource; each resource records the sandbox it lives in. Each kind is also
 * indexed by sandbox, so a listing never walks other sandboxes, and runs by start time and flow (RunIndex), since
 * a fleet of dataflows piles up hundreds of thousands of them.
 */
import type { StoredRun } from './flow-service/entity-types';
import { RunIndex } from './run-index';

export const resourceKinds = [
  'connections',
  'sourceConnections',
  'targetConnections',
  'flows',
  'runs',
  'fieldGroups',
  'schemas',
  'dataSets',
  'mappingSets',
] as const;
export type ResourceKind = (typeof resourceKinds)[number];

export interface StoredResource {
  id: string;
  sandboxName: string;
  [field: string]: unknown;
}

/** What changed, for listeners that care about some kinds only; undefined when the caller does not say. */
export type StoreChange = ResourceKind | 'datasetRecords' | 'extras' | undefined;

/** Records one run appended to a dataset, so a retention can drop them with the run. */
interface RecordBatch {
  appendedAt: number;
  count: number;
}

export interface StoreSnapshot {
  resources: Record<ResourceKind, StoredResource[]>;
  /** Records ingested into each dataset by runs, keyed by dataset id. */
  datasetRecords: Record<string, unknown[]>;
  /** Anything else a router needs to keep across restarts (e.g. minted OneTrust tokens). */
  extras: Record<string, unknown>;
}

export class Store {
  private readonly resources = new Map<ResourceKind, Map<string, StoredResource>>(
    resourceKinds.map((kind) => [kind, new Map()]),
  );
  private readonly bySandbox = new Map<ResourceKind, Map<string, Map<string, StoredResource>>>(
    resourceKinds.map((kind) => [kind, new Map()]),
  );
  /** Runs in start order per sandbox and per flow. Read it; change runs only through put and delete. */
  readonly runs = new RunIndex();
  private readonly datasetRecords = new Map<string, unknown[]>();
  private readonly recordBatches = new Map<string, RecordBatch[]>();
  readonly extras = new Map<string, unknown>();
  private readonly changeListeners: Array<(change: StoreChange) => void> = [];

  onChange(listener: (change: StoreChange) => void): void {
    this.changeListeners.push(listener);
  }

  /** Call after any mutation made through a resource object obtained from get/list, naming what changed if known. */
  touch(change?: StoreChange): void {
    for (const listener of this.changeListeners) listener(change);
  }

  get<T extends StoredResource = StoredResource>(kind: ResourceKind, sandboxName: string, id: string): T | undefined {
    const resource = this.kind(kind).get(id);
    return resource && resource.sandboxName === sandboxName ? (resource as T) : undefined;
  }

  /** Looks a resource up in every sandbox (for the admin API and the run scheduler). */
  getAnywhere<T extends StoredResource = StoredResource>(kind: ResourceKind, id: string): T | undefined {
    return this.kind(kind).get(id) as T | undefined;
  }

  /** In creation order, like the map of every sandbox it is drawn from. */
  list<T extends StoredResource = StoredResource>(kind: ResourceKind, sandboxName?: string): T[] {
    if (sandboxName === undefined) return [...this.kind(kind).values()] as T[];
    return [...(this.sandboxMap(kind, sandboxName)?.values() ?? [])] as T[];
  }

  put<T extends StoredResource>(kind: ResourceKind, resource: T): T {
    this.index(kind, resource);
    this.touch(kind);
    return resource;
  }

  delete(kind: ResourceKind, sandboxName: string, id: string): boolean {
    const existing = this.get(kind, sandboxName, id);
    if (!existing) return false;
    this.unindex(kind, existing);
    if (kind === 'dataSets') {
      this.datasetRecords.delete(id);
      this.recordBatches.delete(id);
    }
    this.touch(kind);
    return true;
  }

  /** Removes many runs at once (retention), with one pass over the run index. */
  deleteRuns(runs: readonly StoredRun[]): void {
    if (runs.length === 0) return;
    const byId = this.kind('runs');
    for (const run of runs) {
      byId.delete(run.id);
      this.sandboxMap('runs', run.sandboxName)?.delete(run.id);
    }
    this.runs.removeAll(runs);
    this.touch('runs');
  }

  appendRecords(datasetId: string, records: unknown[], appendedAt = Date.now()): void {
    const existing = this.datasetRecords.get(datasetId) ?? [];
    for (const record of records) existing.push(record);
    this.datasetRecords.set(datasetId, existing);
    const batches = this.recordBatches.get(datasetId) ?? [];
    batches.push({ appendedAt, count: records.length });
    this.recordBatches.set(datasetId, batches);
    this.touch('datasetRecords');
  }

  /** Drops the records appended before `cutoff` from every dataset (retention); answers how many went. */
  dropRecordsAppendedBefore(cutoff: number): number {
    let dropped = 0;
    for (const [datasetId, batches] of this.recordBatches) {
      let expired = 0;
      let count = 0;
      while (expired < batches.length && batches[expired]!.appendedAt < cutoff) {
        count += batches[expired]!.count;
        expired += 1;
      }
      if (expired === 0) continue;
      batches.splice(0, expired);
      this.datasetRecords.get(datasetId)?.splice(0, count);
      dropped += count;
    }
    if (dropped > 0) this.touch('datasetRecords');
    return dropped;
  }

  records(datasetId: string): unknown[] {
    return this.datasetRecords.get(datasetId) ?? [];
  }

  snapshot(): StoreSnapshot {
    const resources = Object.fromEntries(resourceKinds.map((kind) => [kind, this.list(kind)])) as Record<
      ResourceKind,
      StoredResource[]
    >;
    return {
      resources,
      datasetRecords: Object.fromEntries(this.datasetRecords),
      extras: Object.fromEntries(this.extras),
    };
  }

  restore(snapshot: StoreSnapshot): void {
    this.runs.clear();
    for (const kind of resourceKinds) {
      this.kind(kind).clear();
      this.bySandbox.get(kind)?.clear();
      const resources = [...(snapshot.resources[kind] ?? [])];
      // Runs in start order, so the run index appends rather than inserts.
      if (kind === 'runs') (resources as StoredRun[]).sort(byStartTime);
      for (const resource of resources) this.index(kind, resource);
    }
    this.datasetRecords.clear();
    this.recordBatches.clear();
    // Restored records count as appended now: a retention keeps them one full period.
    const restoredAt = Date.now();
    for (const [id, records] of Object.entries(snapshot.datasetRecords ?? {})) {
      this.datasetRecords.set(id, records);
      this.recordBatches.set(id, [{ appendedAt: restoredAt, count: records.length }]);
    }
    this.extras.clear();
    for (const [key, value] of Object.entries(snapshot.extras ?? {})) this.extras.set(key, value);
  }

  private index(kind: ResourceKind, resource: StoredResource): void {
    const byId = this.kind(kind);
    const previous = byId.get(resource.id);
    // A replaced resource keeps its place in the maps (Map.set on a known key), so listing order stays creation order.
    if (previous && previous.sandboxName !== resource.sandboxName) {
      this.sandboxMap(kind, previous.sandboxName)?.delete(resource.id);
    }
    if (previous && kind === 'runs') this.runs.remove(previous as StoredRun);
    byId.set(resource.id, resource);
    const sandboxes = this.bySandbox.get(kind)!;
    let inSandbox = sandboxes.get(resource.sandboxName);
    if (!inSandbox) {
      inSandbox = new Map();
      sandboxes.set(resource.sandboxName, inSandbox);
    }
    inSandbox.set(resource.id, resource);
    if (kind === 'runs') this.runs.add(resource as StoredRun);
  }

  private unindex(kind: ResourceKind, resource: StoredResource): void {
    this.kind(kind).delete(resource.id);
    this.sandboxMap(kind, resource.sandboxName)?.delete(resource.id);
    if (kind === 'runs') this.runs.remove(resource as StoredRun);
  }

  private sandboxMap(kind: ResourceKind, sandboxName: string): Map<string, StoredResource> | undefined {
    return this.bySandbox.get(kind)?.get(sandboxName);
  }

  private kind(kind: ResourceKind): Map<string, StoredResource> {
    const map = this.resources.get(kind);
    if (!map) throw new Error(`unknown resource kind ${kind}`);
    return map;
  }
}

function byStartTime(left: StoredRun, right: StoredRun): number {
  const difference = left.metrics.durationSummary.startedAtUTC - right.metrics.durationSummary.startedAtUTC;
  return difference !== 0 ? difference : left.id < right.id ? -1 : left.id > right.id ? 1 : 0;
}
