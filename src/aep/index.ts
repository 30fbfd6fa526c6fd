/**
 * The typed AEP client: one entry point, one sandbox-scoped view per sandbox, one error type (AepError).
 * The interfaces below are the contract the Temporal activities code against (notes/aep-client-interface.md).
 */
import type { AepCallScope } from './call-scope';
import type { PacingSnapshot } from './request-pacer';
import type { RetryOptions } from './retry-policy';
import type {
  Connection,
  ConnectionSpec,
  CreateConnectionBody,
  CreateFlowBody,
  CreateSourceConnectionBody,
  CreateTargetConnectionBody,
  ExploreResult,
  Flow,
  FlowSpec,
  Run,
  SourceConnection,
  TargetConnection,
} from './flow-service';
import type { XdmResource, XdmSummary, SchemaRegistryStats } from './schema-registry';
import type { CreateDatasetBody, Dataset } from './catalog';
import type { MappingSet, MappingSetSummary } from './data-prep';

export interface AepClientOptions {
  /** Keep-alive connections per origin (undici Pool size). Default 10. */
  connections?: number;
  /** Per-request timeout for headers and body, in ms. Default 30 000. */
  timeoutMs?: number;
  /**
   * In-process retries: a 429 for every method (the gateway did not process it), other retryable failures for
   * reads (GET) only; for any other write the activity layer decides.
   */
  retries?: Partial<RetryOptions>;
  /** Renew the IMS token this long before it expires. Default 5 minutes. */
  tokenRenewalMarginMs?: number;
  /**
   * Default true: the organisation's pacer learns the gateway's limit from 429s and Retry-After, and 429s are
   * resent in process for every method. false, for comparisons: the behaviour before pacing (no pacing beyond
   * AEP_MAX_REQUESTS_PER_SECOND, Retry-After delays only the request that got it, a 429 is resent for GET only).
   */
  adaptivePacing?: boolean;
  /**
   * The organisation's rate is learned by all its workers together (shared pacing, src/temporal/shared-pacing.ts):
   * this process's pacer then learns no rate of its own and paces at the share it is given with `followSharedRate`;
   * a Retry-After delays only the request that drew it.
   */
  pacedWithOtherWorkers?: boolean;
}

import type { JournalPage } from './events-journal';

export interface AepClient {
  /**
   * Cheap: every sandbox view shares the IMS token cache, the connection pools and the organisation's request
   * pacer. `scope` applies to every call made through the view: cancellation, deadline, wait reports.
   */
  forSandbox(sandboxName: string, scope?: AepCallScope): SandboxClient;
  /** How the organisation's requests are paced (default: the client's own org); undefined for an org never called. */
  pacing(orgId?: string): PacingSnapshot | undefined;
  /** With `pacedWithOtherWorkers`: paces the organisation's calls in this process at this rate (undefined: unpaced). */
  followSharedRate(requestsPerSecond: number | undefined, orgId?: string): void;
  /** The organisation's calls this process had admitted in the second before `atMs` (epoch ms, the last 5 s). */
  admittedInSecondBefore(atMs: number, orgId?: string): number;
  /** Reads an Adobe I/O Events journal page (URL from the Developer Console) with the client's IMS credentials. */
  readEventsJournal(url: string): Promise<JournalPage>;
  close(): Promise<void>;
}

export interface SandboxClient {
  readonly sandboxName: string;
  flowService: FlowServiceApi;
  schemaRegistry: SchemaRegistryApi;
  catalog: CatalogApi;
  dataPrep: DataPrepApi;
}

export interface CreatedResource {
  id: string;
  etag: string;
}
export type JsonPatchOperation = { op: 'add' | 'replace' | 'remove'; path: string; value?: unknown };
export interface ListQuery {
  /** Flow Service `property=` filters, ANDed, e.g. `name==My flow`. */
  property?: string[];
  orderby?: string;
  /** Page size sent to AEP; the iterator still walks every page. */
  limit?: number;
}
export interface ExploreQuery {
  objectType: string;
  object?: string;
  fileType?: string;
  preview?: boolean;
}
export interface RunQuery {
  flowId?: string;
  /** Only runs whose metrics.durationSummary.startedAtUTC is after this epoch-ms instant. */
  startedAfterMs?: number;
  property?: string[];
  limit?: number;
}

export interface FlowServiceApi {
  createConnection(body: CreateConnectionBody): Promise<CreatedResource>;
  /** Unwraps AEP's `{items:[x]}`. */
  getConnection(id: string): Promise<Connection>;
  /** Follows `_links.next` / continuationToken across pages. */
  listConnections(query?: ListQuery): AsyncIterable<Connection>;
  countConnections(property?: string[]): Promise<number>;
  patchConnection(id: string, operations: JsonPatchOperation[], etag: string): Promise<CreatedResource>;
  deleteConnection(id: string): Promise<void>;
  exploreConnection(id: string, query: ExploreQuery): Promise<ExploreResult>;
  testConnection(id: string): Promise<unknown>;
  getConnectionSpec(id: string): Promise<ConnectionSpec>;

