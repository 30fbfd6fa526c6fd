/**
 * The real programs, as users run them (`npx tsx src/worker.ts`, `npx tsx src/client.ts …`), as child processes
 * whose output the tests read. Each runs in its own process group so SIGKILL reaches npx, tsx and node alike.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { getWorkflowBundle } from '../harness/test-worker';

export const projectRoot = resolve(__dirname, '../..');

export interface SpawnedProcess {
  child: ChildProcess;
  /** Everything written to stdout and stderr so far. */
  output(): string;
  /** What was written to stdout alone (e.g. JSON lines). */
  stdout(): string;
  exited: Promise<number | null>;
  /** The exit code once its stdout and stderr are read to the end too (`exited` may come before the last output). */
  closed: Promise<number | null>;
  waitForOutput(pattern: RegExp, timeoutMs: number): Promise<void>;
  /** Signals the whole process group. */
  signal(signal: NodeJS.Signals): void;
  /** SIGTERM, then SIGKILL if it lingers. */
  stop(): Promise<void>;
}

/**
 * `runner: 'node'` runs `node --import tsx <script>` instead: one process, so a signal reaches the program alone
 * and its exit code is the program's own (npx dies of a group-wide SIGINT before reporting its child's code).
 */
export function spawnTsx(
  script: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  options: { runner?: 'npx' | 'node' } = {},
): SpawnedProcess {
  const [command, commandArgs] =
    options.runner === 'node'
      ? [process.execPath, ['--import', 'tsx', script, ...args]]
      : ['npx', ['tsx', script, ...args]];
  return spawnProgram(command, commandArgs, env, script);
}

/** Any program (e.g. the container's entrypoint wrapping the worker), `label` naming it in failures. */
export function spawnProgram(
  command: string,
  commandArgs: string[],
  env: NodeJS.ProcessEnv,
  label: string,
): SpawnedProcess {
  const script = label;
  const child = spawn(command, commandArgs, {
    cwd: projectRoot,
    env,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  let stdout = '';
  const listeners = new Set<() => void>();
  const collect = (chunk: Buffer) => {
    output += chunk.toString('utf8');
    for (const listener of listeners) listener();
  };
  child.stdout?.on('data', (chunk: Buffer) => {
    stdout += chunk.toString('utf8');
    collect(chunk);
  });
  child.stderr?.on('data', collect);
  const exited = new Promise<number | null>((resolveExit) => child.once('exit', (code) => resolveExit(code)));
  const closed = new Promise<number | null>((resolveClose) => child.once('close', (code) => resolveClose(code)));
  let hasExited = false;
  void exited.then(() => (hasExited = true));

  const signal = (name: NodeJS.Signals) => {
    if (hasExited || child.pid === undefined) return;
    try {
      process.kill(-child.pid, name);
    } catch {
      // Already gone.
    }
  };

  return {
    child,
    output: () => output,
    stdout: () => stdout,
    exited,
    closed,
    signal,
    waitForOutput(pattern, timeoutMs) {
      return new Promise((resolveWait, reject) => {
        const check = () => {
          if (pattern.test(output)) {
            cleanup();
            resolveWait();
          }
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`no ${pattern} in ${script}'s output within ${timeoutMs} ms:\n${output}`));
        }, timeoutMs);
        const onExit = () => {
          cleanup();
          if (!pattern.test(output)) reject(new Error(`${script} exited before printing ${pattern}:\n${output}`));
          else resolveWait();
        };
        const cleanup = () => {
          clearTimeout(timer);
          listeners.delete(check);
          child.off('exit', onExit);
        };
        listeners.add(check);
        child.once('exit', onExit);
        check();
      });
    },
    async stop() {
      signal('SIGTERM');
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<'timeout'>((resolveTimeout) => {
        timer = setTimeout(() => resolveTimeout('timeout'), 10_000);
      });
      try {
        if ((await Promise.race([exited, timeout])) === 'timeout') signal('SIGKILL');
      } finally {
        // Not left running for the rest of the 10 s: it would hold the test process open.
        clearTimeout(timer);
      }
      await exited;
    },
  };
}

let bundleFile: Promise<string> | undefined;

/** The shared workflow bundle written to a file, so a spawned worker starts without running webpack again. */
export function workflowBundleFile(): Promise<string> {
  bundleFile ??= getWorkflowBundle().then((bundle) => {
    const path = join(mkdtempSync(join(tmpdir(), 'workflow-bundle-')), 'workflow-bundle.js');
    writeFileSync(path, bundle.code);
    return path;
  });
  return bundleFile;
}
