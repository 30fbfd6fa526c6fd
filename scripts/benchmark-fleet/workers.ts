/**
 * A design's worker processes: W started before the monitors, all on the same task queue(s) with the same
 * environment, as `docker compose up --scale worker=W` would run them; one may be SIGKILLed on purpose and one added
 * during the window. Each is its own process group (a kill takes whatever it started with it) and has its own peak
 * memory. Histories name the worker that took each task by its identity, the SDK's default `pid@host`.
 */
import { hostname } from 'node:os';
import { join } from 'node:path';
import { startChild, trackPeakRss, waitForOutput, type ChildExit, type ChildService } from './processes';

export interface FleetWorker {
  /** 1, 2, …, in the order started. */
  number: number;
  service: ChildService;
  /** As the histories name it (WorkflowTaskStarted, ActivityTaskStarted). */
  identity: string;
  /** Started during the window (`--add-one-at`). */
  added: boolean;
  startedAtMs: number;
  /** When it was SIGKILLed on purpose. */
  killedAtMs?: number;
  peakRssBytes(): number | undefined;
}

export interface WorkerPool {
  workers(): readonly FleetWorker[];
  /** Starts one more worker and waits until it polls its queues. */
  add(options: { added: boolean }): Promise<FleetWorker>;
  /** SIGKILLs the first worker still running, its whole process group; undefined when none is running. */
  killOne(): Promise<FleetWorker | undefined>;
  anyAlive(): boolean;
  /** Exits nobody asked for (crashes), over all workers. */
  unexpectedExits(): number;
  /** The largest single worker's peak and the sum of every worker's own peak (never lower than their joint peak). */
  peakRss(): { largestBytes?: number; sumBytes?: number };
  stopAll(): Promise<void>;
}

export function workerPool(options: {
  designRoot: string;
  env: NodeJS.ProcessEnv;
  label: string;
  onUnexpectedExit: (worker: FleetWorker, exit: ChildExit) => void;
}): WorkerPool {
  const workers: FleetWorker[] = [];
  const alive = (worker: FleetWorker) =>
    worker.killedAtMs === undefined && worker.service.unexpectedExit() === undefined;
  return {
    workers: () => workers,
    async add({ added }) {
      const number = workers.length + 1;
      const service = startChild(process.execPath, ['--import', 'tsx', join(options.designRoot, 'src', 'worker.ts')], {
        cwd: options.designRoot,
        env: options.env,
        ownProcessGroup: true,
        // 'close' is an event: it comes after `worker` below is set.
        onUnexpectedExit: (exit) => options.onUnexpectedExit(worker, exit),
      });
      // `node --import tsx` runs the worker in this very process, so its pid is the SDK's.
      const rss = trackPeakRss(service.process.pid);
      const worker: FleetWorker = {
        number,
        service,
        identity: `${service.process.pid}@${hostname()}`,
        added,
        startedAtMs: Date.now(),
        peakRssBytes: () => rss.peakBytes(),
      };
      workers.push(worker);
      await waitForOutput(service, /worker started/, 120_000, `${options.label} worker ${number}`);
      return worker;
    },
    async killOne() {
      const victim = workers.find(alive);
      if (!victim) return undefined;
      // Its peak before /proc forgets it.
      victim.peakRssBytes();
      victim.killedAtMs = Date.now();
      await victim.service.killOnPurpose();
      return victim;
    },
    anyAlive: () => workers.some(alive),
    unexpectedExits: () => workers.filter((worker) => worker.service.unexpectedExit() !== undefined).length,
    peakRss() {
      const peaks = workers.map((worker) => worker.peakRssBytes()).filter((peak) => peak !== undefined);
      return peaks.length > 0
        ? { largestBytes: Math.max(...peaks), sumBytes: peaks.reduce((sum, peak) => sum + peak, 0) }
        : {};
    },
    async stopAll() {
      await Promise.all(workers.map((worker) => worker.service.stop()));
    },
  };
}
