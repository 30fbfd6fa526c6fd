/**
 * Worker processes for the bulk benchmark: the worker program itself (`node --import tsx src/worker.ts`), each in a
 * process group of its own so that a SIGKILL takes the whole process down at once, as a lost machine would, and
 * each writing its log to a file that is kept for reading afterwards.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface WorkerProcess {
  pid: number;
  logFile: string;
  /** The log so far. */
  log(): string;
  /** Resolves once the worker said it started; rejects if it exits first or takes longer than `timeoutMs`. */
  started(timeoutMs: number): Promise<void>;
  /** SIGKILL to the whole process group: no graceful shutdown, in-flight activities are lost with it. */
  kill(): Promise<void>;
  /** SIGTERM (graceful: running activities may finish), then SIGKILL if it is still there after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
}

/** Process groups still running, killed when this process exits however it exits, so none outlives the benchmark. */
const running = new Set<number>();
process.once('exit', () => {
  for (const pid of running) signalGroup(pid, 'SIGKILL');
});

export function startWorkerProcess(options: {
  projectRoot: string;
  env: NodeJS.ProcessEnv;
  logDirectory: string;
  name: string;
}): WorkerProcess {
  const logFile = join(options.logDirectory, `${options.name}.log`);
  const fd = openSync(logFile, 'a');
  let child: ChildProcess;
  try {
    child = spawn(process.execPath, ['--import', 'tsx', join('src', 'worker.ts')], {
      cwd: options.projectRoot,
      env: options.env,
      stdio: ['ignore', fd, fd],
      detached: true,
    });
  } finally {
    closeSync(fd);
  }
  const pid = child.pid;
  if (pid === undefined) throw new Error(`could not start worker ${options.name}`);
  running.add(pid);
  const exited = new Promise<void>((resolve) =>
    child.once('exit', () => {
      running.delete(pid);
      resolve();
    }),
  );
  const hasExited = () => child.exitCode !== null || child.signalCode !== null;
  const log = () => readFileSync(logFile, 'utf8');

  return {
    pid,
    logFile,
    log,
    async started(timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      while (!log().includes('worker started')) {
        if (hasExited()) throw new Error(`worker ${options.name} exited: ${log().slice(-2000)}`);
        if (Date.now() > deadline)
          throw new Error(`worker ${options.name} did not start in time: ${log().slice(-2000)}`);
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    },
    async kill() {
      if (hasExited()) return;
      signalGroup(pid, 'SIGKILL');
      await exited;
    },
    async stop(graceMs = 30_000) {
      if (hasExited()) return;
      signalGroup(pid, 'SIGTERM');
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, graceMs))]);
      if (!hasExited()) signalGroup(pid, 'SIGKILL');
      await exited;
    },
  };
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    // detached: the child leads a process group of its own, whose id is its pid.
    process.kill(-pid, signal);
  } catch {
    // Already gone.
  }
}
