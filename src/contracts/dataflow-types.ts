/**
 * Types shared by the provisioning workflow, the monitor, activities and the CLI. Types only, so workflow
 * code can import them freely.
 */
import type { SealedSecret } from './sealed-secret';

/** Every AEP resource one dataflow consists of. */
export interface DataflowIds {
  baseConnectionId: string;
  sourceConnectionId: string;
  fieldGroupId: string;
  /** The schema's `$id` (what datasets and mapping sets reference). */
  schemaId: string;
  schemaAltId: string;
  datasetId: string;
  targetConnectionId: string;
  mappingSetId: string;
  mappingVersion: number;
  flowId: string;
}

export type ScheduleFrequency = 'once' | 'minute' | 'hour' | 'day' | 'week';

export interface DataflowSchedule {
  frequency: ScheduleFrequency;
  /** Absent for `once`; at least 15 otherwise. */
  interval?: number;
  /** Epoch seconds. */
  startTime: number;
}

export interface OneTrustAccess {
  baseUrl: string;
  token: SealedSecret;
  /** ISO instant. */
  tokenExpiresAt: string;
  clientCredentials?: { clientId: string; clientSecret: SealedSecret };
}

export interface DataflowDescriptor {
  sandbox: string;
  name: string;
  ids: DataflowIds;
  schedule: DataflowSchedule;
  oneTrust: OneTrustAccess;
  /** The URL often embeds a secret (Slack, Teams): the CLI seals it; a plain string is what older releases sent. */
  alerts?: { webhookUrl: string | SealedSecret };
  monitor?: { pollInterval?: string; tokenWarnings?: string[] };
}

/** One Data Prep mapping, as the seed writes them. */
export interface MappingRule {
  sourceType: 'ATTRIBUTE' | 'EXPRESSION';
  source: string;
  destination: string;
  name?: string;
  description?: string;
}
