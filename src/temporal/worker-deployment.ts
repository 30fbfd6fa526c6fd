/**
 * Worker deployment versioning (README "Upgrading a running fleet"). Off unless WORKER_VERSIONING=true: the demo,
 * `npm run worker` against the dev server and the test workers stay unversioned, as they always were.
 *
 * Versioned, a worker belongs to the deployment WORKER_DEPLOYMENT_NAME (default: package.json's name) with the
 * build id WORKER_BUILD_ID (default: package.json's version and `git rev-parse --short HEAD`, plus "-dirty" when
 * tracked files changed; the container image has no git, so its build passes WORKER_BUILD_ID). New workflows go to
 * the deployment's current version; each workflow declares how it moves between builds (provisioning, monitors
 * and run feeds stay PINNED to the build that started a run; monitors and feeds move to the current build when
 * they continue as new). A new version becomes current when the operator says so with
 * `temporal worker deployment set-current-version`, or, with WORKER_SET_CURRENT=true, as soon as its own workers
 * poll every task queue.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { WorkflowService } from '@temporalio/client';
import type { WorkerDeploymentVersion } from '@temporalio/common';
import type { Logger, WorkerDeploymentOptions } from '@temporalio/worker';

export interface WorkerDeploymentSettings {
  version: WorkerDeploymentVersion;
  /** WORKER_SET_CURRENT=true: make this version current once its workers poll. */
  setCurrent: boolean;
  /** Where the build id came from, for the start-up log. */
  buildIdSource: 'WORKER_BUILD_ID' | 'git';
}

/** The facts the default build id is made of; replaceable in tests. */
export interface BuildFacts {
  packageName: string;
  packageVersion: string;
  /** `git rev-parse --short HEAD` plus "-dirty" when tracked files differ from it; undefined without git. */
  gitRevision(): string | undefined;
}

const projectRoot = join(__dirname, '..', '..');

export const projectBuildFacts: BuildFacts = {
  ...packageFacts(),
  gitRevision: () => gitRevision(projectRoot),
};

/** The worker's deployment, or undefined when it runs unversioned (WORKER_VERSIONING unset or false). */
export function workerDeploymentFromEnv(
  env: NodeJS.ProcessEnv = process.env,
  facts: BuildFacts = projectBuildFacts,
): WorkerDeploymentSettings | undefined {
  const versioning = booleanSetting(env, 'WORKER_VERSIONING');
  const setCurrent = booleanSetting(env, 'WORKER_SET_CURRENT');
  if (!versioning) {
    if (setCurrent) throw new Error('WORKER_SET_CURRENT=true needs WORKER_VERSIONING=true');
    return undefined;
  }
  const deploymentName = env.WORKER_DEPLOYMENT_NAME?.trim() || facts.packageName;
  const problem = deploymentNameProblem(deploymentName);
  if (problem) throw new Error(`WORKER_DEPLOYMENT_NAME ${problem} (got "${deploymentName}")`);

  let buildId = env.WORKER_BUILD_ID?.trim();
  let buildIdSource: WorkerDeploymentSettings['buildIdSource'] = 'WORKER_BUILD_ID';
  if (!buildId) {
    const revision = facts.gitRevision();
    if (revision === undefined) {
      throw new Error(
        "WORKER_VERSIONING=true needs a build id: set WORKER_BUILD_ID (e.g. to the release's commit), or run the " +
          'worker from a git checkout, where it is "<package version>-<commit>"',
      );
    }
    buildId = `${facts.packageVersion}-${revision}`;
    buildIdSource = 'git';
  }
  if (buildId.startsWith('__') || buildId.length > 255) {
    throw new Error(`WORKER_BUILD_ID must not start with "__" and has at most 255 characters (got "${buildId}")`);
  }
  return { version: { deploymentName, buildId }, setCurrent, buildIdSource };
}

/**
 * Worker.create's workerDeploymentOptions. PINNED is only the default for a workflow that declares nothing:
 * ours each declare their behavior (setWorkflowOptions next to each workflow).
 */
export function workerDeploymentOptions(version: WorkerDeploymentVersion): WorkerDeploymentOptions {
  return { version, useWorkerVersioning: true, defaultVersioningBehavior: 'PINNED' };
}

