/**
 * How often a monitor reconciles: lists its own runs to catch anything the sandbox's run feed missed. The feed
 * does the watching; this is a slow safety net, so the default is 6 hours. The spec's `monitor.pollInterval`
 * sets it (the name predates the feed; at least a minute). Each interval is jittered by ±10 % so that ten
 * thousand monitors started together do not all list their runs in the same second, ever again.
 */
import type { DataflowDescriptor } from './dataflow-types';
import { parseDuration } from './durations';

export const defaultReconcileIntervalMs = 6 * 3_600_000;
/** The spec refuses less: the feed already looks every minute. */
export const minimumReconcileIntervalMs = 60_000;
const jitterShare = 0.1;

export function reconcileIntervalMs(dataflow: DataflowDescriptor, override?: number): number {
  if (override !== undefined) return override;
  const configured = dataflow.monitor?.pollInterval;
  const explicit = configured === undefined ? undefined : parseDuration(configured);
  return explicit ?? defaultReconcileIntervalMs;
}

/** The interval stretched or shrunk by up to ±10 %; `random` is the workflow's deterministic Math.random. */
export function jittered(intervalMs: number, random: number): number {
  return Math.round(intervalMs * (1 + jitterShare * (2 * random - 1)));
}
