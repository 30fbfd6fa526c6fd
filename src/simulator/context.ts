/**
 * What every router of the simulator is given: the store, the clock, the settings, and the
 * services one API offers another (a run needs OneTrust's data and Data Prep's mapping logic).
 */
import type { OneTrustClientView } from './onetrust-clients';
import type { Store } from './store';

export interface SimulatorSettings {
  /** Adobe Developer Console credentials the simulated IMS accepts (x-api-key must equal clientId). */
  clientId: string;
  clientSecret: string;
  orgId: string;
  /** Schema Registry tenant id, without the leading underscore. */
  tenantId: string;
  /** Simulated schedule time runs this many times faster than wall time (runs, run durations). */
  timeScale: number;
  /** Number of OneTrust data subjects generated. */
  oneTrustSubjects: number;
  /** OneTrust client credentials accepted by POST /api/access/v1/oauth/token, with the lifetime of the tokens they mint. */
  oneTrustClients: Array<{ clientId: string; clientSecret: string; tokenLifetimeSeconds: number }>;
}

export interface TokenCheck {
  valid: boolean;
  /** Why a token is refused: never issued, or past its expiry. */
  reason?: 'unknown' | 'expired';
}

export interface ImsService {
  checkAccessToken(token: string): TokenCheck;
}

export interface OneTrustProfile {
  Id: string;
  Identifier: string;
  Language: string;
  CreatedDate: string;
  LastUpdatedDate: string;
  TestDataSubject: boolean;
  DataElements: unknown[];
  Purposes: unknown[];
}

export interface OneTrustService {
  checkAccessToken(token: string): TokenCheck;
  /** Mints a token directly (admin API and tests). */
  mintToken(expiresInSeconds: number): { accessToken: string; expiresAt: Date };
  /** Registers a client for the client-credentials grant, or regenerates its secret (the old one stops working). */
  registerClient(clientId: string, clientSecret: string, tokenLifetimeSeconds?: number): OneTrustClientView;
  /** A client's secret version and the tokens it minted (fingerprints only), or undefined when unknown. */
  describeClient(clientId: string): OneTrustClientView | undefined;
  /** Profiles whose LastUpdatedDate is after `since` (all when undefined) and not after `until`, oldest first. */
  profilesUpdatedBetween(since: Date | undefined, until: Date): OneTrustProfile[];
  /**
   * One source record as AEP's OneTrust connector sees it: the OneTrust page envelope around a single
   * profile in `content` (the seed's explore preview shows this shape); mappings read `content.*`.
   */
  toSourceRecord(profile: OneTrustProfile, index: number): Record<string, unknown>;
  /** The explore preview body `{format:'hierarchical', schema, data:[…]}` exactly as the seed shows it. */
  explorePreview(): { format: string; schema: unknown; data: unknown[] };
}

export interface MappingOutcome {
  /** The XDM record, or undefined when the record failed to map. */
  output?: Record<string, unknown>;
  errors: Array<{ code: string; message: string }>;
}

export interface DataPrepService {
  /** Applies one version of a mapping set (in the given sandbox) to one source record. */
  applyMapping(sandboxName: string, mappingSetId: string, version: number, record: unknown): MappingOutcome;
  /** The schema `$id` a mapping set version targets, or undefined if it does not exist. */
  mappingSchemaId(sandboxName: string, mappingSetId: string, version: number): string | undefined;
}

export interface Clock {
  /** Wall-clock now in epoch ms. Timestamps (createdAt, token expiry, startTime checks) use wall time. */
  now(): number;
  /** Converts a simulated schedule duration to the wall-clock ms it takes under the time scale. */
  scaled(simulatedMs: number): number;
}

export interface SimulatorContext {
  store: Store;
  clock: Clock;
  settings: SimulatorSettings;
  ims: ImsService;
  oneTrust: OneTrustService;
  dataPrep: DataPrepService;
}