  createSourceConnection(body: CreateSourceConnectionBody): Promise<CreatedResource>;
  getSourceConnection(id: string): Promise<SourceConnection>;
  listSourceConnections(query?: ListQuery): AsyncIterable<SourceConnection>;
  patchSourceConnection(id: string, operations: JsonPatchOperation[], etag: string): Promise<CreatedResource>;
  deleteSourceConnection(id: string): Promise<void>;

  createTargetConnection(body: CreateTargetConnectionBody): Promise<CreatedResource>;
  getTargetConnection(id: string): Promise<TargetConnection>;
  listTargetConnections(query?: ListQuery): AsyncIterable<TargetConnection>;
  patchTargetConnection(id: string, operations: JsonPatchOperation[], etag: string): Promise<CreatedResource>;
  deleteTargetConnection(id: string): Promise<void>;

  createFlow(body: CreateFlowBody): Promise<CreatedResource>;
  getFlow(id: string): Promise<Flow>;
  listFlows(query?: ListQuery): AsyncIterable<Flow>;
  patchFlow(id: string, operations: JsonPatchOperation[], etag: string): Promise<CreatedResource>;
  deleteFlow(id: string): Promise<void>;
  flowAction(id: string, op: 'enable' | 'disable'): Promise<CreatedResource>;
  getFlowSpec(id: string): Promise<FlowSpec>;

  listRuns(query: RunQuery): AsyncIterable<Run>;
  getRun(id: string): Promise<Run>;
}

export type XdmFormat = 'xed' | 'xed-full';

export interface XdmListQuery {
  /** Exact title (`property=title==…`). */
  title?: string;
  /** Page size hint sent as `limit`; the iterator still walks every page. */
  limit?: number;
}

export interface NamedListQuery {
  /** Exact name filter. */
  name?: string;
  /** Page size (`limit`); the iterator still walks every page. */
  limit?: number;
  /** Catalog `properties=`: only these top-level fields in each item (smaller pages). `name` is always asked for. */
  properties?: string[];
}

export interface SchemaRegistryApi {
  getStats(): Promise<SchemaRegistryStats>;
  createFieldGroup(body: object): Promise<XdmResource>;
  /** `id` is a `meta:altId` or a `$id` URL (encoded for you). */
  getFieldGroup(id: string, format?: XdmFormat): Promise<XdmResource>;
  listFieldGroups(query?: XdmListQuery): AsyncIterable<XdmSummary>;
  deleteFieldGroup(id: string): Promise<void>;
  /** JSON Patch, no If-Match (the registry takes none); answers the field group as patched. */
  patchFieldGroup(id: string, operations: JsonPatchOperation[]): Promise<XdmResource>;
  createSchema(body: object): Promise<XdmResource>;
  getSchema(id: string, format?: XdmFormat): Promise<XdmResource>;
  listSchemas(query?: XdmListQuery): AsyncIterable<XdmSummary>;
  deleteSchema(id: string): Promise<void>;
  /** JSON Patch, no If-Match (the registry takes none); answers the schema as patched (its version bumped). */
  patchSchema(id: string, operations: JsonPatchOperation[]): Promise<XdmResource>;
}

export interface CatalogApi {
  /** Returns the id parsed from `["@/dataSets/<id>"]`. */
  createDataset(body: CreateDatasetBody): Promise<string>;
  /** The returned Dataset carries its `id`. */
  getDataset(id: string): Promise<Dataset>;
  listDatasets(query?: NamedListQuery): AsyncIterable<Dataset>;
  deleteDataset(id: string): Promise<void>;
  /** Catalog's "update using fields": only the fields given change (not expandable ones such as `schemaRef`). */
  updateDataset(id: string, fields: { name?: string; description?: string }): Promise<void>;
}

export interface DataPrepApi {
  createMappingSet(body: object): Promise<MappingSetSummary>;
  getMappingSet(id: string, version?: number): Promise<MappingSet>;
  listMappingSets(query?: NamedListQuery): AsyncIterable<MappingSet>;
  /** PUT: AEP answers with the set at version + 1. */
  updateMappingSet(id: string, body: object): Promise<MappingSet>;
  deleteMappingSet(id: string): Promise<void>;
}

export { createAepClient } from './aep-client';
export { AepCallCancelledError, AepError, isNotFound } from './errors';
export type { AepCallScope, AepWaitInfo, AepWaitReason } from './call-scope';
export type { PacingSnapshot } from './request-pacer';
export { aepSettingsFromEnv } from './settings';
export type { AepSettings } from './settings';
export type { RetryOptions } from './retry-policy';
export type * from './flow-service';
export type * from './schema-registry';
export type * from './catalog';
export type * from './data-prep';
export type { JournalEntry, JournalPage } from './events-journal';
