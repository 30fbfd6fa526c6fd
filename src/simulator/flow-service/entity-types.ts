/** Stored shapes of the Flow Service entities, as returned by the API (plus nothing hidden). */
import type { StoredResource } from '../store';

export interface SpecReference {
  id: string;
  version: string;
}

export interface StoredConnection extends StoredResource {
  name: string;
  description: string;
  connectionSpec: SpecReference;
  state: string;
  auth?: { specName: string; params: Record<string, unknown> };
  etag: string;
}

export interface StoredSourceConnection extends StoredResource {
  name: string;
  baseConnectionId: string;
  connectionSpec: SpecReference;
  data: Record<string, unknown>;
  params: Record<string, unknown>;
  etag: string;
}

export interface StoredTargetConnection extends StoredResource {
  name: string;
  connectionSpec: SpecReference;
  data: Record<string, unknown>;
  params: { dataSetId: string; [param: string]: unknown };
  etag: string;
}

/** Schedule values are stored as strings because AEP returns them so (`"startTime":"1612310466"`). */
export interface ScheduleParams {
  startTime: string;
  frequency: 'once' | 'minute' | 'hour' | 'day' | 'week';
  interval?: string;
  backfill?: string;
}

export interface MappingTransformation {
  name: string;
  params: { mappingId: string; mappingVersion: number | string; [param: string]: unknown };
}

export interface StoredFlow extends StoredResource {
  name: string;
  flowSpec: SpecReference;
  state: 'enabled' | 'disabled';
  sourceConnectionIds: string[];
  targetConnectionIds: string[];
  inheritedAttributes: {
    sourceConnections: Array<{
      id: string;
      connectionSpec: SpecReference;
      baseConnection?: { id: string; connectionSpec: SpecReference };
    }>;
    targetConnections: Array<{ id: string; connectionSpec: SpecReference }>;
  };
  transformations: unknown[];
  scheduleParams: ScheduleParams;
  lastRunDetails?: { id: string; state: 'success' | 'failed'; startedAtUTC: number; completedAtUTC: number };
  etag: string;
}

export interface RunError {
  code: string;
  message: string;
  recordCount?: number;
}

export type RunStatus = 'inProgress' | 'success' | 'failed';

export interface StoredRun extends StoredResource {
  flowId: string;
  etag: string;
  createdAt: number;
  metrics: {
    durationSummary: { startedAtUTC: number; completedAtUTC?: number };
    sizeSummary: { inputBytes: number; outputBytes: number };
    recordSummary: { inputRecordCount: number; outputRecordCount: number; failedRecordCount: number };
    fileSummary: { inputFileCount: number; outputFileCount: number; activityRefs: string[] };
    statusSummary: { status: RunStatus; errors: RunError[]; activityRefs: string[] };
  };
  activities: Array<Record<string, unknown>>;
}
