/** Request bodies for Schema Registry, Catalog and Data Prep tests: the OneTrust consent fields of the seed. */
import { simulatorDefaults } from '../../src/simulator';

export const tenantNamespace = `_${simulatorDefaults.tenantId}`;
export const profileClass = 'https://ns.adobe.com/xdm/context/profile';
export const schemaRegistryPath = '/data/foundation/schemaregistry';
export const catalogPath = '/data/foundation/catalog';
export const dataPrepPath = '/data/foundation/conversion';

/** Versioned Accept for lookups, unversioned for lists. */
export const xedLookup = 'application/vnd.adobe.xed+json; version=1';
export const xedFullLookup = 'application/vnd.adobe.xed-full+json; version=1';
export const xedIdList = 'application/vnd.adobe.xed-id+json';

export function consentFieldGroupBody(
  title: string,
  fields: Record<string, unknown> = consentFields(),
): Record<string, unknown> {
  return {
    type: 'object',
    title,
    description: 'OneTrust consent fields',
    'meta:intendedToExtend': [profileClass],
    definitions: {
      consent: { properties: { [tenantNamespace]: { type: 'object', properties: fields } } },
    },
    allOf: [{ $ref: '#/definitions/consent' }],
  };
}

export function consentFields(): Record<string, unknown> {
  const text = { type: 'string' };
  return {
    Identifier: text,
    Language: text,
    CreatedDate: text,
    LastUpdatedDate: text,
    DataElements: { type: 'array', items: { type: 'object' } },
    Purposes: {
      type: 'array',
      items: { type: 'object', properties: { Id: text, Name: text, Status: text } },
    },
  };
}

export function consentSchemaBody(title: string, fieldGroupIds: string[]): Record<string, unknown> {
  return {
    type: 'object',
    title,
    description: 'Target schema of the OneTrust dataflow',
    allOf: [{ $ref: profileClass }, ...fieldGroupIds.map((id) => ({ $ref: id }))],
  };
}

export function datasetBody(name: string, schemaId: string): Record<string, unknown> {
  return {
    name,
    description: 'OneTrust consent dataset',
    schemaRef: { id: schemaId, contentType: 'application/vnd.adobe.xed-full+json;version=1' },
  };
}

/** The seed tutorial's mapping set body, legacy form, with this simulator's tenant. */
export function seedMappingBody(schemaId: string): Record<string, unknown> {
  const attribute = (source: string, destination: string) => ({ sourceType: 'ATTRIBUTE', source, destination });
  return {
    version: 0,
    xdmSchema: schemaId,
    xdmVersion: '1.0',
    id: null,
    mappings: [
      { ...attribute('content.Identifier', '_id'), name: 'id', description: 'Identifier field' },
      attribute('content.Identifier', `${tenantNamespace}.Identifier`),
      { ...attribute('content.Language', `${tenantNamespace}.Language`), description: 'Language field' },
      { ...attribute('content.CreatedDate', `${tenantNamespace}.CreatedDate`), description: 'Created Date field' },
      {
        ...attribute('content.LastUpdatedDate', `${tenantNamespace}.LastUpdatedDate`),
        description: 'Created Date field',
      },
      attribute('content.DataElements', `${tenantNamespace}.DataElements`),
      attribute('content.Purposes', `${tenantNamespace}.Purposes`),
    ],
  };
}
