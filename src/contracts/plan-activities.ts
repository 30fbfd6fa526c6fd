/**
 * The plan's one activity as the planDataflow workflow sees it: src/activities/plan implements this interface, so
 * the compiler checks both sides. It reads AEP and writes nothing.
 */
import type { DataflowSchedule, MappingRule } from './dataflow-types';
import type { OneTrustEndpoint } from './onetrust-endpoint-changes';
import type { DataflowRef } from './provisioning-activities';
import type { ProvisioningStepKey } from './provisioning-steps';

export interface PlanActivities {
  /** What provisioning the spec would do to AEP, per resource, plus the token and the monitor's endpoint. */
  planDataflowChanges(input: PlanDataflowInput): Promise<DataflowPlan>;
}

export type PlannedAction = 'create' | 'keep' | 'change' | 'shared';

export interface PlannedResource {
  key: ProvisioningStepKey;
  action: PlannedAction;
  id?: string;
  /** Field-level differences, e.g. `schedule.interval 15 → 30`. */
  changes?: string[];
  note?: string;
}

export interface DataflowPlan {
  resources: PlannedResource[];
  token: { action: 'replace' | 'keep' | 'set'; reason: string };
  /**
   * What the monitor would change: its OneTrust base URL and client credentials (compared here, where the sealed
   * secrets can be opened), then token warnings and alerts (added by the CLI, which reads the monitor).
   */
  monitor?: string[];
  /** How many things provisioning would create or change. */
  changeCount: number;
}

export interface PlanDataflowInput {
  dataflow: DataflowRef;
  /** The description provisioning gives its resources (with the ownership mark). */
  description: string;
  schedule: DataflowSchedule;
  mapping: MappingRule[];
  /** ISO instants: the spec's token, and the one in use (the monitor's), when there is a monitor. */
  tokenExpiresAt: string;
  tokenInUseExpiresAt?: string;
  /** The mapping-set version the monitor applied, when there is a monitor (else the latest is compared). */
  mappingVersion?: number;
  /** The spec's OneTrust endpoint (its client secret sealed by the CLI) and the monitor's, when there is a monitor. */
  oneTrust?: { wanted: OneTrustEndpoint; inUse: OneTrustEndpoint };
}