/** "name:buildId", as the CLI, the Web UI and the TemporalWorkerDeploymentVersion search attribute show it. */
export function describeVersion(version: WorkerDeploymentVersion): string {
  return `${version.deploymentName}:${version.buildId}`;
}

export interface MakeCurrentOptions {
  identity?: string;
  /** Give up after this long (default 2 minutes): the other workers of the version may not be polling yet. */
  timeoutMs?: number;
  logger?: Logger;
  signal?: AbortSignal;
}

/** gRPC status codes worth waiting out: the version or some of its task queues are not known to the server yet. */
const retryableCodes = new Set([
  4, // DEADLINE_EXCEEDED
  5, // NOT_FOUND: no worker of this version has polled yet
  9, // FAILED_PRECONDITION: some task queue of the current version is not polled by this one (yet)
  10, // ABORTED: a concurrent change to the deployment
  14, // UNAVAILABLE
]);

/**
 * Makes `version` the current version of its deployment, as `temporal worker deployment set-current-version`
 * does; waits (retrying) until the server has seen its workers poll every task queue the current version has.
 * Returns the build id that was current before ('' when that was unversioned workers).
 */
export async function makeVersionCurrent(
  connection: { workflowService: Pick<WorkflowService, 'setWorkerDeploymentCurrentVersion'> },
  namespace: string,
  version: WorkerDeploymentVersion,
  options: MakeCurrentOptions = {},
): Promise<{ previousBuildId: string }> {
  const deadline = Date.now() + (options.timeoutMs ?? 120_000);
  for (let attempt = 1; ; attempt += 1) {
    try {
      const response = await connection.workflowService.setWorkerDeploymentCurrentVersion({
        namespace,
        deploymentName: version.deploymentName,
        buildId: version.buildId,
        identity: options.identity ?? 'onetrust-aep-dataflows worker',
      });
      return { previousBuildId: response.previousDeploymentVersion?.buildId ?? '' };
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      const retryable = typeof code === 'number' && retryableCodes.has(code);
      if (!retryable || Date.now() >= deadline || options.signal?.aborted) {
        throw new Error(
          `could not make ${describeVersion(version)} the current version: ${errorMessage(error)}` +
            (retryable ? ` (still refused after ${attempt} attempts)` : ''),
          { cause: error },
        );
      }
      if (attempt === 1 || attempt % 10 === 0) {
        options.logger?.info('waiting for the server to see this version poll every task queue', {
          deploymentVersion: describeVersion(version),
          reason: errorMessage(error),
        });
      }
      await pause(Math.min(500 * attempt, 5_000), options.signal);
    }
  }
}

// ---- Helpers ---------------------------------------------------------------------------------------------------

function packageFacts(): Pick<BuildFacts, 'packageName' | 'packageVersion'> {
  const { name, version } = JSON.parse(readFileSync(join(projectRoot, 'package.json'), 'utf8')) as {
    name: string;
    version: string;
  };
  return { packageName: name, packageVersion: version };
}

/** The short commit of `directory`'s checkout, "-dirty" when tracked files changed; undefined without git. */
export function gitRevision(directory: string): string | undefined {
  const git = (...args: string[]): string =>
    execFileSync('git', args, {
      cwd: directory,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
      timeout: 10_000,
    });
  let revision: string;
  try {
    revision = git('rev-parse', '--short', 'HEAD').trim();
  } catch {
    return undefined;
  }
  if (!revision) return undefined;
  try {
    // Tracked files only: an untracked scratch file is no change to what the worker runs.
    const dirty = git('status', '--porcelain', '--untracked-files=no').trim() !== '';
    return dirty ? `${revision}-dirty` : revision;
  } catch {
    return revision;
  }
}

/** The server's rules for a deployment name: "." and ":" separate it from the build id; "__" is reserved. */
function deploymentNameProblem(name: string): string | undefined {
  if (name.includes('.') || name.includes(':')) return 'must not contain "." or ":"';
  if (name.startsWith('__')) return 'must not start with "__"';
  if (name.length > 255) return 'has at most 255 characters';
  return undefined;
}

function booleanSetting(env: NodeJS.ProcessEnv, name: string): boolean {
  const text = env[name]?.trim().toLowerCase();
  if (text === undefined || text === '' || text === 'false') return false;
  if (text === 'true') return true;
  throw new Error(`${name} must be "true" or "false" (got "${env[name]}")`);
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function pause(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        resolve();
      },
      { once: true },
    );
  });
}
