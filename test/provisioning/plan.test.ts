/**
 * `plan`: what provisioning a spec would do, read without a single write (checked against the simulator's request
 * log), per resource create / keep / change with the fields that differ; exit 0 when nothing would change, 2 when
 * something would.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectTemporal } from '../../src/cli/temporal-client';
import { planExitCodes, runPlan } from '../../src/cli/plan-command';
import type { DataflowPlan } from '../../src/activities';
import { childProcessEnv } from '../harness/test-worker';
import { newScenario, provision, simulatorAdmin, type Scenario, useProvisioningWorker } from './provisioning-fixtures';

describe('plan', function () {
  const { taskQueue } = useProvisioningWorker('plan');
  const specDirectory = mkdtempSync(join(tmpdir(), 'plan-specs-'));

  async function plan(scenario: Scenario, spec: Record<string, unknown> = scenario.spec) {
    const path = join(specDirectory, `${scenario.sandbox}.json`);
    writeFileSync(path, JSON.stringify(spec));
    const out: string[] = [];
    const err: string[] = [];
    const env = { ...(await childProcessEnv(taskQueue)), ...scenario.env, TASK_QUEUE: taskQueue };
    const io = { out: (text: string) => out.push(text), err: (text: string) => err.push(text), env };
    const admin = await simulatorAdmin();
    const before = (await admin.requests(scenario.sandbox)).length;
    const exitCode = await runPlan([path], { json: false }, { io, connect: connectTemporal });
    const json: string[] = [];
    await runPlan([path], { json: true }, { io: { ...io, out: (text) => json.push(text) }, connect: connectTemporal });
    const during = (await admin.requests(scenario.sandbox)).slice(before);
    return {
      exitCode,
      stdout: out.join(''),
      stderr: err.join(''),
      plan: JSON.parse(json.join('')) as DataflowPlan,
      writes: during.filter((entry) => entry.method !== 'GET'),
      reads: during.length,
    };
  }

  it('of a new dataflow: every resource to create, exit 2, and not one write', async function () {
    this.timeout(60_000);
    const scenario = { ...(await newScenario()), taskQueue };
    const { exitCode, stdout, plan: result, writes, reads } = await plan(scenario);
    assert.equal(exitCode, planExitCodes.changes, stdout);
    assert.deepEqual(
      result.resources.map((resource) => resource.action),
      Array.from({ length: 7 }, () => 'create'),
    );
    assert.match(stdout, /\+ \[1\/8\] Base connection: create/);
    assert.ok(reads > 0, 'it did read AEP');
    assert.deepEqual(writes, [], 'plan wrote nothing');
  });

  it('of a provisioned dataflow: nothing to do (exit 0); a changed spec: the field-level differences (exit 2)', async function () {
    this.timeout(90_000);
    const scenario = { ...(await newScenario()), taskQueue };
    await provision(scenario);

    const same = await plan(scenario);
    assert.equal(same.exitCode, planExitCodes.nothingToDo, same.stdout);
    assert.match(same.stdout, /nothing to do/);
    assert.ok(
      same.plan.resources.every((resource) => resource.action === 'keep'),
      same.stdout,
    );
    assert.equal(same.plan.token.action, 'keep');
    assert.deepEqual(same.writes, []);

    const schedule = scenario.spec.schedule as Record<string, unknown>;
    const changed = await plan(scenario, {
      ...scenario.spec,
      description: 'Every half hour now',
      schedule: { ...schedule, interval: Number(schedule.interval) + 15 },
      monitor: { tokenWarnings: ['30d'] },
      mapping: [
        { sourceType: 'ATTRIBUTE', source: 'content.Identifier', destination: '_{TENANT_ID}.Identifier' },
        { sourceType: 'ATTRIBUTE', source: 'content.Language', destination: '_{TENANT_ID}.Language' },
      ],
    });
    assert.equal(changed.exitCode, planExitCodes.changes, changed.stdout);
    const flow = changed.plan.resources.find((resource) => resource.key === 'dataflow')!;
    assert.equal(flow.action, 'change');
    assert.ok(
      flow.changes?.includes(`schedule.interval ${Number(schedule.interval)} → ${Number(schedule.interval) + 15}`),
      JSON.stringify(flow),
    );
    assert.ok(
      flow.changes?.some(
        (change) => change.startsWith('description changed: ') && change.endsWith(': Every half hour now"'),
      ),
    );
    const mapping = changed.plan.resources.find((resource) => resource.key === 'mapping-set')!;
    assert.equal(mapping.action, 'change');
    assert.match(mapping.changes?.join(' ') ?? '', /rule\(s\) removed/);
    assert.match(changed.stdout, /~ \[8\/8\] Dataflow: change/);
    assert.deepEqual(changed.plan.monitor, [`token warnings 30d, 7d, 1d → 30d`]);
    assert.match(changed.stdout, /~ Monitor: token warnings 30d, 7d, 1d → 30d/);
    assert.deepEqual(changed.writes, [], 'plan wrote nothing');
  });
});
