/**
 * `npm run demo -- --stop`: stops what demos left running, found by their pid files. A demo still running is
 * asked first (SIGTERM: it stops its own processes, worker first); then each leftover's whole process group,
 * newest role first, SIGKILL after a grace time. Waits until every process of those groups is gone.
 */
import { forgetDemoProcess, runningDemoProcesses, type DemoProcessRecord } from './pid-files';
import { isRunning } from './process-groups';
import { sleep } from './waiting';

export async function stopDemoProcesses(
  dataDirectory: string,
  onStopped: (stopped: DemoProcessRecord) => void,
  graceMs = 15_000,
): Promise<DemoProcessRecord[]> {
  const stopped: DemoProcessRecord[] = [];
  const demo = runningDemoProcesses(dataDirectory).find((record) => record.name === 'demo');
  // The demo first, then what it did not stop (or what an earlier, killed demo left), the worker first.
  const queue = demo ? [demo] : [];
  for (let round = 0; round < 2; round += 1) {
    for (const record of queue) {
      await stopProcess(record.pid, graceMs);
      forgetDemoProcess(dataDirectory, record.name);
      stopped.push(record);
      onStopped(record);
    }
    queue.splice(0, queue.length, ...runningDemoProcesses(dataDirectory).reverse());
  }
  return stopped;
}

/** SIGTERM to its process group (each process the demo starts leads one), or to it alone when it leads none. */
async function stopProcess(pid: number, graceMs: number): Promise<void> {
  const target = signal(-pid, 'SIGTERM') ? -pid : pid;
  if (target === pid) signal(pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (isRunning(target)) {
    if (Date.now() > deadline) {
      signal(target, 'SIGKILL');
      while (isRunning(target)) await sleep(100);
      return;
    }
    await sleep(200);
  }
}

function signal(target: number, name: NodeJS.Signals | 0): boolean {
  try {
    process.kill(target, name);
    return true;
  } catch {
    return false;
  }
}
