/**
 * The events receiver's settings, from the environment:
 * - IO_EVENTS_PORT (default 8091) and IO_EVENTS_HOST (default 0.0.0.0: a webhook is called from outside);
 * - IO_EVENTS_KEY_HOST (default https://static.adobeioevents.com), where public keys are fetched;
 * - IO_EVENTS_CLIENT_ID (default AEP_CLIENT_ID), the client id events must be meant for;
 * - IO_EVENTS_HANDOFF_TIMEOUT_MS (default 7000), the deadline of a whole delivery (key fetches, verification and
 *   hand-off) before it is answered 503, well inside the 10 s I/O Events waits for an answer;
 * - IO_EVENTS_GATHER_MS (default 1000, 0 for none), how long events of one sandbox are gathered into one signal to
 *   its run feed (each delivery waits at most this long more for its answer);
 * - AEP_ORG_ID, the organisation whose events are handed on (others are answered 200 and counted as foreign);
 * - RUN_FEED_INTERVAL (as the worker reads it), for a run feed the receiver starts.
 * A missing or malformed variable throws an Error naming it.
 */
import { z } from 'zod';
import { parseDuration } from '../contracts/durations';

export const defaultKeyHost = 'https://static.adobeioevents.com';
export const defaultEventsPort = 8091;
export const defaultHandOffTimeoutMs = 7_000;
export const defaultGatherMs = 1_000;
/** I/O Events waits 10 s for an answer; the whole delivery must end, and be answered, before that. */
const longestDeadlineMs = 9_000;

export interface EventsReceiverSettings {
  port: number;
  host: string;
  keyHost: string;
  clientId: string;
  /** The organisation (AEP_ORG_ID) whose events are handed on. */
  orgId: string;
  /** One deadline for each delivery: verification and hand-off together. */
  deadlineMs: number;
  /** Events of one sandbox arriving within this long go to its run feed as one signal. */
  gatherMs: number;
  /** RUN_FEED_INTERVAL, for feeds the receiver starts; the feed's own default when absent. */
  runFeedIntervalMs?: number;
}

const integerText = (name: string, smallest: number, largest: number) =>
  z
    .string()
    .trim()
    .regex(/^\d+$/, { error: `${name} must be an integer from ${smallest} to ${largest}` })
    .transform(Number)
    .refine((value) => value >= smallest && value <= largest, {
      error: `${name} must be an integer from ${smallest} to ${largest}`,
    });

const environmentSchema = z.object({
  IO_EVENTS_PORT: integerText('IO_EVENTS_PORT', 0, 65_535).default(defaultEventsPort),
  IO_EVENTS_HOST: z.string().trim().min(1).default('0.0.0.0'),
  IO_EVENTS_KEY_HOST: z
    .url({ protocol: /^https?$/, error: 'IO_EVENTS_KEY_HOST must be an http or https URL' })
    .refine((url) => !url.includes('?') && !url.includes('#'), {
      error: 'IO_EVENTS_KEY_HOST must not have a query or fragment',
    })
    .default(defaultKeyHost),
  IO_EVENTS_CLIENT_ID: z
    .string({ error: 'IO_EVENTS_CLIENT_ID (or AEP_CLIENT_ID) is required: events are checked against it' })
    .trim()
    .min(1),
  IO_EVENTS_HANDOFF_TIMEOUT_MS: integerText('IO_EVENTS_HANDOFF_TIMEOUT_MS', 1, longestDeadlineMs).default(
    defaultHandOffTimeoutMs,
  ),
  IO_EVENTS_GATHER_MS: integerText('IO_EVENTS_GATHER_MS', 0, 3_000).default(defaultGatherMs),
  AEP_ORG_ID: z
    .string({ error: 'AEP_ORG_ID is required: only events of this organisation are handed on' })
    .trim()
    .min(1),
  RUN_FEED_INTERVAL: z
    .string()
    .trim()
    .transform((text, context) => {
      const milliseconds = parseDuration(text);
      if (milliseconds === undefined || milliseconds < 1_000) {
        context.addIssue({
          code: 'custom',
          message: `RUN_FEED_INTERVAL must be a duration of at least 1s, such as "60s" or "2m" (got "${text}")`,
        });
        return z.NEVER;
      }
      return milliseconds;
    })
    .optional(),
});

export function eventsReceiverSettingsFromEnv(env: NodeJS.ProcessEnv = process.env): EventsReceiverSettings {
  const read = (name: string) => {
    const value = env[name];
    return value === undefined || value.trim() === '' ? undefined : value;
  };
  const parsed = environmentSchema.safeParse({
    IO_EVENTS_PORT: read('IO_EVENTS_PORT'),
    IO_EVENTS_HOST: read('IO_EVENTS_HOST'),
    IO_EVENTS_KEY_HOST: read('IO_EVENTS_KEY_HOST'),
    IO_EVENTS_CLIENT_ID: read('IO_EVENTS_CLIENT_ID') ?? read('AEP_CLIENT_ID'),
    IO_EVENTS_HANDOFF_TIMEOUT_MS: read('IO_EVENTS_HANDOFF_TIMEOUT_MS'),
    IO_EVENTS_GATHER_MS: read('IO_EVENTS_GATHER_MS'),
    AEP_ORG_ID: read('AEP_ORG_ID'),
    RUN_FEED_INTERVAL: read('RUN_FEED_INTERVAL'),
  });
  if (!parsed.success) {
    throw new Error(
      `Invalid events receiver settings: ${parsed.error.issues.map((issue) => issue.message).join('; ')}`,
    );
  }
  const values = parsed.data;
  if (values.IO_EVENTS_GATHER_MS * 2 > values.IO_EVENTS_HANDOFF_TIMEOUT_MS) {
    throw new Error(
      `Invalid events receiver settings: IO_EVENTS_GATHER_MS (${values.IO_EVENTS_GATHER_MS}) must be at most half of IO_EVENTS_HANDOFF_TIMEOUT_MS (${values.IO_EVENTS_HANDOFF_TIMEOUT_MS}): a delivery waits for its window, then for Temporal`,
    );
  }
  return {
    port: values.IO_EVENTS_PORT,
    host: values.IO_EVENTS_HOST,
    keyHost: values.IO_EVENTS_KEY_HOST.replace(/\/+$/, ''),
    clientId: values.IO_EVENTS_CLIENT_ID,
    orgId: values.AEP_ORG_ID,
    deadlineMs: values.IO_EVENTS_HANDOFF_TIMEOUT_MS,
    gatherMs: values.IO_EVENTS_GATHER_MS,
    ...(values.RUN_FEED_INTERVAL !== undefined ? { runFeedIntervalMs: values.RUN_FEED_INTERVAL } : {}),
  };
}
