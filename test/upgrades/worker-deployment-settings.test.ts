/**
 * The worker's deployment settings (src/temporal/worker-deployment.ts): off unless asked for, a build id from
 * package.json and git unless WORKER_BUILD_ID gives one, and clear refusals. No server needed.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  gitRevision,
  projectBuildFacts,
  workerDeploymentFromEnv,
  workerDeploymentOptions,
  type BuildFacts,
} from '../../src/temporal/worker-deployment';

const facts = (revision: string | undefined): BuildFacts => ({
  packageName: 'onetrust-aep-dataflows',
  packageVersion: '1.2.3',
  gitRevision: () => revision,
});

describe('worker deployment settings', function () {
  it('leaves the worker unversioned unless WORKER_VERSIONING=true, without asking git', function () {
    const asked = {
      ...facts('abc1234'),
      gitRevision: () => assert.fail('git was asked'),
    };
    assert.equal(workerDeploymentFromEnv({}, asked), undefined);
    assert.equal(workerDeploymentFromEnv({ WORKER_VERSIONING: 'false', WORKER_BUILD_ID: 'b1' }, asked), undefined);
  });

  it('names the deployment after the package and the build after its version and commit', function () {
    assert.deepEqual(workerDeploymentFromEnv({ WORKER_VERSIONING: 'true' }, facts('abc1234-dirty')), {
      version: { deploymentName: 'onetrust-aep-dataflows', buildId: '1.2.3-abc1234-dirty' },
      setCurrent: false,
      buildIdSource: 'git',
    });
  });

  it('takes WORKER_DEPLOYMENT_NAME, WORKER_BUILD_ID and WORKER_SET_CURRENT from the environment', function () {
    const settings = workerDeploymentFromEnv(
      {
        WORKER_VERSIONING: 'true',
        WORKER_DEPLOYMENT_NAME: 'dataflows-eu',
        WORKER_BUILD_ID: '2026-11-30-d3b2556',
        WORKER_SET_CURRENT: 'true',
      },
      facts(undefined),
    );
    assert.deepEqual(settings, {
      version: { deploymentName: 'dataflows-eu', buildId: '2026-11-30-d3b2556' },
      setCurrent: true,
      buildIdSource: 'WORKER_BUILD_ID',
    });
    assert.deepEqual(workerDeploymentOptions(settings.version), {
      version: settings.version,
      useWorkerVersioning: true,
      defaultVersioningBehavior: 'PINNED',
    });
  });

  it('refuses what the server would refuse, and a build id it cannot make', function () {
    const refused = (env: NodeJS.ProcessEnv, pattern: RegExp, withGit = true) =>
      assert.throws(() => workerDeploymentFromEnv(env, facts(withGit ? 'abc1234' : undefined)), pattern);
    refused({ WORKER_VERSIONING: 'true' }, /set WORKER_BUILD_ID/, false);
    refused({ WORKER_VERSIONING: 'true', WORKER_DEPLOYMENT_NAME: 'dataflows.eu' }, /must not contain "\." or ":"/);
    refused({ WORKER_VERSIONING: 'true', WORKER_BUILD_ID: '__b' }, /must not start with "__"/);
    refused({ WORKER_VERSIONING: 'yes' }, /WORKER_VERSIONING must be "true" or "false"/);
    refused({ WORKER_SET_CURRENT: 'true' }, /WORKER_SET_CURRENT=true needs WORKER_VERSIONING=true/);
  });

  it("reads this checkout: package.json's name and version, git's short commit", function () {
    const packageJson = JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8')) as {
      name: string;
      version: string;
    };
    assert.equal(projectBuildFacts.packageName, packageJson.name);
    assert.equal(projectBuildFacts.packageVersion, packageJson.version);
    const revision = gitRevision(join(__dirname, '..', '..'));
    if (revision === undefined) this.skip(); // not a git checkout (e.g. a container)
    assert.match(revision, /^[0-9a-f]{7,}(-dirty)?$/);
    const settings = workerDeploymentFromEnv({ WORKER_VERSIONING: 'true' });
    assert.equal(settings?.version.buildId, `${packageJson.version}-${revision}`);
    assert.equal(gitRevision('/'), undefined, 'no git checkout: no revision');
  });
});
