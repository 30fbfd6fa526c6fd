/**
 * How this organisation's run feeds are started, from the worker's settings: provisioning, monitors and the events
 * receiver all start feeds, and each must start them the same way.
 */
import type { SandboxRunFeedInput } from './run-feed-messages';

export interface RunFeedSettings {
  /** Task queue feeds run on (RUN_FEED_TASK_QUEUE, else the worker's TASK_QUEUE). */
  taskQueue: string;
  /** RUN_FEED_INTERVAL; the feed's own default (60 s) when absent. */
  intervalMs?: number;
  /** Runs per page; the feed's own default (500) when absent (tests make it small to exercise paging). */
  pageSize?: number;
  /** IO_EVENTS_JOURNAL_URL, when set: the journal reader reads from its origin only. */
  journalUrl?: string;
}

/** A feed's input from the worker's settings: every way a feed is started (here, or by push) uses it. */
export function runFeedInput(sandbox: string, settings: RunFeedSettings): SandboxRunFeedInput {
  return {
    sandbox,
    ...(settings.intervalMs !== undefined ? { intervalMs: settings.intervalMs } : {}),
    ...(settings.pageSize !== undefined ? { pageSize: settings.pageSize } : {}),
  };
}
