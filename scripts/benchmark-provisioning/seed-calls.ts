/**
 * The tutorial's calls as a person would paste them into a shell script: the tenant look-up, the eight creates and
 * the explore preview, one after the other, with no look-ups and no retries. The baseline provisioning must beat.
 */
import type { AepClient } from '../../src/aep';
import { defaultMapping } from '../../src/contracts/default-mapping';
import {
  dataLakeConnectionSpec,
  oneTrustConnectionSpec,
  oneTrustFlowSpec,
  xdmFullContentType,
} from '../../src/contracts/platform-ids';
import { fieldGroupBody, schemaBody, withTenant } from '../../src/contracts/target-schema';

export async function seedCallsInSequence(
  aep: AepClient,
  sandbox: string,
  token: string,
  target: { schemaTitle: string; datasetName: string },
): Promise<void> {
  const api = aep.forSandbox(sandbox);
  const { tenantId } = await api.schemaRegistry.getStats();
  const base = await api.flowService.createConnection({
    name: 'base',
    connectionSpec: { ...oneTrustConnectionSpec },
    auth: { specName: 'OAuth2 Refresh Code', params: { accessToken: token } },
  });
  await api.flowService.exploreConnection(base.id, {
    objectType: 'rest',
    object: 'json',
    fileType: 'json',
    preview: true,
  });
  const source = await api.flowService.createSourceConnection({
    name: 'source',
    baseConnectionId: base.id,
    connectionSpec: { ...oneTrustConnectionSpec },
    data: { format: 'json' },
    params: {},
  });
  const fieldGroup = await api.schemaRegistry.createFieldGroup(
    fieldGroupBody({ tenantId, title: `${target.schemaTitle} fields`, description: 'bench' }),
  );
  const schema = await api.schemaRegistry.createSchema(
    schemaBody({ title: target.schemaTitle, description: 'bench', fieldGroupId: fieldGroup.$id }),
  );
  const datasetId = await api.catalog.createDataset({
    name: target.datasetName,
    schemaRef: { id: schema.$id, contentType: xdmFullContentType },
  });
  const targetConnection = await api.flowService.createTargetConnection({
    name: 'target',
    connectionSpec: { ...dataLakeConnectionSpec },
    data: { format: 'json' },
    params: { dataSetId: datasetId },
  });
  const mapping = await api.dataPrep.createMappingSet({
    outputSchema: { schemaRef: { id: schema.$id, contentType: xdmFullContentType } },
    mappings: defaultMapping.map((rule) => ({ ...rule, destination: withTenant(rule.destination, tenantId) })),
  });
  await api.flowService.createFlow({
    name: 'flow',
    flowSpec: { ...oneTrustFlowSpec },
    sourceConnectionIds: [source.id],
    targetConnectionIds: [targetConnection.id],
    transformations: [{ name: 'Mapping', params: { mappingId: mapping.id, mappingVersion: mapping.version } }],
    scheduleParams: { startTime: String(Math.floor(Date.now() / 1000) + 60), frequency: 'minute', interval: 15 },
  });
}
