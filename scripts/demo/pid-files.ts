/**
 * The demo's pid files, one per process it runs (the demo itself, the Temporal server, the simulator, the worker),
 * under <data>/demo-pids/<name>.pid: how a later demo finds what an earlier one left running (its terminal closed,
 * or it was killed) and says so, and how `npm run demo -- --stop` stops it. Each file holds the pid and, where
 * /proc exists, the process's start time, so a pid reused by some unrelated process is never taken for a leftover.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isRunning } from './process-groups';

export interface DemoProcessRecord {
  name: string;
  pid: number;
}

export function pidDirectory(dataDirectory: string): string {
  return join(dataDirectory, 'demo-pids');
}

/** Writes <name>.pid; `remove` deletes it, unless a later process of the same name has written its own since. */
export function recordDemoProcess(dataDirectory: string, name: string, pid: number): { remove(): void } {
  mkdirSync(pidDirectory(dataDirectory), { recursive: true });
  const file = join(pidDirectory(dataDirectory), `${name}.pid`);
  writeFileSync(file, `${pid} ${processStartTime(pid) ?? ''}\n`);
  return {
    remove: () => {
      if (readRecord(file)?.pid === pid) unlinkIfPresent(file);
    },
  };
}

/** The recorded processes still running, oldest role first; files of processes gone are deleted. */
export function runningDemoProcesses(dataDirectory: string): DemoProcessRecord[] {
  const directory = pidDirectory(dataDirectory);
  if (!existsSync(directory)) return [];
  const running: DemoProcessRecord[] = [];
  for (const entry of readdirSync(directory).filter((name) => name.endsWith('.pid'))) {
    const file = join(directory, entry);
    const record = readRecord(file);
    if (record && isSameProcess(record.pid, record.startTime)) {
      running.push({ name: entry.slice(0, -'.pid'.length), pid: record.pid });
    } else {
      unlinkIfPresent(file);
    }
  }
  return running.sort((a, b) => roleOrder(a.name) - roleOrder(b.name));
}

/** The one named process, when it is still running. */
export function runningDemoProcess(dataDirectory: string, name: string): number | undefined {
  return runningDemoProcesses(dataDirectory).find((record) => record.name === name)?.pid;
}

/** Deletes a process's file once it is stopped. */
export function forgetDemoProcess(dataDirectory: string, name: string): void {
  unlinkIfPresent(join(pidDirectory(dataDirectory), `${name}.pid`));
}

/** The order the demo starts them in; stopping goes the other way (the worker before what it talks to). */
const roles = ['demo', 'temporal', 'simulator', 'worker'];
function roleOrder(name: string): number {
  const index = roles.indexOf(name);
  return index < 0 ? roles.length : index;
}

function readRecord(file: string): { pid: number; startTime?: string } | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  const [pidText = '', startTime] = text.trim().split(/\s+/);
  const pid = Number(pidText);
  return Number.isInteger(pid) && pid > 0 ? { pid, startTime: startTime || undefined } : undefined;
}

function isSameProcess(pid: number, recordedStartTime: string | undefined): boolean {
  if (!isRunning(pid)) return false;
  const startTime = processStartTime(pid);
  return recordedStartTime === undefined || startTime === undefined || startTime === recordedStartTime;
}

/** Field 22 of /proc/<pid>/stat: when the process started, in clock ticks since boot (exec keeps it). */
function processStartTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) is in parentheses and may hold spaces: count fields after its closing one.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

function unlinkIfPresent(file: string): void {
  try {
    unlinkSync(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
}
