/**
 * What a flow must satisfy beyond its shape: connections that exist in the sandbox and fit the flow spec, and a
 * Data Prep mapping whose target schema is the schema of the target dataset (1419 / 1412 / 1425).
 */
import type { SimulatorContext } from '../context';
import { flowError } from '../problems';
import type { MappingTransformation, StoredFlow, StoredSourceConnection, StoredTargetConnection } from './entity-types';
import { invalidRequest } from './flow-errors';
import { isJsonObject } from './request-parts';
import type { FlowSpec } from './spec-catalog';

export function requireConnectionIds(value: unknown, field: string): string[] {
  if (!Array.isArray(value) || value.length === 0 || !value.every((id) => typeof id === 'string' && id !== '')) {
    throw invalidRequest(`The field '${field}' is required and must be a non-empty array of ids.`);
  }
  return value as string[];
}

export function inheritedAttributes(
  context: SimulatorContext,
  sandbox: string,
  flowSpec: FlowSpec,
  sourceConnectionIds: string[],
  targetConnectionIds: string[],
): StoredFlow['inheritedAttributes'] {
  const sourceConnections = sourceConnectionIds.map((id) => {
    const source = context.store.get<StoredSourceConnection>('sourceConnections', sandbox, id);
    if (!source) throw invalidRequest(`The source connection ${id} does not exist in sandbox ${sandbox}.`);
    if (!flowSpec.sourceConnectionSpecIds.includes(source.connectionSpec.id)) {
      throw invalidRequest(
        `Flow spec ${flowSpec.id} does not accept source connection spec ${source.connectionSpec.id}.`,
      );
    }
    const base = context.store.get<{
      id: string;
      sandboxName: string;
      connectionSpec: { id: string; version: string };
    }>('connections', sandbox, source.baseConnectionId);
    return {
      id,
      connectionSpec: source.connectionSpec,
      ...(base ? { baseConnection: { id: base.id, connectionSpec: base.connectionSpec } } : {}),
    };
  });
  const targetConnections = targetConnectionIds.map((id) => {
    const target = context.store.get<StoredTargetConnection>('targetConnections', sandbox, id);
    if (!target) throw invalidRequest(`The target connection ${id} does not exist in sandbox ${sandbox}.`);
    if (!flowSpec.targetConnectionSpecIds.includes(target.connectionSpec.id)) {
      throw invalidRequest(
        `Flow spec ${flowSpec.id} does not accept target connection spec ${target.connectionSpec.id}.`,
      );
    }
    return { id, connectionSpec: target.connectionSpec };
  });
  return { sourceConnections, targetConnections };
}

/** The flow's Data Prep mapping transformation (named "Mapping"), which a OneTrust flow requires. */
export function mappingTransformation(transformations: unknown): MappingTransformation {
  if (!Array.isArray(transformations)) {
    throw invalidRequest(`The field 'transformations' with a "Mapping" transformation is required for this flow spec.`);
  }
  const mapping = transformations.find(
    (transformation): transformation is MappingTransformation =>
      isJsonObject(transformation) && String(transformation.name).toLowerCase() === 'mapping',
  );
  if (!mapping || !isJsonObject(mapping.params) || typeof mapping.params.mappingId !== 'string') {
    throw invalidRequest(`A transformation named "Mapping" with params.mappingId is required for this flow spec.`);
  }
  return mapping;
}

export function mappingVersionOf(mapping: MappingTransformation): number {
  const raw = mapping.params.mappingVersion ?? 0;
  const version = typeof raw === 'number' ? raw : /^\d+$/.test(String(raw)) ? Number(raw) : NaN;
  if (!Number.isSafeInteger(version) || version < 0) {
    throw flowError(400, 1412, 'Invalid Mapping Version in request. Please provide correct mapping version.');
  }
  return version;
}

/** Checks the mapping exists in the sandbox and targets the schema of every target connection's dataset. */
export function validateMappingAgainstTargets(
  context: SimulatorContext,
  sandbox: string,
  transformations: unknown,
  targetConnectionIds: readonly string[],
): void {
  const mapping = mappingTransformation(transformations);
  const mappingId = mapping.params.mappingId;
  const version = mappingVersionOf(mapping);
  const mappingSchemaId = context.dataPrep.mappingSchemaId(sandbox, mappingId, version);
  if (mappingSchemaId === undefined) {
    if (version !== 0 && context.dataPrep.mappingSchemaId(sandbox, mappingId, 0) !== undefined) {
      throw flowError(400, 1412, 'Invalid Mapping Version in request. Please provide correct mapping version.');
    }
    throw flowError(
      400,
      1419,
      `Error while validating mapping with id ${mappingId}, version ${version}. This could be because of inadequate permissions on mapped fields. Please check your mapping or contact your admin.`,
    );
  }
  for (const targetId of targetConnectionIds) {
    const target = context.store.get<StoredTargetConnection>('targetConnections', sandbox, targetId);
    const dataSetId = target?.params.dataSetId;
    const dataset = dataSetId ? context.store.get('dataSets', sandbox, dataSetId) : undefined;
    if (!dataset) {
      throw invalidRequest(`The dataset of target connection ${targetId} does not exist in sandbox ${sandbox}.`);
    }
    const datasetSchemaId = isJsonObject(dataset.schemaRef) ? dataset.schemaRef.id : undefined;
    if (typeof datasetSchemaId !== 'string' || schemaKey(datasetSchemaId) !== schemaKey(mappingSchemaId)) {
      throw flowError(
        400,
        1425,
        `Error while matching schema in target dataset ${dataset.id} with schema in mapping ${mappingId}. Schema with same id and version must be used in both mapping and target dataset.`,
      );
    }
  }
}

/** Schema ids compare without the `https://ns.adobe.com/` host, which the seed's legacy mapping body leaves out. */
function schemaKey(schemaId: string): string {
  return schemaId.replace(/^https?:\/\/ns\.adobe\.com\//, '');
}
