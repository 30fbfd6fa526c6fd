/**
 * Schema Registry step: the tenant field group and the schema that the dataset follows. A field group or schema
 * that already has the title is reused when it holds every field the mapping writes to, and refused clearly
 * otherwise (titles are unique per organisation, so we cannot make a second one).
 */
import type { SandboxClient, XdmResource } from '../aep';
import { fieldGroupBody, missingTenantFields, schemaBody } from '../dataflow/target-schema';
import { asStep, checkFailure } from './aep-failure';
import { deleteEach } from './flow-service';
import { firstOf, namesOf, type DataflowRef } from './dataflow-ref';
import type { ActivityDependencies } from './dependencies';
import { mustLookFirst } from './look-first';

export interface TargetSchemaResult {
  /** Without the leading underscore. */
  tenantId: string;
  fieldGroupId: string;
  /** `$id` of the schema. */
  schemaId: string;
  schemaAltId: string;
  fieldGroupCreated: boolean;
  schemaCreated: boolean;
}

export function createSchemaRegistryActivities({ aep }: ActivityDependencies) {
  const registry = (dataflow: DataflowRef): SandboxClient['schemaRegistry'] =>
    aep.forSandbox(dataflow.sandbox).schemaRegistry;
  // The tenant id belongs to the organisation and never changes: ask once per worker, not once per dataflow.
  let tenantIdOfOrganisation: Promise<string> | undefined;
  const tenantIdOf = (api: SandboxClient['schemaRegistry']): Promise<string> => {
    tenantIdOfOrganisation ??= api.getStats().then(
      ({ tenantId }) => tenantId,
      (error: unknown) => {
        tenantIdOfOrganisation = undefined;
        throw error;
      },
    );
    return tenantIdOfOrganisation;
  };

  return {
    async ensureTargetSchema(input: {
      dataflow: DataflowRef;
      description: string;
      /** Paths below `_{tenant}` the mapping writes to, e.g. ["Identifier", "Purposes"]. */
      tenantFields: string[];
      /** Class fields the mapping writes to, e.g. ["_id"]. */
      classFields: string[];
      /** false: the survey found neither the schema nor the field group (see look-first.ts). */
      lookFirst?: boolean;
    }): Promise<TargetSchemaResult> {
      return asStep('target-schema', async () => {
        const api = registry(input.dataflow);
        const tenantId = await tenantIdOf(api);
        const schemaTitle = input.dataflow.schemaTitle;
        const fieldGroupTitle = namesOf(input.dataflow).fieldGroupTitle;
        const lookFirst = mustLookFirst(input.lookFirst);

        const existingSchema = lookFirst
          ? await firstOf(api.listSchemas({ title: schemaTitle }), (s) => s.title === schemaTitle)
          : undefined;
        if (existingSchema) {
          const resolved = await api.getSchema(existingSchema['meta:altId'], 'xed-full');
          const lacking = [
            ...input.classFields.filter((field) => !hasRootProperty(resolved, field)),
            ...missingTenantFields(resolved, tenantId, input.tenantFields).map((field) => `_${tenantId}.${field}`),
          ];
          if (lacking.length > 0) {
            throw checkFailure(
              'target-schema',
              `a schema titled "${schemaTitle}" already exists but lacks ${lacking.join(', ')}: ` +
                'choose another target.schemaTitle (titles are unique) or add those fields to it',
            );
          }
          const ourFieldGroup = await firstOf(
            api.listFieldGroups({ title: fieldGroupTitle }),
            (f) => f.title === fieldGroupTitle,
          );
          const fieldGroupId = ourFieldGroup?.$id ?? tenantFieldGroupOf(resolved) ?? '';
          return {
            tenantId,
            fieldGroupId,
            schemaId: resolved.$id,
            schemaAltId: resolved['meta:altId'],
            fieldGroupCreated: false,
            schemaCreated: false,
          };
        }

        let fieldGroup: XdmResource;
        let fieldGroupCreated = false;
        const existingFieldGroup = lookFirst
          ? await firstOf(api.listFieldGroups({ title: fieldGroupTitle }), (f) => f.title === fieldGroupTitle)
          : undefined;
        if (existingFieldGroup) {
          fieldGroup = await api.getFieldGroup(existingFieldGroup['meta:altId'], 'xed');
          const lacking = missingTenantFields(fieldGroup, tenantId, input.tenantFields);
          if (lacking.length > 0) {
            throw checkFailure(
              'target-schema',
              `a field group titled "${fieldGroupTitle}" already exists but lacks ${lacking.map((f) => `_${tenantId}.${f}`).join(', ')}: ` +
                'choose another target.schemaTitle or delete that field group',
            );
          }
        } else {
          fieldGroup = await api.createFieldGroup(
            fieldGroupBody({ tenantId, title: fieldGroupTitle, description: input.description }),
          );
          fieldGroupCreated = true;
        }

        const schema = await api.createSchema(
          schemaBody({ title: schemaTitle, description: input.description, fieldGroupId: fieldGroup.$id }),
        );
        return {
          tenantId,
          fieldGroupId: fieldGroup.$id,
          schemaId: schema.$id,
          schemaAltId: schema['meta:altId'],
          fieldGroupCreated,
          schemaCreated: true,
        };
      });
    },

    /** Compensation and teardown: the schema first (it references the field group), each only when asked. */
    async deleteTargetSchema(input: {
      dataflow: DataflowRef;
      removeSchema: boolean;
      removeFieldGroup: boolean;
      schemaId?: string;
      fieldGroupId?: string;
    }): Promise<{ deleted: string[] }> {
      return asStep('delete target schema', async () => {
        const api = registry(input.dataflow);
        const deleted: string[] = [];
        if (input.removeSchema) {
          const title = input.dataflow.schemaTitle;
          const named = await firstOf(api.listSchemas({ title }), (s) => s.title === title);
          const ids = [...new Set([named?.['meta:altId'], input.schemaId].filter((id): id is string => !!id))];
          deleted.push(...(await deleteEach(ids, (id) => api.deleteSchema(id))).deleted);
        }
        if (input.removeFieldGroup) {
          const title = namesOf(input.dataflow).fieldGroupTitle;
          const named = await firstOf(api.listFieldGroups({ title }), (f) => f.title === title);
          const ids = [...new Set([named?.['meta:altId'], input.fieldGroupId].filter((id): id is string => !!id))];
          deleted.push(...(await deleteEach(ids, (id) => api.deleteFieldGroup(id))).deleted);
        }
        return { deleted };
      });
    },
  };
}

function hasRootProperty(resolved: XdmResource, field: string): boolean {
  return typeof resolved.properties === 'object' && resolved.properties !== null && field in resolved.properties;
}

/** A reused schema's tenant field group, from `meta:extends` (tenant resources live under ns.adobe.com/<tenant>/mixins). */
function tenantFieldGroupOf(resolved: XdmResource): string | undefined {
  return resolved['meta:extends']?.find((id) => /\/mixins\//.test(id) && !id.startsWith('https://ns.adobe.com/xdm/'));
}
