/** What every step of the demo shares: paths, ports, the processes it started, and how it reports. */
import { relative } from 'node:path';
import type { ManagedProcess } from './managed-process';
import { recordDemoProcess } from './pid-files';

export interface DemoPorts {
  temporalPort: number;
  temporalUiPort: number;
  simulatorPort: number;
  metricsPort: number;
}

export interface DemoContext {
  projectRoot: string;
  dataDirectory: string;
  logDirectory: string;
  ports: DemoPorts;
  /** Simulated time runs this many times faster than real time. */
  simulatorTimeScale: number;
  /** Remembers a process the demo started, to stop it at the end; its pid file says so to later demos. */
  track(process: ManagedProcess): void;
  /** One aligned status line: `  Temporal server   started on …`. */
  report(subject: string, text: string): void;
  relative(path: string): string;
}

export function createDemoContext(options: Omit<DemoContext, 'track' | 'report' | 'relative'>): {
  context: DemoContext;
  started: ManagedProcess[];
} {
  const started: ManagedProcess[] = [];
  const context: DemoContext = {
    ...options,
    track: (process) => {
      started.push(process);
      const record = recordDemoProcess(options.dataDirectory, process.name, process.pid);
      void process.exited.then(() => record.remove());
    },
    report: (subject, text) => console.log(`  ${subject.padEnd(16)} ${text}`),
    relative: (path) => relative(options.projectRoot, path) || '.',
  };
  return { context, started };
}
