/**
 * `npm run client -- provision <folder | several specs>`, run as users run it (`npx tsx src/client.ts`) against the
 * shared Temporal dev server and simulator, with an in-process worker: every spec is checked before anything
 * starts, each dataflow gets its own provisioning workflow, and the summary, the JSON lines and the exit code
 * say how each one ended. Also the progress board's two ways of showing progress, in-process.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WorkflowNotFoundError } from '@temporalio/client';
import type { BulkDataflowReport } from '../../src/cli/bulk-report';
import { exitCodes } from '../../src/runtime/command-io';
import { ProgressBoard } from '../../src/cli/progress-board';
import { monitorWorkflowId, provisionWorkflowId, runFeedWorkflowId } from '../../src/contracts/workflow-ids';
import { getTemporal } from '../harness/temporal';
import { childProcessEnv, startTestWorker, type TestWorker } from '../harness/test-worker';
import {
  exactlyOneOfEach,
  mintOneTrustToken,
  noneOfAny,
  platformCallCount,
  resourceCounts,
  simulatorAdmin,
  uniqueName,
} from './provisioning-fixtures';
import { spawnTsx } from './spawned-process';

describe('provision with several specs', function () {
  this.timeout(60_000);
  const taskQueue = uniqueName('provision-bulk');
  let worker: TestWorker;
  let env: NodeJS.ProcessEnv;
  const sandboxesUsed: string[] = [];

  before(async function () {
    this.timeout(120_000);
    worker = await startTestWorker({ taskQueue });
    env = { ...(await childProcessEnv(taskQueue)), ONETRUST_ACCESS_TOKEN: await mintOneTrustToken() };
  });

  afterEach(async () => {
    await (await simulatorAdmin()).clearFaults();
  });

  after(async () => {
    // The monitors and run feeds the provisionings started would outlive this test's worker.
    const { client } = await getTemporal();
    const leftRunning = sandboxesUsed.flatMap((sandbox) => [
      monitorWorkflowId(sandbox, 'consent'),
      runFeedWorkflowId(sandbox),
    ]);
    await Promise.all(
      leftRunning.map((workflowId) =>
        client.workflow
          .getHandle(workflowId)
          .terminate('test over')
          .catch(() => undefined),
      ),
    );
    await worker?.stop();
  });

  /** A spec for a dataflow `consent` in a sandbox of its own, its token from ONETRUST_ACCESS_TOKEN. */
  function newSpec(overrides: Record<string, unknown> = {}): { sandbox: string; spec: Record<string, unknown> } {
    const sandbox = uniqueName('t');
    sandboxesUsed.push(sandbox);
    return {
      sandbox,
      spec: {
        name: 'consent',
        sandbox,
        onetrust: { accessToken: { env: 'ONETRUST_ACCESS_TOKEN' } },
        target: { schemaTitle: `OneTrust consent ${sandbox}`, datasetName: `OneTrust consent ${sandbox}` },
        schedule: { frequency: 'minute', interval: 15 },
        ...overrides,
      },
    };
  }

  /** Writes each spec as `<file name>` into a new folder; returns the folder. */
  function specFolder(files: Record<string, Record<string, unknown>>): string {
    const folder = mkdtempSync(join(tmpdir(), 'bulk-specs-'));
    for (const [fileName, spec] of Object.entries(files)) writeFileSync(join(folder, fileName), JSON.stringify(spec));
    return folder;
  }

  async function runCli(args: string[]) {
    const cli = spawnTsx('src/client.ts', ['provision', ...args], env);
    const exitCode = await cli.closed;
    return { exitCode, output: cli.output(), stdout: cli.stdout(), argv: cli.child.spawnargs.join(' ') };
  }

  it('provisions every spec of a folder, one JSON line each, and says they exist on a second run', async () => {
    const dataflows = [newSpec(), newSpec(), newSpec()];
    const folder = specFolder({
      'a.json': dataflows[0]!.spec,
      'b.json': dataflows[1]!.spec,
      'c.json': dataflows[2]!.spec,
    });
    // Not a spec: only *.json directly in the folder count.
    writeFileSync(join(folder, 'notes.txt'), 'not a spec');
    mkdirSync(join(folder, 'nested.json'));

    const first = await runCli([folder, '--json']);

    assert.equal(first.exitCode, exitCodes.ok, first.output);
    const reports = first.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as BulkDataflowReport);
    assert.equal(reports.length, 3, first.stdout);
    assert.deepEqual(reports.map((report) => report.status).sort(), ['provisioned', 'provisioned', 'provisioned']);
    assert.deepEqual(reports.map((report) => report.sandbox).sort(), dataflows.map(({ sandbox }) => sandbox).sort());
    const fileOf = new Map(dataflows.map(({ sandbox }, index) => [sandbox, join(folder, `${'abc'[index]}.json`)]));
    for (const report of reports) {
      assert.equal(report.workflowId, provisionWorkflowId(report.sandbox, 'consent'));
      assert.equal(report.spec, fileOf.get(report.sandbox));
      assert.ok(report.ids?.flowId, 'the flow id is reported');
    }
    for (const { sandbox } of dataflows) assert.deepEqual(await resourceCounts(sandbox), exactlyOneOfEach, sandbox);
    assert.ok(!first.output.includes(env.ONETRUST_ACCESS_TOKEN!), 'the token is not in the output');
    assert.ok(!first.argv.includes(env.ONETRUST_ACCESS_TOKEN!), 'the token is not an argument');

    const second = await runCli([join(folder, 'a.json'), join(folder, 'b.json'), join(folder, 'c.json')]);

    assert.equal(second.exitCode, exitCodes.ok, second.output);
    assert.match(second.output, /^3 dataflows: 0 provisioned, 3 already existed, 0 failed\.$/m);
    for (const { sandbox } of dataflows) {
      // Not a terminal: a line per change of state, no cursor codes.
      assert.match(second.output, new RegExp(`^${sandbox}/consent: 8/8  already existed; matches the spec$`, 'm'));
      assert.deepEqual(await resourceCounts(sandbox), exactlyOneOfEach, sandbox);
    }
    assert.ok(!second.output.includes('\x1b['), 'no cursor codes');

    // One spec changed: that dataflow is changed to match it, and the summary says so.
    const changed = dataflows[1]!;
    writeFileSync(
      join(folder, 'b.json'),
      JSON.stringify({ ...changed.spec, schedule: { frequency: 'minute', interval: 30 } }),
    );
    const third = await runCli([folder]);
    assert.equal(third.exitCode, exitCodes.ok, third.output);
    assert.match(
      third.output,
      new RegExp(`^${changed.sandbox}/consent: 8/8  already existed; changed: schedule\\.interval 15 → 30$`, 'm'),
    );
    assert.match(
      third.output,
      /^3 dataflows: 0 provisioned, 3 already existed, 0 failed\. 1 changed to match their spec\.$/m,
    );
  });

  it('starts nothing when any spec is bad, and lists every problem with its file', async () => {
    const good = [newSpec(), newSpec()];
    const bad = newSpec({
      schedule: { frequency: 'minute', interval: 5 },
      onetrust: { accessToken: { env: 'BULK_TEST_TOKEN_NOT_SET' } },
    });
    const folder = specFolder({
      'good-1.json': good[0]!.spec,
      'good-2.json': good[1]!.spec,
      'bad.json': bad.spec,
      'twin.json': { ...good[0]!.spec, description: 'the same dataflow as good-1.json' },
    });

    const { exitCode, output } = await runCli([folder]);

    assert.equal(exitCode, exitCodes.invalidInput, output);
    assert.match(output, /Invalid dataflow specs; nothing was started:/);
    assert.match(output, new RegExp(`^  ${join(folder, 'bad.json')}: schedule.interval: must be ≥ 15`, 'm'));
    assert.match(
      output,
      new RegExp(
        `^  ${join(folder, 'bad.json')}: onetrust.accessToken: environment variable BULK_TEST_TOKEN_NOT_SET`,
        'm',
      ),
    );
    assert.match(
      output,
      new RegExp(
        `^  ${join(folder, 'twin.json')}: name: dataflow ${good[0]!.sandbox}/consent is already given by`,
        'm',
      ),
    );
    assert.doesNotMatch(output, /good-2\.json:/);

    const { client } = await getTemporal();
    for (const { sandbox } of [...good, bad]) {
      await assert.rejects(
        client.workflow.getHandle(provisionWorkflowId(sandbox, 'consent')).describe(),
        WorkflowNotFoundError,
        `no workflow for ${sandbox}`,
      );
      assert.equal(await platformCallCount(sandbox), 0, `no AEP call for ${sandbox}`);
    }
  });

  it('provisions the others when one fails, and names the failed step and AEP’s code', async () => {
    const dataflows = [newSpec(), newSpec(), newSpec()];
    const folder = specFolder({
      'a.json': dataflows[0]!.spec,
      'b.json': dataflows[1]!.spec,
      'c.json': dataflows[2]!.spec,
    });
    // The first mapping set to be created is refused for good (a 400 is not retried); the others go through.
    await (
      await simulatorAdmin()
    ).addFault({ method: 'POST', path: '/data/foundation/conversion/mappingSets(\\?|$)', status: 400, times: 1 });

    const { exitCode, output } = await runCli([folder]);

    assert.equal(exitCode, exitCodes.failed, output);
    assert.match(output, /^3 dataflows: 2 provisioned, 0 already existed, 1 failed\.$/m);
    const failed = dataflows.filter(({ sandbox }) =>
      new RegExp(`^  ${sandbox}/consent \\(.+\\): failed at step 7 of 8 \\(Mapping set\\)$`, 'm').test(output),
    );
    assert.equal(failed.length, 1, output);
    assert.match(output, /^ {4}HTTP status {2}400$/m);
    assert.match(output, /^ {4}AEP code {5}DATAPREP-\d+-400$/m);
    assert.match(
      output,
      new RegExp(
        `^${failed[0]!.sandbox}/consent: \\d/8  FAILED at step 7 \\(Mapping set\\): HTTP 400 DATAPREP-\\d+-400$`,
        'm',
      ),
    );
    for (const { sandbox } of dataflows) {
      const expected = sandbox === failed[0]!.sandbox ? noneOfAny : exactlyOneOfEach;
      assert.deepEqual(await resourceCounts(sandbox), expected, sandbox);
    }
  });

  it('with --no-wait, starts every workflow and returns at once, one JSON line each', async () => {
    const dataflows = [newSpec(), newSpec()];
    const folder = specFolder({ 'a.json': dataflows[0]!.spec, 'b.json': dataflows[1]!.spec });

    const { exitCode, stdout, output } = await runCli([folder, '--no-wait', '--json']);

    assert.equal(exitCode, exitCodes.ok, output);
    const reports = stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as BulkDataflowReport);
    assert.deepEqual(
      reports.map((report) => [report.sandbox, report.status]).sort(),
      dataflows.map(({ sandbox }) => [sandbox, 'started']).sort(),
    );
    // Let them finish so nothing of this test is still running when the next one starts.
    const { client } = await getTemporal();
    for (const report of reports) await client.workflow.getHandle(report.workflowId).result();
  });

  it('stops following on Ctrl-C, leaving the workflows running, and says how to see them', async () => {
    const dataflows = [newSpec(), newSpec()];
    const folder = specFolder({ 'a.json': dataflows[0]!.spec, 'b.json': dataflows[1]!.spec });
    const { client } = await getTemporal();
    // No worker polls this queue, so both workflows are still running when Ctrl-C comes.
    const cli = spawnTsx(
      'src/client.ts',
      ['provision', folder],
      { ...env, TASK_QUEUE: uniqueName('no-worker') },
      { runner: 'node' },
    );
    try {
      for (const { sandbox } of dataflows)
        await cli.waitForOutput(new RegExp(`${sandbox}/consent: 0/8 {2}started`), 20_000);
      cli.signal('SIGINT');
      const exitCode = await cli.closed;

      assert.equal(exitCode, exitCodes.interrupted, cli.output());

      assert.match(
        cli.output(),
        /Stopped following \(Ctrl-C\)\. 2 provisioning workflow\(s\) keep running on Temporal/,
      );
      assert.ok(cli.output().includes(`npm run client -- provision ${folder}`), cli.output());
      for (const { sandbox } of dataflows) {
        const description = await client.workflow.getHandle(provisionWorkflowId(sandbox, 'consent')).describe();
        assert.equal(description.status.name, 'RUNNING', sandbox);
      }
    } finally {
      await cli.stop();
      for (const { sandbox } of dataflows) {
        await client.workflow
          .getHandle(provisionWorkflowId(sandbox, 'consent'))
          .terminate('test over')
          .catch(() => undefined);
      }
    }
  });
});

