/**
 * The dataflow monitor's activities as the workflow sees them: src/activities/monitor implements this interface,
 * so the compiler checks both sides.
 */
import type { DataflowDescriptor, DataflowIds, DataflowSchedule, MappingRule } from './dataflow-types';
import type { Alert, RunSummary, ScheduleChange } from './monitor-state';
import type { SealedSecret } from './sealed-secret';

export interface MonitorActivities {
  /** Lists the flow's runs since an instant (the monitor's own look, beside the run feed). */
  reconcileRuns(input: ListRecentRunsInput): Promise<RunPage>;
  rotateOneTrustToken(input: RotateOneTrustTokenInput): Promise<TokenRotationResult>;
  checkOneTrustClientCredentials(input: MintOneTrustTokenInput): Promise<ClientCredentialsCheck>;
  mintOneTrustToken(input: MintOneTrustTokenInput): Promise<MintedToken>;
  updateFlowSettings(input: UpdateFlowSettingsInput): Promise<FlowPatchResult>;
  publishMappingVersion(input: PublishMappingVersionInput): Promise<{ mappingVersion: number }>;
  pointFlowAtMapping(input: {
    sandbox: string;
    flowId: string;
    mappingSetId: string;
    mappingVersion: number;
  }): Promise<FlowPatchResult>;
  setFlowEnabled(input: {
    sandbox: string;
    flowId: string;
    enabled: boolean;
  }): Promise<{ flowState: string; unchanged?: boolean }>;
  deleteDataflowResource(input: DeleteDataflowResourceInput): Promise<DeleteDataflowResourceResult>;
  sendAlert(input: SendAlertInput): Promise<SendAlertResult>;
  resealDataflowSecrets(input: { dataflow: DataflowDescriptor }): Promise<ResealSecretsResult>;
  /** Reads the dataflow as AEP has it now (drift detection). */
  inspectDataflow(input: { sandbox: string; ids: DataflowIds }): Promise<LiveDataflow>;
  compareDataflowWithSpec(input: CompareWithSpecInput): Promise<SpecComparison>;
  /** Whether two secrets (sealed or plain) hold the same value, compared on the worker that can open them. */
  sameSecret(input: { first?: string | SealedSecret; second?: string | SealedSecret }): Promise<boolean>;
  /** How the provisioning that started a monitor before its flow existed went, as Temporal has it. */
  provisioningOutcome(input: { provisioningWorkflowId: string }): Promise<ProvisioningOutcome>;
}

/** Still running; or it made the flow (its result's flow and schedule); or it ended without one. */
export type ProvisioningOutcome =
  | { status: 'running' }
  | { status: 'succeeded'; ids: DataflowIds; schedule: DataflowSchedule }
  | { status: 'ended'; how: string };

export interface ListRecentRunsInput {
  sandbox: string;
  flowId: string;
  /** Runs that started at or after this epoch ms; absent on the first look, which then covers the last day. */
  startedAtOrAfterMs?: number;
  /** The oldest this many after the cursor are returned; `more` says whether others follow. */
  limit: number;
  /** Runs seen in progress before: read again by id (the cursor has moved past them), returned while they exist. */
  unfinishedRunIds?: string[];
}

export interface RunPage {
  /** Oldest first: the page after the cursor, then the followed runs that are not on it. */
  runs: RunSummary[];
  /** More runs started after this page: the monitor reads the next page at once. */
  more: boolean;
}

export interface RotateOneTrustTokenInput {
  sandbox: string;
  baseConnectionId: string;
  token: SealedSecret;
  /** ISO instant; when absent, the token's JWT `exp` claim. */
  expiresAt?: string;
  /** The token the connection holds now: put back if the explore preview refuses the new one. */
  previousToken?: SealedSecret;
}

/** Only facts that are safe to keep in history. */
export interface TokenRotationResult {
  tokenExpiresAt: string;
  /** PATCH attempts: more than 1 when someone else changed the connection between our read and our PATCH. */
  patchAttempts: number;
  etag: string;
  /** Records the explore preview returned with the new token. */
  previewRecords: number;
}

export interface MintOneTrustTokenInput {
  baseUrl: string;
  clientId: string;
  clientSecret: SealedSecret;
}

export interface MintedToken {
  token: SealedSecret;
  expiresAt: string;
}

/** What proving client credentials shows: only the lifetime of the token they mint (the token itself is dropped). */
export interface ClientCredentialsCheck {
  tokenExpiresAt: string;
}

export interface UpdateFlowSettingsInput {
  sandbox: string;
  flowId: string;
  name?: string;
  description?: string;
  schedule?: ScheduleChange;
}

export interface FlowPatchResult {
  etag: string;
  patchAttempts: number;
  /** What was changed, for the outcome shown to the user. */
  changed: string[];
}

export interface PublishMappingVersionInput {
  sandbox: string;
  mappingSetId: string;
  /** The schema `$id` the mapping writes to (the dataset's schema). */
  schemaId: string;
  /** The version the flow uses now: a retry that finds a newer identical version reuses it. */
  currentVersion: number;
  /** Destinations may hold the `{TENANT_ID}` placeholder. */
  mapping: MappingRule[];
}

export type DataflowResourceKind =
  | 'flow'
  | 'targetConnection'
  | 'sourceConnection'
  | 'baseConnection'
  | 'mappingSet'
  | 'dataset'
  | 'schema'
  | 'fieldGroup';

export interface DeleteDataflowResourceInput {
  sandbox: string;
  /** The dataflow's name: its owner tag decides whether data resources are ours to delete. */
  dataflowName: string;
  kind: DataflowResourceKind;
  id: string;
}

export interface DeleteDataflowResourceResult {
  outcome: 'deleted' | 'already-gone' | 'kept';
  reason?: string;
}

export interface SendAlertInput {
  alert: Alert;
  /** Sealed by the CLI (it may embed a secret); a plain string from monitors of older releases. */
  webhookUrl?: string | SealedSecret;
}

export interface SendAlertResult {
  delivery: 'webhook' | 'log';
}

export interface LiveDataflow {
  /** Absent when the flow itself is gone. */
  flow?: LiveFlow;
  /** What no longer exists, as `dataset 5f…`, `base connection 6a…`. */
  missing: string[];
  /**
   * The base connection the source connection reads through. Absent when the source connection is gone, and in
   * results recorded before this was read (replay must see no difference there).
   */
  sourceConnection?: { baseConnectionId?: string };
  /** The dataset the target connection writes into; absent as above. */
  targetConnection?: { dataSetId?: string };
}

export interface LiveFlow {
  state?: string;
  frequency?: string;
  interval?: number;
  mappingSetId?: string;
  mappingVersion?: number;
  sourceConnectionIds: string[];
  targetConnectionIds: string[];
}

export interface CompareWithSpecInput {
  sandbox: string;
  dataflowName: string;
  ids: DataflowIds;
  /** The full resource description provisioning writes (with the ownership mark). */
  description: string;
  schedule: ScheduleChange;
  mapping: MappingRule[];
}

export interface SpecComparison {
  description: boolean;
  schedule: boolean;
  /** Field-level differences of the flow's settings, for people. */
  flowChanges: string[];
  /** Rules the spec adds or removes; empty when the mapping matches. */
  mappingChanges: string[];
  /** The flow's transformation does not use the dataflow's mapping set and version. */
  mappingPointsElsewhere: boolean;
  flowState?: string;
  /** Resources another dataflow (or someone else) owns: never changed by this one. */
  shared: string[];
}

export interface ResealSecretsResult {
  dataflow: DataflowDescriptor;
  /** How many values were sealed anew. */
  resealed: number;
}
