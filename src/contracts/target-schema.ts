/**
 * The XDM target the product builds for OneTrust consent data: one tenant field group holding the fields the
 * seed maps to (Identifier, Language, CreatedDate, LastUpdatedDate, DataElements, Purposes under `_{tenant}`),
 * and a schema of the XDM Individual Profile class (which brings `_id`) extended by that field group.
 * Defined here, in code, so a spec's custom mapping can be checked against it before any API call.
 */

/** The class the schema implements. Profile: consent belongs to a person, and the class carries `_id`. */
export const targetClassId = 'https://ns.adobe.com/xdm/context/profile';

/** Fields the class itself provides that mappings may write to. */
export const classFieldPaths = ['_id'] as const;

/** The seed's placeholder for the tenant namespace in mapping destinations: `_{TENANT_ID}.Identifier`. */
export const tenantPlaceholder = '{TENANT_ID}';

export type XdmField =
  | { type: 'string' | 'integer' | 'boolean'; format?: 'date-time'; title: string; description?: string }
  | { type: 'object'; title: string; description?: string; properties: Record<string, XdmField> }
  | { type: 'array'; title: string; description?: string; items: XdmField };

const text = (title: string): XdmField => ({ type: 'string', title });
const dateTime = (title: string): XdmField => ({ type: 'string', format: 'date-time', title });
const integer = (title: string): XdmField => ({ type: 'integer', title });
const flag = (title: string): XdmField => ({ type: 'boolean', title });
const objectOf = (title: string, properties: Record<string, XdmField>): XdmField => ({
  type: 'object',
  title,
  properties,
});
const listOf = (title: string, items: XdmField): XdmField => ({ type: 'array', title, items });

const consentChoice = (title: string) =>
  objectOf(title, { Id: text('Id'), Name: text('Name'), IsConsented: flag('Is consented') });

/** The OneTrust consent fields, as they sit under `_{tenant}` (PascalCase, like OneTrust's own records). */
export const oneTrustConsentFields: Record<string, XdmField> = {
  Identifier: text('Identifier'),
  Language: text('Language'),
  CreatedDate: dateTime('Created date'),
  LastUpdatedDate: dateTime('Last updated date'),
  DataElements: listOf('Data elements', objectOf('Data element', { Name: text('Name'), Value: text('Value') })),
  Purposes: listOf(
    'Purposes',
    objectOf('Purpose', {
      Id: text('Id'),
      Name: text('Name'),
      Version: integer('Version'),
      Status: text('Status'),
      FirstTransactionDate: dateTime('First transaction date'),
      LastTransactionDate: dateTime('Last transaction date'),
      ConsentDate: dateTime('Consent date'),
      WithdrawalDate: dateTime('Withdrawal date'),
      ExpiryDate: dateTime('Expiry date'),
      TotalTransactionCount: integer('Total transaction count'),
      LastTransactionCollectionPointId: text('Last transaction collection point id'),
      LastTransactionCollectionPointVersion: integer('Last transaction collection point version'),
      Topics: listOf('Topics', consentChoice('Topic')),
      CustomPreferences: listOf(
        'Custom preferences',
        objectOf('Custom preference', {
          Id: text('Id'),
          Name: text('Name'),
          Options: listOf('Options', consentChoice('Option')),
        }),
      ),
    }),
  ),
};

/**
 * Every path a mapping may write to, relative to the tenant object: top-level fields and the properties of
 * nested objects (array items are written whole, as the seed does with DataElements and Purposes).
 */
export function tenantFieldPaths(fields: Record<string, XdmField> = oneTrustConsentFields): string[] {
  const paths: string[] = [];
  const walk = (prefix: string, properties: Record<string, XdmField>) => {
    for (const [name, field] of Object.entries(properties)) {
      const path = prefix ? `${prefix}.${name}` : name;
      paths.push(path);
      if (field.type === 'object') walk(path, field.properties);
    }
  };
  walk('', fields);
  return paths;
}

export interface ParsedDestination {
  /** `undefined` for class fields such as `_id`. */
  namespace?: string;
  /** Path below the namespace, or the class field itself. */
  fieldPath: string;
}

