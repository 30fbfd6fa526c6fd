/**
 * The worker's side of each workflow task and activity, for `--timeline`: the SDK's core (Rust) and TypeScript logs
 * of one provisioning, with their own timestamps, so the time between two history events can be split into the
 * server's part, the way to the worker, and the worker's own part.
 *
 * Core logs at DEBUG reach the logger in batches, a moment after they were written: read them a second or so later.
 */
import { DefaultLogger, makeTelemetryFilterString, type LogEntry, type RuntimeOptions } from '@temporalio/worker';

/** Log lines that mark a hop: a workflow task reaching core and lang and leaving again, an activity starting. */
const hops = new Set([
  'New WFT',
  'Sending activation to lang',
  'Got workflow activation',
  'Completed activation',
  'Sending responses to server',
  'Got activity task',
  'Activity started',
  'Activity completed',
  'Adding eager activity tasks',
]);

export interface WorkerSideLine {
  /** Epoch milliseconds, from the log entry's own timestamp. */
  atMs: number;
  text: string;
  /** The workflow the line is about, when it says. */
  workflowId?: string;
}

export class WorkerSideLog {
  private readonly lines: WorkerSideLine[] = [];
  private recording = false;

  /** Runtime options that send core's DEBUG lines and the worker's TRACE lines here. */
  runtimeOptions(): RuntimeOptions {
    return {
      logger: new DefaultLogger('TRACE', (entry) => this.take(entry)),
      telemetryOptions: {
        logging: { forward: {}, filter: makeTelemetryFilterString({ core: 'DEBUG', other: 'ERROR' }) },
      },
    };
  }

  record(): void {
    this.lines.length = 0;
    this.recording = true;
  }

  /** The lines recorded since `record()` about these workflows, or saying nothing of which workflow they are about. */
  stop(workflowIds: string[]): WorkerSideLine[] {
    this.recording = false;
    return this.lines.filter((line) => line.workflowId === undefined || workflowIds.includes(line.workflowId));
  }

  private take(entry: LogEntry): void {
    if (entry.level === 'ERROR' || entry.level === 'WARN') {
      console.error(`${entry.level} ${entry.message}`);
      return;
    }
    if (!this.recording) return;
    // Core says "Adding N activity tasks received from WFT complete".
    const message = entry.message.startsWith('Adding ') ? 'Adding eager activity tasks' : entry.message;
    if (!hops.has(message)) return;
    const meta = entry.meta ?? {};
    const workflowId = typeof meta.workflowId === 'string' ? meta.workflowId : undefined;
    const about = [typeof meta.activityType === 'string' ? meta.activityType : undefined, workflowId].filter(Boolean);
    this.lines.push({
      atMs: Number(entry.timestampNanos / 1_000n) / 1_000,
      text: `${message}${about.length > 0 ? ` (${about.join(', ')})` : ''}`,
      ...(workflowId !== undefined ? { workflowId } : {}),
    });
  }
}
