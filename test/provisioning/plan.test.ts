/**
 * `plan`: what provisioning a spec would do, read without a single write (checked against the simulator's request
 * log), per resource create / keep / change with the fields that differ; exit 0 when nothing would change, 2 when
 * something would, and 2 on a bad spec as every verb (then nothing is planned).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectTemporal } from '../../src/temporal/temporal-client';
import { exitCodes } from '../../src/runtime/command-io';
import { planExitCodes, runPlan } from '../../src/cli/plan-command';
import type { DataflowPlan } from '../../src/contracts/plan-activities';
import { reapplyNotice } from '../../scripts/demo/reapplied-spec';
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
      path,
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
    const { exitCode, stdout, plan: result, writes, reads, path } = await plan(scenario);
    assert.equal(exitCode, planExitCodes.changes, stdout);
    assert.deepEqual(
      result.resources.map((resource) => resource.action),
      Array.from({ length: 7 }, () => 'create'),
    );
    assert.match(stdout, /\+ \[1\/8\] Base connection: create/);
    assert.match(stdout, new RegExp(`^  apply with: npm run client -- provision ${path}$`, 'm'), 'the very command');
    assert.ok(reads > 0, 'it did read AEP');
    assert.deepEqual(writes, [], 'plan wrote nothing');
    assert.deepEqual(reapplyNotice(result, path), [], 'a first demo has nothing to put back');
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

    // `npm run demo` provisions its example again: from this very plan it says what that puts back.
    assert.deepEqual(reapplyNotice(same.plan, 'examples/x.json'), [], 'nothing to say when nothing changes');
    const notice = reapplyNotice(changed.plan, 'examples/x.json');
    assert.match(notice[0]!, /differs from examples\/x\.json\. The demo applies examples\/x\.json again/);
    assert.ok(notice.includes(`  - Dataflow: ${flow.changes![0]}`), notice.join('\n'));
    assert.ok(notice.includes('  - Monitor: token warnings 30d, 7d, 1d → 30d'), notice.join('\n'));
  });

  it('of a bad spec: bad input, exit 2 as provision, the problems under one header, and nothing planned', async function () {
    const path = join(specDirectory, 'bad-interval.json');
    const { spec, env } = await newScenario();
    writeFileSync(path, JSON.stringify({ ...spec, schedule: { frequency: 'minute', interval: 5 } }));
    let connected = false;
    const connect = (env: NodeJS.ProcessEnv) => ((connected = true), connectTemporal(env));
    const out: string[] = [];
    const err: string[] = [];
    const io = { out: (text: string) => out.push(text), err: (text: string) => err.push(text), env };

    assert.equal(await runPlan([path], { json: false }, { io, connect }), exitCodes.invalidInput);
    assert.deepEqual(out, []);
    const said = err.join('');
    assert.equal(said.match(/Invalid dataflow spec/g)?.length, 1, said);
    assert.match(
      said,
      /^Invalid dataflow specs; nothing was planned:\n {2}\S+bad-interval\.json: schedule\.interval: /,
    );

    const json: string[] = [];
    const jsonCode = await runPlan([path], { json: true }, { io: { ...io, out: (text) => json.push(text) }, connect });
    assert.equal(jsonCode, exitCodes.invalidInput);
    const refusal = JSON.parse(json.join('')) as { ok: boolean; error: string; problems: Array<{ field: string }> };
    assert.equal(refusal.ok, false);
    assert.equal(refusal.error, 'invalid-spec');
    assert.deepEqual(
      refusal.problems.map((problem) => problem.field),
      ['schedule.interval'],
    );
    assert.equal(connected, false, 'nothing was asked of Temporal');
  });
});
