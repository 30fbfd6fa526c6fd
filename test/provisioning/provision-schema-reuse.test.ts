/**
 * Schema Registry titles are unique, so provisioning makes the field group and the schema at once, without looking
 * for them first, and AEP's refusal of a title that exists is what tells it to look. A target schema that already
 * has the spec's title is reused when it holds every field the mapping writes to, and refused with a clear message
 * when it does not. What provisioning reused is never deleted by its rollback; what a lost answer hid from it is.
 */
import assert from 'node:assert/strict';
import { fieldGroupBody, schemaBody } from '../../src/contracts/target-schema';
import {
  noneOfAny,
  newScenario,
  provision,
  provisionExpectingFailure,
  resourceCounts,
  simulatorAdmin,
  type Scenario,
  useProvisioningWorker,
} from './provisioning-fixtures';

describe('provisioning with a target schema that already exists', function () {
  const { taskQueue, worker } = useProvisioningWorker('provisioning-reuse');

  /** Another dataflow in the same sandbox, writing to the same schema but its own dataset. */
  function sibling(first: Scenario, name: string): Scenario {
    const target = first.spec.target as { schemaTitle: string };
    return {
      ...first,
      name,
      spec: { ...first.spec, name, target: { schemaTitle: target.schemaTitle, datasetName: `${name} dataset` } },
    };
  }

  it('reuses a schema that fits, and its rollback leaves that schema in place', async () => {
    const first = { ...(await newScenario()), taskQueue };
    const firstResult = await provision(first);

    const second = sibling(first, 'consent-b');
    const secondResult = await provision(second);
    assert.equal(secondResult.ids.schemaId, firstResult.ids.schemaId);
    assert.equal(secondResult.ids.fieldGroupId, firstResult.ids.fieldGroupId);
    assert.ok(secondResult.reused.includes('target-schema'));
    const afterTwo = await resourceCounts(first.sandbox);
    assert.deepEqual(afterTwo, {
      connections: 2,
      sourceConnections: 2,
      fieldGroups: 1,
      schemas: 1,
      dataSets: 2,
      targetConnections: 2,
      mappingSets: 2,
      flows: 2,
    });

    const third = sibling(first, 'consent-c');
    await (
      await simulatorAdmin()
    ).addFault({ method: 'POST', path: '/data/foundation/flowservice/flows(\\?|$)', status: 400, times: 1 });
    const { failure } = await provisionExpectingFailure(third);
    assert.equal(failure.step, 'dataflow');
    assert.deepEqual(await resourceCounts(first.sandbox), afterTwo, 'only consent-c’s own resources were deleted');
  });

  it('refuses a schema with the title that lacks mapped fields, naming them, and leaves it alone', async () => {
    const scenario = { ...(await newScenario()), taskQueue };
    const schemaTitle = (scenario.spec.target as { schemaTitle: string }).schemaTitle;
    const registry = worker().aep.forSandbox(scenario.sandbox).schemaRegistry;
    const { tenantId } = await registry.getStats();
    const partial = fieldGroupBody({ tenantId, title: 'Someone else’s consent fields', description: 'not ours' }) as {
      definitions: { oneTrustConsent: { properties: Record<string, { properties: Record<string, unknown> }> } };
    };
    const tenantProperties = partial.definitions.oneTrustConsent.properties[`_${tenantId}`]!.properties;
    for (const field of Object.keys(tenantProperties)) if (field !== 'Identifier') delete tenantProperties[field];
    const fieldGroup = await registry.createFieldGroup(partial);
    await registry.createSchema(
      schemaBody({ title: schemaTitle, description: 'not ours', fieldGroupId: fieldGroup.$id }),
    );

    const { failure } = await provisionExpectingFailure(scenario);

    assert.equal(failure.step, 'target-schema');
    assert.match(
      failure.message,
      new RegExp(
        `a schema titled "${schemaTitle}" already exists but lacks _${tenantId}\\.Language, .*_${tenantId}\\.Purposes`,
      ),
    );
    assert.deepEqual(await resourceCounts(scenario.sandbox), {
      connections: 0,
      sourceConnections: 0,
      fieldGroups: 1,
      schemas: 1,
      dataSets: 0,
      targetConnections: 0,
      mappingSets: 0,
      flows: 0,
    });
  });

  it('makes the field group and the schema without looking for them first', async () => {
    const scenario = { ...(await newScenario()), taskQueue };
    await provision(scenario);

    const registryCalls = (await (await simulatorAdmin()).requests(scenario.sandbox))
      .filter((entry) => /\/schemaregistry\/tenant\/(schemas|fieldgroups|mixins)/.test(entry.path))
      .map((entry) => `${entry.method} ${entry.path.replace(/\?.*$/, '')}`);
    assert.deepEqual(registryCalls, [
      'POST /data/foundation/schemaregistry/tenant/fieldgroups',
      'POST /data/foundation/schemaregistry/tenant/schemas',
    ]);
  });

  it('reuses a hand-made schema with the title, and deletes at once the field group it made before finding it', async () => {
    const scenario = { ...(await newScenario()), taskQueue };
    const schemaTitle = (scenario.spec.target as { schemaTitle: string }).schemaTitle;
    const registry = worker().aep.forSandbox(scenario.sandbox).schemaRegistry;
    const { tenantId } = await registry.getStats();
    const handMade = await registry.createFieldGroup(
      fieldGroupBody({ tenantId, title: 'Consent fields made by hand', description: 'not ours' }),
    );
    await registry.createSchema(
      schemaBody({ title: schemaTitle, description: 'not ours', fieldGroupId: handMade.$id }),
    );

    const result = await provision(scenario);

    assert.ok(result.reused.includes('target-schema'), JSON.stringify(result.reused));
    assert.equal(result.ids.fieldGroupId, handMade.$id);
    const counts = await resourceCounts(scenario.sandbox);
    assert.equal(counts.fieldGroups, 1, 'only the hand-made field group is left');
    assert.equal(counts.schemas, 1);
  });

  it('rolls back the schema a lost answer hid from it: the retry finds it made since the run began, with our mark', async () => {
    const scenario = { ...(await newScenario()), taskQueue };
    const admin = await simulatorAdmin();
    await admin.addFault({
      method: 'POST',
      path: '/data/foundation/schemaregistry/tenant/schemas(\\?|$)',
      dropAfterCommit: true,
      times: 1,
    });
    await admin.addFault({ method: 'POST', path: '/data/foundation/flowservice/flows(\\?|$)', status: 400, times: 1 });

    const { failure } = await provisionExpectingFailure(scenario);

    assert.equal(failure.step, 'dataflow');
    assert.ok(
      failure.rolledBack.some((entry) => entry.startsWith('target schema ')),
      failure.rolledBack.join('; '),
    );
    assert.deepEqual(await resourceCounts(scenario.sandbox), noneOfAny);
  });
});
