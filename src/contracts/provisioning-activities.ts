/**
 * Provisioning's activities as the workflow sees them (the survey, one idempotent step per resource, and the
 * deletes a rollback runs): src/activities implements this interface, so the compiler checks both sides.
 */
import type { DataflowIds, DataflowSchedule, MappingRule } from './dataflow-types';
import type { SealedSecret } from './sealed-secret';

export interface ProvisioningActivities {
  /** Looks for every resource the dataflow would create, before anything is built. */
  findExistingResources(input: FindExistingResourcesInput): Promise<ExistingResources>;
  ensureBaseConnection(input: EnsureBaseConnectionInput): Promise<{ baseConnectionId: string; created: boolean }>;
  /** Proves the token and the data shape before anything else is built. */
  checkExplorePreview(input: CheckExplorePreviewInput): Promise<ExplorePreviewSummary>;
  ensureSourceConnection(input: EnsureSourceConnectionInput): Promise<{ sourceConnectionId: string; created: boolean }>;
  ensureTargetSchema(input: EnsureTargetSchemaInput): Promise<TargetSchemaResult>;
  ensureDataset(input: EnsureDatasetInput): Promise<{ datasetId: string; created: boolean }>;
  ensureTargetConnection(input: EnsureTargetConnectionInput): Promise<{ targetConnectionId: string; created: boolean }>;
  /** The dataset, then the target connection that writes into it: one activity, one hop less on the critical path. */
  ensureDatasetAndTargetConnection(input: EnsureDatasetAndTargetConnectionInput): Promise<DatasetAndTargetConnection>;
  ensureMappingSet(
    input: EnsureMappingSetInput,
  ): Promise<{ mappingSetId: string; mappingVersion: number; created: boolean }>;
  ensureDataflow(input: EnsureDataflowInput): Promise<DataflowCreated & { created: boolean; monitorTold?: boolean }>;
  // The deletes remove only what this dataflow owns: its mark, or the recorded id when no other dataflow's mark is on it.
  deleteDataflow(input: { dataflow: DataflowRef; flowId?: string }): Promise<DeleteOutcome>;
  deleteTargetConnection(input: { dataflow: DataflowRef; targetConnectionId?: string }): Promise<DeleteOutcome>;
  deleteSourceConnection(input: { dataflow: DataflowRef; sourceConnectionId?: string }): Promise<DeleteOutcome>;
  deleteBaseConnection(input: { dataflow: DataflowRef; baseConnectionId?: string }): Promise<DeleteOutcome>;
  deleteDataset(input: { dataflow: DataflowRef; datasetId?: string }): Promise<DeleteOutcome>;
  deleteMappingSet(input: { dataflow: DataflowRef; mappingSetId?: string }): Promise<DeleteOutcome>;
  deleteTargetSchema(input: DeleteTargetSchemaInput): Promise<DeleteOutcome>;
}

/** What every provisioning activity is told about the dataflow it works on; names are derived from it. */
export interface DataflowRef {
  sandbox: string;
  name: string;
  schemaTitle: string;
  datasetName: string;
}

/** What the survey found: made by someone or something else, so reused and never deleted by this run's rollback. */
export interface ExistingResources {
  baseConnectionId?: string;
  sourceConnectionId?: string;
  fieldGroupId?: string;
  schemaId?: string;
  datasetId?: string;
  targetConnectionId?: string;
  mappingSetId?: string;
  flowId?: string;
}

export interface FindExistingResourcesInput {
  dataflow: DataflowRef;
  /** The schema and its field group are made without a survey (see ensureTargetSchema): don't look. */
  withoutTargetSchema?: boolean;
}

export interface EnsureBaseConnectionInput {
  dataflow: DataflowRef;
  token: SealedSecret;
  description: string;
  /** false: the survey found none, so a first attempt creates without looking (see look-first.ts). */
  lookFirst?: boolean;
}

export interface CheckExplorePreviewInput {
  dataflow: DataflowRef;
  baseConnectionId: string;
  mappingSources: string[];
}

