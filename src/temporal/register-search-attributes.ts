/**
 * Registers the dataflow search attributes with the server, once per namespace. Safe to call at every
 * worker start: attributes already present are left alone, and a concurrent registration is not an error.
 */
import type { OperatorService } from '@temporalio/client';
import type { SearchAttributePair, SearchAttributeType } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { dataflowSearchAttributes } from '../contracts/search-attributes';

const IndexedValueType = temporal.api.enums.v1.IndexedValueType;

const indexedValueTypes: Record<SearchAttributeType, temporal.api.enums.v1.IndexedValueType> = {
  TEXT: IndexedValueType.INDEXED_VALUE_TYPE_TEXT,
  KEYWORD: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
  INT: IndexedValueType.INDEXED_VALUE_TYPE_INT,
  DOUBLE: IndexedValueType.INDEXED_VALUE_TYPE_DOUBLE,
  BOOL: IndexedValueType.INDEXED_VALUE_TYPE_BOOL,
  DATETIME: IndexedValueType.INDEXED_VALUE_TYPE_DATETIME,
  KEYWORD_LIST: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD_LIST,
};

/** gRPC status ALREADY_EXISTS: another worker registered them between our list and our add. */
const alreadyExists = 6;

export async function registerSearchAttributes(
  connection: { operatorService: OperatorService },
  namespace: string,
  keys: readonly SearchAttributePair['key'][] = dataflowSearchAttributes,
): Promise<string[]> {
  const existing = await connection.operatorService.listSearchAttributes({ namespace });
  const known = new Set([
    ...Object.keys(existing.customAttributes ?? {}),
    ...Object.keys(existing.systemAttributes ?? {}),
  ]);
  const missing = keys.filter((key) => !known.has(key.name));
  if (missing.length === 0) return [];
  try {
    await connection.operatorService.addSearchAttributes({
      namespace,
      searchAttributes: Object.fromEntries(missing.map((key) => [key.name, indexedValueTypes[key.type]])),
    });
  } catch (error) {
    if ((error as { code?: number }).code !== alreadyExists) throw error;
  }
  return missing.map((key) => key.name);
}