/** `_{TENANT_ID}.Language` → { namespace: '{TENANT_ID}', fieldPath: 'Language' }; `_id` → { fieldPath: '_id' }. */
export function parseDestination(destination: string): ParsedDestination {
  if ((classFieldPaths as readonly string[]).includes(destination)) return { fieldPath: destination };
  const match = /^_([^.]+)\.(.+)$/.exec(destination);
  if (!match) return { fieldPath: destination };
  return { namespace: match[1], fieldPath: match[2] as string };
}

/** Why a destination is not a field of the target schema, or undefined when it is. */
export function destinationProblem(destination: string): string | undefined {
  const parsed = parseDestination(destination);
  if (parsed.namespace === undefined) {
    if ((classFieldPaths as readonly string[]).includes(parsed.fieldPath)) return undefined;
    return (
      `"${destination}" is not a field of the target schema: custom fields live under the tenant namespace, ` +
      `e.g. "_${tenantPlaceholder}.Language"; the class provides only ${classFieldPaths.join(', ')}`
    );
  }
  if (tenantFieldPaths().includes(parsed.fieldPath)) return undefined;
  return (
    `"${destination}" is not a field of the target schema (it has ${classFieldPaths.join(', ')} and ` +
    `_${tenantPlaceholder}.{${Object.keys(oneTrustConsentFields).join(', ')}})`
  );
}

/** Replaces the `{TENANT_ID}` placeholder with the organisation's tenant id (from Schema Registry /stats). */
export function withTenant(destination: string, tenantId: string): string {
  return destination.split(tenantPlaceholder).join(tenantId);
}

function toXdmJson(field: XdmField): Record<string, unknown> {
  switch (field.type) {
    case 'object':
      return {
        type: 'object',
        title: field.title,
        ...(field.description ? { description: field.description } : {}),
        properties: Object.fromEntries(Object.entries(field.properties).map(([name, f]) => [name, toXdmJson(f)])),
      };
    case 'array':
      return { type: 'array', title: field.title, items: toXdmJson(field.items) };
    default:
      return { ...field };
  }
}

/** POST /tenant/fieldgroups body. */
export function fieldGroupBody(input: { tenantId: string; title: string; description: string }): object {
  return {
    type: 'object',
    title: input.title,
    description: input.description,
    'meta:intendedToExtend': [targetClassId],
    definitions: {
      oneTrustConsent: {
        properties: {
          [`_${input.tenantId}`]: {
            type: 'object',
            properties: Object.fromEntries(
              Object.entries(oneTrustConsentFields).map(([name, field]) => [name, toXdmJson(field)]),
            ),
          },
        },
      },
    },
    allOf: [{ $ref: '#/definitions/oneTrustConsent' }],
  };
}

/** POST /tenant/schemas body: the profile class plus our field group. */
export function schemaBody(input: { title: string; description: string; fieldGroupId: string }): object {
  return {
    type: 'object',
    title: input.title,
    description: input.description,
    allOf: [{ $ref: targetClassId }, { $ref: input.fieldGroupId }],
  };
}

/**
 * The tenant fields a resolved (xed-full) schema or field group lacks, so an existing one with the right title
 * can be reused only when it really holds what the mapping writes to.
 */
export function missingTenantFields(resolved: unknown, tenantId: string, required: string[]): string[] {
  const tenantObject = findProperty(resolved, `_${tenantId}`);
  return required.filter((path) => {
    let node: unknown = tenantObject;
    for (const segment of path.split('.')) node = findProperty(node, segment);
    return node === undefined;
  });
}

/** Looks a property up in `properties`, in every `definitions` entry and through `allOf` (raw field groups). */
function findProperty(node: unknown, name: string): unknown {
  if (!isRecord(node)) return undefined;
  const properties = isRecord(node.properties) ? node.properties : undefined;
  if (properties && name in properties) return properties[name];
  for (const container of [node.definitions, node.allOf]) {
    const children = Array.isArray(container) ? container : isRecord(container) ? Object.values(container) : [];
    for (const child of children) {
      const found = findProperty(child, name);
      if (found !== undefined) return found;
    }
  }
  return undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
