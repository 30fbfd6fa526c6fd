/**
 * How often the monitor looks at the runs: what the spec says (`monitor.pollInterval`), else once per
 * scheduled run, kept between a minute (no point asking AEP more often) and an hour (a weekly flow still gets
 * its failures noticed the same day a person would look).
 */
import type { DataflowDescriptor, DataflowSchedule } from '../dataflow-types';
import { parseDuration } from './durations';

const minute = 60_000;
const hour = 60 * minute;

const frequencyMilliseconds: Record<DataflowSchedule['frequency'], number> = {
  once: hour,
  minute,
  hour,
  day: 24 * hour,
  week: 7 * 24 * hour,
};

export function pollIntervalMs(dataflow: DataflowDescriptor): number {
  const configured = dataflow.monitor?.pollInterval;
  const explicit = configured === undefined ? undefined : parseDuration(configured);
  if (explicit !== undefined) return explicit;
  return schedulePeriodMs(dataflow.schedule);
}

export function schedulePeriodMs(schedule: DataflowSchedule): number {
  const period =
    schedule.frequency === 'once'
      ? hour
      : frequencyMilliseconds[schedule.frequency] * Math.max(1, schedule.interval ?? 1);
  return Math.min(hour, Math.max(minute, period));
}