export interface ExplorePreviewSummary {
  format: string;
  /** Records in the preview (OneTrust profiles, each wrapped in its page envelope). */
  previewRecords: number;
  /** Top-level fields of a OneTrust record (`content.*`) the preview's schema shows. */
  recordFields: string[];
}

export interface EnsureSourceConnectionInput {
  dataflow: DataflowRef;
  baseConnectionId: string;
  description: string;
  lookFirst?: boolean;
}

export interface EnsureTargetSchemaInput {
  dataflow: DataflowRef;
  description: string;
  /** Paths below `_{tenant}` the mapping writes to, e.g. ["Identifier", "Purposes"]. */
  tenantFields: string[];
  /** Class fields the mapping writes to, e.g. ["_id"]. */
  classFields: string[];
  /** false: the survey found neither the schema nor the field group (see look-first.ts). */
  lookFirst?: boolean;
  /**
   * Set when nobody surveyed the schema and field group: the first attempt makes them at once (AEP refuses a
   * title that exists, and then what has it is looked up and reused), and what a retry finds is judged by
   * made-by-this-run.ts against the time the run started (epoch ms).
   */
  runStartedAtMs?: number;
}

export interface TargetSchemaResult {
  /** Without the leading underscore. */
  tenantId: string;
  fieldGroupId: string;
  /** `$id` of the schema. */
  schemaId: string;
  schemaAltId: string;
  fieldGroupCreated: boolean;
  schemaCreated: boolean;
  /** A reused schema with another dataflow's mark: whose ("prod/consent"), so a rollback can say why it stays. */
  schemaOwner?: string;
}

export interface EnsureDatasetInput {
  dataflow: DataflowRef;
  schemaId: string;
  description: string;
  lookFirst?: boolean;
}

export interface EnsureDatasetAndTargetConnectionInput {
  dataflow: DataflowRef;
  schemaId: string;
  description: string;
  /** Each as its own step would be told: the survey found something by that name (or may have). */
  datasetLookFirst: boolean;
  targetConnectionLookFirst: boolean;
}

export interface DatasetAndTargetConnection {
  datasetId: string;
  datasetCreated: boolean;
  targetConnectionId: string;
  targetConnectionCreated: boolean;
}

export interface EnsureTargetConnectionInput {
  dataflow: DataflowRef;
  datasetId: string;
  description: string;
  lookFirst?: boolean;
}

export interface EnsureMappingSetInput {
  dataflow: DataflowRef;
  schemaId: string;
  tenantId: string;
  /** Destinations may hold the `{TENANT_ID}` placeholder. */
  mapping: MappingRule[];
  description: string;
  lookFirst?: boolean;
}

export interface EnsureDataflowInput {
  dataflow: DataflowRef;
  description: string;
  sourceConnectionId: string;
  targetConnectionId: string;
  mappingSetId: string;
  mappingVersion: number;
  schedule: DataflowSchedule;
  startTimeIsDefault: boolean;
  lookFirst?: boolean;
  /** The monitor started before the flow, waiting for it: told every id once the flow exists. */
  tellMonitor?: { workflowId: string; ids: Omit<DataflowIds, 'flowId'> };
}

export interface DataflowCreated {
  flowId: string;
  /** The schedule AEP holds (a defaulted start time may have been moved forward). */
  schedule: DataflowSchedule;
}

export interface DeleteTargetSchemaInput {
  dataflow: DataflowRef;
  removeSchema: boolean;
  removeFieldGroup: boolean;
  schemaId?: string;
  fieldGroupId?: string;
  /**
   * Set when the step failed before saying what it made and nobody surveyed the titles first: only what this
   * run made (made-by-this-run.ts) is deleted, not this dataflow's schema from an earlier provisioning.
   */
  runStartedAtMs?: number;
}

/** What a delete activity answers; `keptForOthers` is left out when nothing was kept. */
export interface DeleteOutcome {
  deleted: string[];
  /** Found by name or recorded, but another dataflow's (its mark) or used by another dataflow: kept. */
  keptForOthers?: string[];
  /** Why each kept resource was kept, by id, in words the CLI prints: "belongs to prod/consent-2". */
  keptFor?: Record<string, string>;
}
