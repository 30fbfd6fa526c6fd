/**
 * Resolving tenant schemas and field groups into their fields: the `properties` a `xed-full` lookup shows,
 * and the dot paths of every field (Data Prep checks mapping destinations against them).
 */
import type { StoredResource, Store } from './store';
import { findXdmClass } from './xdm-classes';

export type JsonObject = Record<string, unknown>;

/** A schema or field group as stored: the XDM resource itself plus the store's id (= `$id`) and sandbox. */
export interface StoredXdmResource extends StoredResource {
  $id: string;
  'meta:altId': string;
  title: string;
  allOf?: unknown[];
  definitions?: JsonObject;
  properties?: JsonObject;
}

export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * The `$id` a reference names. Accepts the `$id` itself, the `meta:altId` (`_tenant.schemas.hash`) and the
 * short `tenant/schemas/hash` form the OneTrust tutorial's mapping body shows.
 */
export function canonicalXdmId(reference: string): string {
  const trimmed = reference.trim();
  if (/^https?:\/\//.test(trimmed)) return trimmed;
  const altId = /^_([^.]+)\.(schemas|mixins|fieldgroups)\.([^.]+)$/.exec(trimmed);
  if (altId) return `https://ns.adobe.com/${altId[1]}/${altId[2] === 'fieldgroups' ? 'mixins' : altId[2]}/${altId[3]}`;
  const short = /^_?([^/]+)\/(schemas|mixins)\/([^/]+)$/.exec(trimmed);
  if (short) return `https://ns.adobe.com/${short[1]}/${short[2]}/${short[3]}`;
  return trimmed;
}

export function findSchema(store: Store, sandboxName: string, reference: string): StoredXdmResource | undefined {
  return store.get<StoredXdmResource>('schemas', sandboxName, canonicalXdmId(reference));
}

export function findFieldGroup(store: Store, sandboxName: string, reference: string): StoredXdmResource | undefined {
  return store.get<StoredXdmResource>('fieldGroups', sandboxName, canonicalXdmId(reference));
}

/** `$ref`s listed in a resource's allOf. */
export function allOfReferences(resource: { allOf?: unknown }): string[] {
  if (!Array.isArray(resource.allOf)) return [];
  return resource.allOf
    .map((entry) => (isJsonObject(entry) && typeof entry.$ref === 'string' ? entry.$ref : undefined))
    .filter((reference): reference is string => reference !== undefined);
}

/** The fields a field group contributes: root `properties` plus each local definition its allOf references. */
export function fieldGroupProperties(fieldGroup: {
  allOf?: unknown;
  definitions?: unknown;
  properties?: unknown;
}): JsonObject {
  let merged: JsonObject = isJsonObject(fieldGroup.properties) ? structuredClone(fieldGroup.properties) : {};
  const definitions = isJsonObject(fieldGroup.definitions) ? fieldGroup.definitions : {};
  for (const reference of allOfReferences(fieldGroup)) {
    if (!reference.startsWith('#/definitions/')) continue;
    const definition = definitions[reference.slice('#/definitions/'.length)];
    if (isJsonObject(definition) && isJsonObject(definition.properties)) {
      merged = mergeProperties(merged, definition.properties);
    }
  }
  return merged;
}

/** A schema's resolved fields: its class's standard fields, then each field group's, merged by path. */
export function schemaProperties(store: Store, sandboxName: string, schema: StoredXdmResource): JsonObject {
  let merged: JsonObject = {};
  for (const reference of allOfReferences(schema)) {
    const xdmClass = findXdmClass(reference);
    if (xdmClass) {
      merged = mergeProperties(merged, xdmClass.properties);
      continue;
    }
    const fieldGroup = findFieldGroup(store, sandboxName, reference);
    if (fieldGroup) merged = mergeProperties(merged, fieldGroupProperties(fieldGroup));
  }
  return merged;
}

/**
 * Dot paths of every field with its JSON type: objects contribute their sub-fields, arrays the sub-fields
 * of their items (without an index: `_tenant.Purposes.Status`). A `$ref` field without a type counts as object.
 */
export function fieldTypes(
  properties: JsonObject,
  prefix = '',
  types = new Map<string, string>(),
): Map<string, string> {
  for (const [name, field] of Object.entries(properties)) {
    const path = prefix === '' ? name : `${prefix}.${name}`;
    if (!isJsonObject(field)) {
      types.set(path, 'unknown');
      continue;
    }
    types.set(path, typeof field.type === 'string' ? field.type : 'object');
    if (isJsonObject(field.properties)) fieldTypes(field.properties, path, types);
    if (isJsonObject(field.items) && isJsonObject(field.items.properties)) {
      fieldTypes(field.items.properties, path, types);
    }
  }
  return types;
}

/** Every field of a tenant schema in a sandbox with its type, or undefined when the schema does not exist there. */
export function schemaFieldTypes(store: Store, sandboxName: string, schemaId: string): Map<string, string> | undefined {
  const schema = findSchema(store, sandboxName, schemaId);
  return schema ? fieldTypes(schemaProperties(store, sandboxName, schema)) : undefined;
}

/** Every field path of a tenant schema in a sandbox, or undefined when the schema does not exist there. */
export function schemaFieldPaths(store: Store, sandboxName: string, schemaId: string): Set<string> | undefined {
  const types = schemaFieldTypes(store, sandboxName, schemaId);
  return types ? new Set(types.keys()) : undefined;
}

/** Deep merge of two `properties` maps: objects on both sides merge their sub-properties, otherwise `next` wins. */
function mergeProperties(base: JsonObject, next: JsonObject): JsonObject {
  const merged: JsonObject = { ...base };
  for (const [name, field] of Object.entries(next)) {
    const existing = merged[name];
    if (
      isJsonObject(existing) &&
      isJsonObject(field) &&
      isJsonObject(existing.properties) &&
      isJsonObject(field.properties)
    ) {
      merged[name] = { ...existing, ...field, properties: mergeProperties(existing.properties, field.properties) };
    } else {
      merged[name] = structuredClone(field);
    }
  }
  return merged;
}
