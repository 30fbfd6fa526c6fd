/** The seed's mapping from the OneTrust record (`content.*`) to the target schema, tenant left as a placeholder. */
import type { MappingRule } from './dataflow-types';
import { tenantPlaceholder } from './target-schema';

const tenant = `_${tenantPlaceholder}`;

export const defaultMapping: readonly MappingRule[] = [
  {
    sourceType: 'ATTRIBUTE',
    source: 'content.Identifier',
    destination: '_id',
    name: 'id',
    description: 'Identifier field',
  },
  { sourceType: 'ATTRIBUTE', source: 'content.Identifier', destination: `${tenant}.Identifier` },
  {
    sourceType: 'ATTRIBUTE',
    source: 'content.Language',
    destination: `${tenant}.Language`,
    description: 'Language field',
  },
  {
    sourceType: 'ATTRIBUTE',
    source: 'content.CreatedDate',
    destination: `${tenant}.CreatedDate`,
    description: 'Created Date field',
  },
  {
    sourceType: 'ATTRIBUTE',
    source: 'content.LastUpdatedDate',
    destination: `${tenant}.LastUpdatedDate`,
    description: 'Last Updated Date field',
  },
  { sourceType: 'ATTRIBUTE', source: 'content.DataElements', destination: `${tenant}.DataElements` },
  { sourceType: 'ATTRIBUTE', source: 'content.Purposes', destination: `${tenant}.Purposes` },
];
