/**
 * What the sandbox run feed accepts and answers. Definitions only (no activities), so the CLI, monitors and
 * tests can import them without loading workflow code.
 */
import { query, signal } from './message-definitions';
import type { RunFeedState } from './run-feed-state';

export interface SandboxRunFeedInput {
  sandbox: string;
  /** Time between two looks at the sandbox's runs (default 60 s, the worker's RUN_FEED_INTERVAL). */
  intervalMs?: number;
  /**
   * How far before its cursor each look starts again, so a run that became visible late (it started before the
   * cursor, AEP listed it after) is still seen. Default 3 minutes.
   */
  overlapMs?: number;
  /** Runs asked for per page (default 500; AEP documents no maximum, pages are followed either way). */
  pageSize?: number;
  /** Continue as new once history holds this many events (default 500). */
  continueAsNewAfterEvents?: number;
  /** Set by the feed itself when it continues as new. */
  carriedState?: RunFeedState;
}

/** A monitor asking for a look now (`status --refresh`): answered with that flow's runs, changed or not. */
export interface LookNowRequest {
  requestId: string;
  monitorWorkflowId: string;
  flowId: string;
}

export const lookNowSignal = signal<[LookNowRequest]>('lookNow');

/**
 * What a flow-run notification says about its run, when it carries the run's `metrics` (Adobe's success sample
 * does): enough for the monitor, so the run is not read again. Errors are already cut to a few short ones.
 */
export interface PushedRunFacts {
  /** AEP's status text (success, failed, …). */
  status: string;
  /** Epoch ms. */
  startedAtMs?: number;
  completedAtMs?: number;
  records?: { input?: number; output?: number; failed?: number };
  errors?: Array<{ code?: string; message: string }>;
}

/** A flow-run notification pushed by Adobe I/O Events (webhook or journal), as the feed needs it. */
export interface PushedRunEvent {
  /** I/O Events' id: the same on every redelivery, so a duplicate is dropped. */
  eventId: string;
  runId: string;
  flowId: string;
  outcome: 'started' | 'succeeded' | 'failed';
  /** The run as the event describes it; absent when the event carries no usable metrics (the run is read). */
  run?: PushedRunFacts;
}

/** Runs that started or ended, pushed by the events receiver or the journal reader: handed on at once. */
export const flowRunEventsSignal = signal<[{ events: PushedRunEvent[] }]>('flowRunEvents');

export interface RunFeedStatus {
  sandbox: string;
  /** Runs that started after this instant (less the overlap) are listed next time. */
  cursor?: string;
  intervalMs: number;
  overlapMs: number;
  lastTickAt?: string;
  lastTickDurationMs?: number;
  nextTickAt?: string;
  ticks: number;
  runsSeen: number;
  runsDelivered: number;
  monitorsSignalled: number;
  /** Runs of flows no monitor owns (not made by this tool, or their monitor is gone): ignored. */
  runsIgnored: number;
  /** Pushed run events (I/O Events) received, duplicates dropped by event id, and runs handed on because of them. */
  pushed: {
    events: number;
    duplicates: number;
    runsDelivered: number;
    /** Runs of flows no dataflow of ours owns: counted, never read. */
    foreignRuns: number;
    /** Ends of runs handed on before (a redelivery older than the feed remembers ids for): dropped. */
    staleDuplicates: number;
    /** Finished runs read from AEP because their event carried no metrics. */
    runsRead: number;
    lastEventAt?: string;
  };
  /** Runs followed because they were still in progress at the last look. */
  runsInProgress: number;
  listingErrors: number;
  consecutiveFailures: number;
  lastError?: string;
  lastErrorAt?: string;
  continuedAsNew: number;
  startedAt: string;
}

export const runFeedStatusQuery = query<RunFeedStatus>('status');