describe('the progress board', function () {
  function capture() {
    const out: string[] = [];
    return { out, io: { out: (text: string) => out.push(text), err: (text: string) => out.push(text), env: {} } };
  }

  it('on a terminal, redraws one line per dataflow in place, cut to the terminal’s width', () => {
    const { out, io } = capture();
    const board = new ProgressBoard(io, () => ({ columns: 60, rows: 20 }));
    board.update({ label: 'prod/a', stepsDone: 0, runningSteps: [], activity: 'started' });
    board.update({ label: 'dev/bb', stepsDone: 0, runningSteps: [], activity: 'started' });
    board.render();
    board.update({
      label: 'prod/a',
      stepsDone: 3,
      runningSteps: ['Target schema', 'Dataset'],
      activity: 'provisioning',
    });
    board.update({ label: 'dev/bb', stepsDone: 8, runningSteps: [], activity: 'succeeded', outcome: 'provisioned' });
    board.render();
    board.render();

    assert.equal(out.length, 2, 'an unchanged board is not drawn again');
    assert.equal(out[0], '\x1b[J' + 'prod/a  0/8  started\ndev/bb  0/8  started\n');
    assert.equal(out[1], '\x1b[2F\x1b[J' + 'prod/a  3/8  running: Target schema, Dataset\ndev/bb  8/8  provisioned\n');

    board.update({
      label: 'prod/a',
      stepsDone: 3,
      runningSteps: ['Target schema', 'Dataset', 'Target connection', 'Mapping set'],
      activity: 'provisioning',
    });
    board.render();
    const lines = out[2]!.slice('\x1b[2F\x1b[J'.length).split('\n');
    assert.ok(
      lines.every((line) => line.length <= 59),
      JSON.stringify(lines),
    );
  });

  it('on a terminal too small for every row, shows the unfinished ones and counts the rest', () => {
    const { out, io } = capture();
    const board = new ProgressBoard(io, () => ({ columns: 80, rows: 5 }));
    for (const [index, label] of ['s/a', 's/b', 's/c', 's/d', 's/e'].entries()) {
      const finished = index < 3;
      board.update({
        label,
        stepsDone: finished ? 8 : 2,
        runningSteps: finished ? [] : ['Source connection'],
        activity: 'provisioning',
        ...(finished ? { outcome: 'provisioned' } : {}),
      });
    }
    board.render();
    assert.deepEqual(out[0]!.replace('\x1b[J', '').trimEnd().split('\n'), [
      's/a  8/8  provisioned',
      's/d  2/8  running: Source connection',
      's/e  2/8  running: Source connection',
      '… and 2 more (2 of them finished)',
    ]);
  });

  it('elsewhere, prints a line whenever a dataflow’s state changes, and no cursor codes', () => {
    const { out, io } = capture();
    const board = new ProgressBoard(io);
    board.update({ label: 'prod/a', stepsDone: 0, runningSteps: [], activity: 'started' });
    board.render();
    board.update({ label: 'prod/a', stepsDone: 0, runningSteps: [], activity: 'started' });
    board.update({ label: 'prod/a', stepsDone: 1, runningSteps: ['Explore preview'], activity: 'provisioning' });
    board.update({ label: 'prod/a', stepsDone: 8, runningSteps: [], activity: 'succeeded', outcome: 'provisioned' });
    assert.deepEqual(out, [
      'prod/a: 0/8  started',
      'prod/a: 1/8  running: Explore preview',
      'prod/a: 8/8  provisioned',
    ]);
  });
});
