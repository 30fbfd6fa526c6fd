/**
 * The processes a fleet benchmark runs: a simulator, a fresh Temporal dev server and its workers, each a child
 * process on free ports, so each worker's peak memory is its own and each design starts from a clean server.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Connection } from '@temporalio/client';
import { devServerFlags } from '../../src/temporal/dev-server-flags';

export interface ChildService {
  process: ChildProcess;
  output(): string;
  /** The last lines it wrote to stderr (a crash's stack trace is there). */
  stderrTail(lines: number): string;
  /** How it ended, when it ended before `stop()` asked it to. */
  unexpectedExit(): ChildExit | undefined;
  /**
   * SIGKILL on purpose (its whole process group when it has its own): not counted as an unexpected exit. Resolves
   * once it is gone.
   */
  killOnPurpose(): Promise<ChildExit>;
  stop(): Promise<void>;
}

export interface ChildExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  atMs: number;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/** What a child keeps of its output: enough for a stack trace, bounded over an hour's soak. */
const keptOutputChars = 20_000;

export function startChild(
  command: string,
  args: string[],
  options: {
    cwd: string;
    env: NodeJS.ProcessEnv;
    /** Called once if it exits before `stop()` or `killOnPurpose()` asked it to (a crash). */
    onUnexpectedExit?: (exit: ChildExit) => void;
    /**
     * Its own process group, so that killing it kills whatever it started too, as a container's end would. Such a
     * child misses the terminal's Ctrl-C: it is killed when this process exits (main turns SIGINT into an exit).
     */
    ownProcessGroup?: boolean;
  },
): ChildService {
  const child = spawn(command, args, {
    cwd: options.cwd,
    env: options.env,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: options.ownProcessGroup === true,
  });
  const signalIt = (signal: NodeJS.Signals) => {
    if (options.ownProcessGroup && child.pid !== undefined) {
      try {
        process.kill(-child.pid, signal);
        return;
      } catch {
        // The group is gone already; the child itself may not be.
      }
    }
    child.kill(signal);
  };
  const killWithUs = () => signalIt('SIGKILL');
  if (options.ownProcessGroup) process.once('exit', killWithUs);
  let output = '';
  let errorOutput = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    output = (output + chunk.toString('utf8')).slice(-keptOutputChars);
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    const text = chunk.toString('utf8');
    output = (output + text).slice(-keptOutputChars);
    errorOutput = (errorOutput + text).slice(-keptOutputChars);
  });
  let stopping = false;
  let unexpectedExit: ChildExit | undefined;
  // 'close' comes after the output pipes are drained, so a crash's last lines are in by then.
  const exited = new Promise<ChildExit>((resolve) =>
    child.once('close', (code, signal) => {
      process.removeListener('exit', killWithUs);
      const exit = { code, signal, atMs: Date.now() };
      if (!stopping) {
        unexpectedExit = exit;
        options.onUnexpectedExit?.(unexpectedExit);
      }
      resolve(exit);
    }),
  );
  const running = () => child.exitCode === null && child.signalCode === null;
  return {
    process: child,
    output: () => output,
    stderrTail: (lines) => errorOutput.trimEnd().split('\n').slice(-lines).join('\n'),
    unexpectedExit: () => unexpectedExit,
    async killOnPurpose() {
      if (running()) {
        stopping = true;
        signalIt('SIGKILL');
      }
      return exited;
    },
    async stop() {
      if (!running()) return;
      stopping = true;
      signalIt('SIGTERM');
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 15_000))]);
      if (running()) signalIt('SIGKILL');
      await exited;
    },
  };
}

export async function waitForOutput(
  service: ChildService,
  pattern: RegExp,
  timeoutMs: number,
  what: string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!pattern.test(service.output())) {
    if (service.process.exitCode !== null) throw new Error(`${what} exited: ${service.output().slice(-2000)}`);
    if (Date.now() > deadline) throw new Error(`${what} did not start in time: ${service.output().slice(-2000)}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** Peak resident memory of a process so far (Linux VmHWM), in bytes. */
export function peakRssBytes(pid: number): number | undefined {
  try {
    const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Peak resident memory of a running process, sampled while it runs: /proc forgets a process once it exits, so a
 * worker that died mid-run still has the peak it reached.
 */
export function trackPeakRss(pid: number | undefined, everyMs = 5_000): { peakBytes(): number | undefined } {
  let peak: number | undefined;
  const sample = () => {
    const now = pid === undefined ? undefined : peakRssBytes(pid);
    if (now === undefined) clearInterval(timer);
    else peak = Math.max(peak ?? 0, now);
  };
  const timer = setInterval(sample, everyMs);
  timer.unref();
  return {
    peakBytes() {
      sample();
      return peak;
    },
  };
}

/** A throwaway dev server (in-memory SQLite), eager activities on as scripts/temporal.sh has them. */
export async function startDevServer(cli: string): Promise<{ address: string; stop(): Promise<void> }> {
  const port = await freePort();
  const dataDir = mkdtempSync(join(tmpdir(), 'benchmark-temporal-'));
  const server = startChild(
    cli,
    [
      'server',
      'start-dev',
      '--ip',
      '127.0.0.1',
      '--port',
      String(port),
      '--headless',
      '--db-filename',
      join(dataDir, 'temporal.db'),
      '--log-level',
      'error',
      ...devServerFlags,
    ],
    { cwd: process.cwd(), env: process.env },
  );
  const address = `127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      const connection = await Connection.connect({ address, connectTimeout: 2_000 });
      await connection.workflowService.getSystemInfo({});
      await connection.close();
      break;
    } catch (error) {
      if (Date.now() > deadline) throw new Error(`Temporal dev server did not start: ${String(error)}`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
  return {
    address,
    async stop() {
      await server.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
