/**
 * Request bodies shaped like the seed tutorial's, for tests that need a whole OneTrust → Data Lake chain:
 * base connection, field group + schema, dataset, target connection, mapping set, flow.
 */
import type { SandboxClient } from '../../src/aep';
import { connectionSpecIds, oneTrustFlowSpecId, simulatorDefaults } from '../../src/simulator/defaults';

const tenant = `_${simulatorDefaults.tenantId}`;

export function baseConnectionBody(name: string, accessToken = 'onetrust-token-for-tests') {
  return {
    name,
    description: 'OneTrust base connection for client tests',
    connectionSpec: { id: connectionSpecIds.oneTrust, version: '1.0' },
    auth: { specName: 'OAuth2 Refresh Code', params: { accessToken } },
  };
}

export function sourceConnectionBody(name: string, baseConnectionId: string) {
  return {
    name,
    description: 'OneTrust source connection',
    baseConnectionId,
    connectionSpec: { id: connectionSpecIds.oneTrust, version: '1.0' },
    data: { format: 'json' },
    params: {},
  };
}

export function targetConnectionBody(name: string, dataSetId: string) {
  return {
    name,
    description: 'Data Lake target connection',
    connectionSpec: { id: connectionSpecIds.dataLake, version: '1.0' },
    data: { format: 'json' },
    params: { dataSetId },
  };
}

export function fieldGroupBody(title: string) {
  return {
    type: 'object',
    title,
    description: 'OneTrust consent fields',
    'meta:intendedToExtend': ['https://ns.adobe.com/xdm/context/profile'],
    definitions: {
      consent: {
        properties: {
          [tenant]: {
            type: 'object',
            properties: {
              Identifier: { type: 'string' },
              Language: { type: 'string' },
            },
          },
        },
      },
    },
    allOf: [{ $ref: '#/definitions/consent' }],
  };
}

export function schemaBody(title: string, fieldGroupId: string) {
  return {
    type: 'object',
    title,
    description: 'OneTrust consent schema',
    allOf: [{ $ref: 'https://ns.adobe.com/xdm/context/profile' }, { $ref: fieldGroupId }],
  };
}

export function datasetBody(name: string, schemaId: string) {
  return {
    name,
    description: 'OneTrust consent dataset',
    schemaRef: { id: schemaId, contentType: 'application/vnd.adobe.xed+json;version=1' },
  };
}

export function mappingSetBody(schemaId: string) {
  return {
    outputSchema: { schemaRef: { id: schemaId, contentType: 'application/vnd.adobe.xed-full+json;version=1' } },
    mappings: [
      { sourceType: 'ATTRIBUTE', source: 'content.Identifier', destination: '_id', name: 'id' },
      { sourceType: 'ATTRIBUTE', source: 'content.Identifier', destination: `${tenant}.Identifier` },
      { sourceType: 'ATTRIBUTE', source: 'content.Language', destination: `${tenant}.Language` },
    ],
  };
}

export function flowBody(name: string, ids: { source: string; target: string; mappingSet: string }) {
  return {
    name,
    description: 'OneTrust dataflow',
    flowSpec: { id: oneTrustFlowSpecId, version: '1.0' },
    sourceConnectionIds: [ids.source],
    targetConnectionIds: [ids.target],
    transformations: [{ name: 'Mapping', params: { mappingId: ids.mappingSet, mappingVersion: 0 } }],
    scheduleParams: { startTime: String(Math.floor(Date.now() / 1000) + 3600), frequency: 'minute', interval: 15 },
  };
}

export interface OneTrustChain {
  baseConnectionId: string;
  sourceConnectionId: string;
  targetConnectionId: string;
  schemaId: string;
  fieldGroupId: string;
  datasetId: string;
  mappingSetId: string;
  flowId: string;
}

/** Creates a field group and an XDM schema using it in `sandbox`, titled after `label`; answers the schema's $id. */
export async function createConsentSchema(sandbox: SandboxClient, label: string): Promise<string> {
  const fieldGroup = await sandbox.schemaRegistry.createFieldGroup(fieldGroupBody(`${label} fields`));
  return (await sandbox.schemaRegistry.createSchema(schemaBody(`${label} schema`, fieldGroup.$id))).$id;
}

/** Provisions the whole tutorial chain in `sandbox` through the client under test. */
export async function provisionOneTrustChain(sandbox: SandboxClient, label: string): Promise<OneTrustChain> {
  const fieldGroup = await sandbox.schemaRegistry.createFieldGroup(fieldGroupBody(`${label} consent fields`));
  const schema = await sandbox.schemaRegistry.createSchema(schemaBody(`${label} consent schema`, fieldGroup.$id));
  const datasetId = await sandbox.catalog.createDataset(datasetBody(`${label} dataset`, schema.$id));
  const base = await sandbox.flowService.createConnection(baseConnectionBody(`${label} base`));
  const source = await sandbox.flowService.createSourceConnection(sourceConnectionBody(`${label} source`, base.id));
  const target = await sandbox.flowService.createTargetConnection(targetConnectionBody(`${label} target`, datasetId));
  const mappingSet = await sandbox.dataPrep.createMappingSet(mappingSetBody(schema.$id));
  const flow = await sandbox.flowService.createFlow(
    flowBody(`${label} flow`, { source: source.id, target: target.id, mappingSet: mappingSet.id }),
  );
  return {
    baseConnectionId: base.id,
    sourceConnectionId: source.id,
    targetConnectionId: target.id,
    schemaId: schema.$id,
    fieldGroupId: fieldGroup.$id,
    datasetId,
    mappingSetId: mappingSet.id,
    flowId: flow.id,
  };
}
