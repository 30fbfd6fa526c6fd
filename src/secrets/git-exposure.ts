/**
 * Whether a file just written with private keys sits in a git work tree without being ignored: one `git add -A`
 * from a commit. Asked of git itself (its ignore rules have many sources: .gitignore files, .git/info/exclude,
 * core.excludesFile), with an argument array, never a shell. No git, or no work tree: nothing to warn about.
 */
import { spawnSync } from 'node:child_process';
import { realpathSync } from 'node:fs';
import { dirname, relative } from 'node:path';

export interface GitExposure {
  /** The work tree's top folder. */
  workTree: string;
  /** The file's path inside it, with forward slashes, as a .gitignore line would name it. */
  pathInWorkTree: string;
}

export function unignoredInGitWorkTree(path: string): GitExposure | undefined {
  const folder = dirname(path);
  const topLevel = git(['rev-parse', '--show-toplevel'], folder);
  if (topLevel === undefined || topLevel.status !== 0) return undefined;
  const workTree = topLevel.stdout.trim();
  if (workTree === '') return undefined; // inside .git itself
  // Exit 0: ignored; 1: not ignored; anything else: git could not tell, so say nothing.
  const ignored = git(['check-ignore', '--quiet', '--', path], folder);
  if (ignored === undefined || ignored.status !== 1) return undefined;
  // git answers with the real path (e.g. /private/tmp on macOS): compare like with like.
  return { workTree, pathInWorkTree: relative(workTree, realpathSync(path)).split('\\').join('/') };
}

export function gitExposureWarning(path: string, exposure: GitExposure): string {
  const folder = dirname(exposure.pathInWorkTree);
  const rule = folder === '.' ? `/${exposure.pathInWorkTree}` : `/${folder}/`;
  return (
    `Warning: ${path} holds private keys and is inside the git work tree ${exposure.workTree}, which does not ` +
    `ignore it: one \`git add -A\` would commit it. Add "${rule}" to ${exposure.workTree}/.gitignore.`
  );
}

function git(args: string[], cwd: string): { status: number | null; stdout: string } | undefined {
  const result = spawnSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  if (result.error) return undefined; // no git on this machine
  return { status: result.status, stdout: result.stdout };
}
