/**
 * A bad spec is refused by `provision` before anything starts: a clear message naming the field, exit code 2,
 * no Temporal connection and not one call to the platform.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runProvision } from '../../src/cli/provision-command';
import { exitCodes, type CommandIo } from '../../src/runtime/command-io';
import { getSimulator } from '../harness/simulator';
import { newScenario, platformCallCount, type Scenario } from './provisioning-fixtures';

interface Captured {
  io: CommandIo;
  stdout: string[];
  stderr: string[];
}

function captureIo(env: NodeJS.ProcessEnv): Captured {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return { io: { out: (text) => stdout.push(text), err: (text) => stderr.push(text), env }, stdout, stderr };
}

const specDirectory = mkdtempSync(join(tmpdir(), 'bad-specs-'));

function writeSpec(name: string, spec: unknown): string {
  const path = join(specDirectory, `${name}.json`);
  writeFileSync(path, JSON.stringify(spec, null, 2));
  return path;
}

const past = new Date(Date.now() - 3_600_000).toISOString();

const badSpecs: Array<{
  problem: string;
  field: string;
  explains: RegExp;
  change: (spec: Record<string, unknown>, scenario: Scenario) => { spec: unknown; env?: NodeJS.ProcessEnv };
}> = [
  {
    problem: 'an unknown frequency',
    field: 'schedule.frequency',
    explains: /must be one of once, minute, hour, day, week \(got "fortnight"\)/,
    change: (spec) => ({ spec: { ...spec, schedule: { frequency: 'fortnight', interval: 15 } } }),
  },
  {
    problem: 'interval 5 with frequency minute',
    field: 'schedule.interval',
    explains: /must be ≥ 15 for frequency "minute" \(got 5\)/,
    change: (spec) => ({ spec: { ...spec, schedule: { frequency: 'minute', interval: 5 } } }),
  },
  {
    problem: 'a start time in the past',
    field: 'schedule.startTime',
    explains: /is in the past/,
    change: (spec) => ({ spec: { ...spec, schedule: { frequency: 'hour', interval: 15, startTime: past } } }),
  },
  {
    problem: 'a missing token',
    field: 'onetrust.accessToken',
    explains: /environment variable ONETRUST_ACCESS_TOKEN is not set or empty/,
    change: (spec) => ({ spec, env: {} }),
  },
  {
    problem: 'an unreadable token file',
    field: 'onetrust.accessToken',
    explains: /cannot read the file .*no-such-token-file \(ENOENT\)/,
    change: (spec) => ({ spec: { ...spec, onetrust: { accessToken: { file: 'no-such-token-file' } } } }),
  },
  {
    problem: 'a token written inline',
    field: 'onetrust.accessToken',
    explains: /must not be written inline/,
    change: (spec, scenario) => ({ spec: { ...spec, onetrust: { accessToken: scenario.token } } }),
  },
  {
    problem: 'a bad sandbox name',
    field: 'sandbox',
    explains: /must be an AEP sandbox name/,
    change: (spec) => ({ spec: { ...spec, sandbox: 'Prod Sandbox!' } }),
  },
  {
    problem: 'a mapping to a field the schema lacks',
    field: 'mapping[1].destination',
    explains: /"_\{TENANT_ID\}\.ShoeSize" is not a field of the target schema/,
    change: (spec) => ({
      spec: {
        ...spec,
        mapping: [
          { source: 'content.Identifier', destination: '_id' },
          { source: 'content.Language', destination: '_{TENANT_ID}.ShoeSize' },
        ],
      },
    }),
  },
];

describe('provision refuses a bad spec before any API call', function () {
  for (const { problem, field, explains, change } of badSpecs) {
    it(`refuses ${problem}, naming ${field}`, async () => {
      const scenario = await newScenario();
      const { spec, env = scenario.env } = change(scenario.spec, scenario);
      const captured = captureIo(env);
      await getSimulator();
      const sandbox = (spec as { sandbox: string }).sandbox;
      let connected = false;

      const exitCode = await runProvision(
        writeSpec(problem.replace(/\W+/g, '-'), spec),
        { wait: true, json: false },
        {
          io: captured.io,
          connect: () => {
            connected = true;
            throw new Error('a bad spec must not reach Temporal');
          },
        },
      );

      assert.equal(exitCode, exitCodes.invalidInput);
      const errorText = captured.stderr.join('\n');
      assert.match(errorText, new RegExp(`- ${field.replace(/[[\].]/g, '\\$&')}: `), errorText);
      assert.match(errorText, explains);
      assert.equal(connected, false, 'no Temporal connection');
      assert.equal(await platformCallCount(sandbox), 0, 'no API call in the sandbox');
      assert.ok(!captured.stdout.join('').includes(scenario.token) && !errorText.includes(scenario.token));
    });
  }

  it('reports the problems as JSON with --json', async () => {
    const scenario = await newScenario({ schedule: { frequency: 'minute', interval: 5 } });
    const captured = captureIo(scenario.env);
    const exitCode = await runProvision(
      writeSpec('json-report', scenario.spec),
      { wait: true, json: true },
      { io: captured.io, connect: () => Promise.reject(new Error('must not connect')) },
    );
    assert.equal(exitCode, exitCodes.invalidInput);
    const report = JSON.parse(captured.stdout.join('\n')) as { ok: boolean; problems: Array<{ field: string }> };
    assert.equal(report.ok, false);
    assert.deepEqual(
      report.problems.map((entry) => entry.field),
      ['schedule.interval'],
    );
  });
});
