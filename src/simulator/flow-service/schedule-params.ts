/**
 * Flow schedule rules from the seed tutorial: `startTime` in epoch seconds and not already past, `frequency` one of
 * once|minute|hour|day|week, `interval` an integer ≥ 15 for every frequency except once. Numbers may arrive as
 * numbers or numeric strings; they are stored as strings, as AEP returns them.
 */
import type { ScheduleParams } from './entity-types';
import { invalidRequest } from './flow-errors';
import { isJsonObject, textOf } from './request-parts';

export const frequencies = ['once', 'minute', 'hour', 'day', 'week'] as const;
type Frequency = (typeof frequencies)[number];

const frequencyMs: Record<Exclude<Frequency, 'once'>, number> = {
  minute: 60_000,
  hour: 3_600_000,
  day: 86_400_000,
  week: 604_800_000,
};

export const minimumInterval = 15;
/** Clock skew we forgive between a client computing "now" and the simulator receiving the request. */
export const startTimeGraceSeconds = 5;
/** Epoch seconds stay below this until the year 5138; larger values are milliseconds sent by mistake. */
const largestPlausibleEpochSeconds = 1e11;

/**
 * Validates scheduleParams. `previous` is the stored schedule on a PATCH: an unchanged startTime may lie in the
 * past, and a startTime that has already passed may not be changed (help/sources/tutorials/api/update-dataflows.md).
 */
export function normalizeScheduleParams(raw: unknown, nowMs: number, previous?: ScheduleParams): ScheduleParams {
  if (!isJsonObject(raw)) throw invalidRequest(`The field 'scheduleParams' is required and must be an object.`);
  const frequency = raw.frequency;
  if (typeof frequency !== 'string' || !(frequencies as readonly string[]).includes(frequency)) {
    throw invalidRequest(
      `Invalid scheduleParams.frequency '${textOf(frequency)}'. Acceptable values are: ${frequencies.join(', ')}.`,
    );
  }

  const startTime = integerValue(raw.startTime, 'scheduleParams.startTime');
  if (startTime === undefined)
    throw invalidRequest(`The field 'scheduleParams.startTime' (epoch seconds) is required.`);
  if (startTime >= largestPlausibleEpochSeconds) {
    throw invalidRequest(`scheduleParams.startTime ${startTime} is not in epoch seconds (it looks like milliseconds).`);
  }
  const nowSeconds = nowMs / 1000;
  const startTimeChanged = previous === undefined || Number(previous.startTime) !== startTime;
  if (startTimeChanged) {
    if (previous !== undefined && Number(previous.startTime) < nowSeconds) {
      throw invalidRequest(`scheduleParams.startTime cannot be changed once the flow's start time has passed.`);
    }
    if (startTime < nowSeconds - startTimeGraceSeconds) {
      throw invalidRequest(
        `scheduleParams.startTime ${startTime} is in the past; the current time is ${Math.floor(nowSeconds)}.`,
      );
    }
  }

  const normalized: ScheduleParams = { startTime: String(startTime), frequency: frequency as Frequency };
  const interval = integerValue(raw.interval, 'scheduleParams.interval');
  if (frequency !== 'once') {
    if (interval === undefined) {
      throw invalidRequest(`The field 'scheduleParams.interval' is required when the frequency is ${frequency}.`);
    }
    if (interval < minimumInterval) {
      throw invalidRequest(
        `Invalid scheduleParams.interval ${interval}: the interval must be greater than or equal to ${minimumInterval} for frequency ${frequency}.`,
      );
    }
  } else if (interval !== undefined && interval < 1) {
    throw invalidRequest(`Invalid scheduleParams.interval ${interval}: the interval must be a non-zero integer.`);
  }
  if (interval !== undefined) normalized.interval = String(interval);

  if (raw.backfill !== undefined) {
    const backfill = textOf(raw.backfill).toLowerCase();
    if (backfill !== 'true' && backfill !== 'false') {
      throw invalidRequest(`Invalid scheduleParams.backfill '${textOf(raw.backfill)}': use true or false.`);
    }
    normalized.backfill = backfill;
  }
  return normalized;
}

/** The time between two runs of a schedule, in simulated milliseconds; undefined for a one-time flow. */
export function schedulePeriodMs(schedule: ScheduleParams): number | undefined {
  if (schedule.frequency === 'once') return undefined;
  return frequencyMs[schedule.frequency] * Number(schedule.interval ?? minimumInterval);
}

function integerValue(value: unknown, field: string): number | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  const number =
    typeof value === 'number' ? value : typeof value === 'string' && /^\s*-?\d+\s*$/.test(value) ? Number(value) : NaN;
  if (!Number.isSafeInteger(number))
    throw invalidRequest(`Invalid ${field} '${textOf(value)}': an integer is required.`);
  return number;
}
