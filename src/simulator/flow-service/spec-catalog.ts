/**
 * The connection and flow specs the simulator knows: OneTrust Integration (source), the Data Lake (target) and
 * the OneTrust → Data Lake flow spec. Auth parameters whose schema says `format: password` are secrets: stored,
 * used by runs, never returned.
 */
import { connectionSpecIds, oneTrustFlowSpecId } from '../defaults';

export interface AuthSpec {
  name: string;
  type: string;
  spec: {
    $schema: string;
    type: 'object';
    description: string;
    properties: Record<string, { type: string; description: string; format?: string }>;
    required: string[];
  };
}

export interface ConnectionSpec {
  id: string;
  name: string;
  providerId: string;
  version: string;
  authSpec: AuthSpec[];
  [field: string]: unknown;
}

const adobeProviderId = '521eee4d-8cd2-4181-bd4f-4f2a8e6bd6b4';
const oneTrustProviderId = '0ed90a81-07f4-4586-8190-b40eccef1c5a';

const oneTrustSpec: ConnectionSpec = {
  id: connectionSpecIds.oneTrust,
  name: 'OneTrust Integration',
  providerId: oneTrustProviderId,
  version: '1.0',
  authSpec: [
    {
      name: 'OAuth2 Refresh Code',
      type: 'OAuth2RefreshCode',
      spec: {
        $schema: 'http://json-schema.org/draft-07/schema#',
        type: 'object',
        description:
          'Access token of a OneTrust OAuth 2 client credential. OneTrust tokens cannot be refreshed by AEP.',
        properties: {
          accessToken: {
            type: 'string',
            description: 'OneTrust access token; replace it on the connection before it expires.',
            format: 'password',
          },
        },
        required: ['accessToken'],
      },
    },
  ],
  sourceSpec: {
    attributes: {
      uiAttributes: { isSource: true, isPreview: false, category: { key: 'consentAndPreferences' } },
    },
    spec: {
      $schema: 'http://json-schema.org/draft-07/schema#',
      type: 'object',
      description: 'Source connection parameters for OneTrust consent and preferences data.',
      properties: {},
    },
  },
  exploreSpec: {
    name: 'Resource',
    type: 'Resource',
    requestSpec: { $schema: 'http://json-schema.org/draft-07/schema#', type: 'object' },
    responseSpec: { $schema: 'http://json-schema.org/draft-07/schema#', type: 'object' },
  },
  attributes: {
    category: 'Consent and Preferences',
    connectorName: 'OneTrust Integration',
    isSource: true,
    uiAttributes: { apiFeatures: { explorePaginationSupported: false } },
  },
  permissionsInfo: {
    view: { '@type': 'lowLevel', name: 'EnterpriseSource', permissions: ['read'] },
    manage: { '@type': 'lowLevel', name: 'EnterpriseSource', permissions: ['write'] },
  },
};

const dataLakeSpec: ConnectionSpec = {
  id: connectionSpecIds.dataLake,
  name: 'Data Lake',
  providerId: adobeProviderId,
  version: '1.0',
  authSpec: [],
  targetSpec: {
    name: 'Data Lake',
    spec: {
      $schema: 'http://json-schema.org/draft-07/schema#',
      type: 'object',
      description: 'Target connection parameters for an Experience Platform dataset.',
      properties: { dataSetId: { type: 'string', description: 'The id of the target dataset.' } },
      required: ['dataSetId'],
    },
  },
  attributes: { category: 'Data Lake', isDestination: false, isSource: false },
};

const connectionSpecs = new Map<string, ConnectionSpec>([
  [oneTrustSpec.id, oneTrustSpec],
  [dataLakeSpec.id, dataLakeSpec],
]);

export interface FlowSpec {
  id: string;
  name: string;
  providerId: string;
  version: string;
  sourceConnectionSpecIds: string[];
  targetConnectionSpecIds: string[];
  [field: string]: unknown;
}

const oneTrustFlowSpec: FlowSpec = {
  id: oneTrustFlowSpecId,
  name: 'CRMToAEP',
  providerId: adobeProviderId,
  version: '1.0',
  sourceConnectionSpecIds: [connectionSpecIds.oneTrust],
  targetConnectionSpecIds: [connectionSpecIds.dataLake],
  transformationSpecs: [
    {
      name: 'Mapping',
      spec: {
        $schema: 'http://json-schema.org/draft-07/schema#',
        type: 'object',
        description: 'Data Prep mapping set applied to each source record.',
        properties: {
          mappingId: { type: 'string' },
          mappingVersion: { type: 'integer', default: 0 },
        },
        required: ['mappingId'],
      },
    },
  ],
  scheduleSpec: {
    name: 'PeriodicSchedule',
    type: 'Periodic',
    spec: {
      $schema: 'http://json-schema.org/draft-07/schema#',
      type: 'object',
      properties: {
        startTime: { description: 'Epoch time in seconds.', type: 'integer' },
        frequency: { type: 'string', enum: ['once', 'minute', 'hour', 'day', 'week'] },
        interval: { description: 'At least 15 for every frequency except once.', type: 'integer' },
        backfill: { type: 'boolean', default: true },
      },
      required: ['startTime', 'frequency'],
    },
  },
  attributes: { isSourceFlow: true, flacValidationSupported: true },
};

const flowSpecs = new Map<string, FlowSpec>([[oneTrustFlowSpec.id, oneTrustFlowSpec]]);

export function findConnectionSpec(id: string): ConnectionSpec | undefined {
  return connectionSpecs.get(id);
}

export function allConnectionSpecs(): ConnectionSpec[] {
  return [...connectionSpecs.values()];
}

export function findFlowSpec(id: string): FlowSpec | undefined {
  return flowSpecs.get(id);
}

export function allFlowSpecs(): FlowSpec[] {
  return [...flowSpecs.values()];
}

/** Param names a generic rule treats as secret when a spec does not say (unknown auth specs). */
const secretLookingName = /token|secret|password|credential|key/i;

export function isSecretAuthParam(connectionSpecId: string, specName: string | undefined, param: string): boolean {
  const authSpec = connectionSpecs.get(connectionSpecId)?.authSpec.find((candidate) => candidate.name === specName);
  const declared = authSpec?.spec.properties[param];
  if (declared) return declared.format === 'password';
  return secretLookingName.test(param);
}
