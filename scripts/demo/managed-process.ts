/**
 * A child process the demo started: output appended to data/logs/<name>.log (and, when asked, selected lines
 * echoed to the console with a `[name]` prefix), stopped politely at the end. Children get their own process
 * group so a Ctrl-C reaches only the demo, which then stops them in a sensible order (worker before server).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { isRunning } from './process-groups';
import { sleep } from './waiting';

export interface ManagedProcessOptions {
  name: string;
  command: string;
  args: string[];
  cwd: string;
  logDirectory: string;
  /** Complete environment of the child (secrets travel here, never in args). */
  env: NodeJS.ProcessEnv;
  /** Lines for which this returns text are echoed to the console as `[name] text`. */
  echo?: (line: string) => string | undefined;
}

export interface ManagedProcess {
  name: string;
  pid: number;
  logFile: string;
  /** Resolves with the exit code (or signal name) when the process ends. */
  exited: Promise<string>;
  stop(graceMs?: number): Promise<void>;
}

export function startManagedProcess(options: ManagedProcessOptions): ManagedProcess {
  mkdirSync(options.logDirectory, { recursive: true });
  const logFile = join(options.logDirectory, `${options.name}.log`);
  const log = createWriteStream(logFile, { flags: 'a' });
  log.write(`\n--- ${new Date().toISOString()} started by npm run demo ---\n`);

  const child = spawn(options.command, options.args, {
    cwd: options.cwd,
    env: options.env,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  if (child.pid === undefined) throw new Error(`could not start ${options.name} (${options.command})`);
  for (const stream of [child.stdout, child.stderr]) {
    createInterface({ input: stream }).on('line', (line) => {
      log.write(line + '\n');
      const shown = options.echo?.(line);
      if (shown !== undefined) console.log(`[${options.name}] ${shown}`);
    });
  }

  const exited = new Promise<string>((resolve) =>
    child.once('exit', (code, signal) => {
      log.end();
      resolve(signal ?? String(code));
    }),
  );
  return { name: options.name, pid: child.pid, logFile, exited, stop: (graceMs) => stopChild(child, exited, graceMs) };
}

/**
 * SIGTERM to the child's process group, then SIGKILL if it has not exited within the grace time; then whatever
 * of its group outlived it (a process it started) is killed too, so nothing the demo started survives it.
 */
async function stopChild(child: ChildProcess, exited: Promise<string>, graceMs = 15_000): Promise<void> {
  if (child.exitCode === null && child.signalCode === null) {
    signalGroup(child, 'SIGTERM');
    const timedOut = await Promise.race([
      exited.then(() => false),
      new Promise<boolean>((resolve) => setTimeout(() => resolve(true), graceMs).unref()),
    ]);
    if (timedOut) signalGroup(child, 'SIGKILL');
    await exited;
  }
  if (isRunning(-child.pid!)) {
    signalGroup(child, 'SIGKILL');
    while (isRunning(-child.pid!)) await sleep(100);
  }
}

function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    process.kill(-child.pid!, signal);
  } catch {
    child.kill(signal);
  }
}

/** Last resort when the demo itself exits unexpectedly: children must not outlive it. */
export function killImmediately(processes: ManagedProcess[]): void {
  for (const managed of processes) {
    try {
      process.kill(-managed.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}
