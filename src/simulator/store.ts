/**
 * In-memory state of the simulated platform, isolated per sandbox, optionally persisted as JSON.
 * Every resource kind is a map of id -> resource; each resource records the sandbox it lives in.
 */

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
  private readonly datasetRecords = new Map<string, unknown[]>();
  readonly extras = new Map<string, unknown>();
  private readonly changeListeners: Array<() => void> = [];

  onChange(listener: () => void): void {
    this.changeListeners.push(listener);
  }

  /** Call after any mutation made through a resource object obtained from get/list. */
  touch(): void {
    for (const listener of this.changeListeners) listener();
  }

  get<T extends StoredResource = StoredResource>(kind: ResourceKind, sandboxName: string, id: string): T | undefined {
    const resource = this.kind(kind).get(id);
    return resource && resource.sandboxName === sandboxName ? (resource as T) : undefined;
  }

  /** Looks a resource up in every sandbox (for the admin API and the run scheduler). */
  getAnywhere<T extends StoredResource = StoredResource>(kind: ResourceKind, id: string): T | undefined {
    return this.kind(kind).get(id) as T | undefined;
  }

  list<T extends StoredResource = StoredResource>(kind: ResourceKind, sandboxName?: string): T[] {
    const all = [...this.kind(kind).values()] as T[];
    return sandboxName === undefined ? all : all.filter((resource) => resource.sandboxName === sandboxName);
  }

  put<T extends StoredResource>(kind: ResourceKind, resource: T): T {
    this.kind(kind).set(resource.id, resource);
    this.touch();
    return resource;
  }

  delete(kind: ResourceKind, sandboxName: string, id: string): boolean {
    const existing = this.get(kind, sandboxName, id);
    if (!existing) return false;
    this.kind(kind).delete(id);
    if (kind === 'dataSets') this.datasetRecords.delete(id);
    this.touch();
    return true;
  }

  appendRecords(datasetId: string, records: unknown[]): void {
    const existing = this.datasetRecords.get(datasetId) ?? [];
    existing.push(...records);
    this.datasetRecords.set(datasetId, existing);
    this.touch();
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
    for (const kind of resourceKinds) {
      const map = this.kind(kind);
      map.clear();
      for (const resource of snapshot.resources[kind] ?? []) map.set(resource.id, resource);
    }
    this.datasetRecords.clear();
    for (const [id, records] of Object.entries(snapshot.datasetRecords ?? {})) this.datasetRecords.set(id, records);
    this.extras.clear();
    for (const [key, value] of Object.entries(snapshot.extras ?? {})) this.extras.set(key, value);
  }

  private kind(kind: ResourceKind): Map<string, StoredResource> {
    const map = this.resources.get(kind);
    if (!map) throw new Error(`unknown resource kind ${kind}`);
    return map;
  }
}
