/**
 * The design before the run feed, for a side-by-side run: the repository at the commit before the feed landed,
 * checked out as a git worktree beside this one (its node_modules shared), whose worker polls runs per dataflow.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, symlinkSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** The last commit whose monitors poll `GET /runs?property=flowId==…` on their own timers. */
export const pollingDesignCommit = '593bdf8';

export function pollingDesignCheckout(projectRoot: string, commit = pollingDesignCommit): string {
  const directory = resolve(projectRoot, '.benchmark', `polling-design-${commit}`);
  if (!existsSync(join(directory, 'src', 'worker.ts'))) {
    execFileSync('git', ['worktree', 'add', '--force', '--detach', directory, commit], {
      cwd: projectRoot,
      stdio: 'ignore',
    });
  }
  const modules = join(directory, 'node_modules');
  if (!existsSync(modules)) symlinkSync(join(projectRoot, 'node_modules'), modules, 'dir');
  return directory;
}
