/**
 * The dataflow spec: the JSON file a user writes to provision one OneTrust → AEP dataflow. It is parsed with zod,
 * then checked across fields (schedule rules, token expiry, mapping destinations against the target schema) and
 * its secrets are read, all before anything talks to AEP. Every problem names its field.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { z } from 'zod';
import { readJwtExpiry } from '../onetrust';
import { defaultMapping } from '../contracts/default-mapping';
import { destinationProblem } from '../contracts/target-schema';
import type { DataflowSchedule, MappingRule, ScheduleFrequency } from '../contracts/dataflow-types';
import { parseDuration } from '../contracts/durations';
import { minimumReconcileIntervalMs } from '../contracts/reconcile-cadence';
import { RevealedSecret } from './revealed-secret';
import { readSecret, secretSourceSchema, type SecretSource } from './secret-source';
import { formatFieldPath, SpecError, type SpecProblem } from './spec-error';

export const scheduleFrequencies = ['once', 'minute', 'hour', 'day', 'week'] as const satisfies ScheduleFrequency[];
/** The seed: "For all other frequencies, the interval value must be set to equal or greater than 15." */
export const minimumInterval = 15;
export const defaultOneTrustBaseUrl = 'https://app.onetrust.com';
/** When the spec gives no startTime: soon enough to see the first run, late enough to finish provisioning first. */
export const defaultStartDelaySeconds = 60;

const durationPattern = /^\d+(ms|s|m|h|d)$/;
const duration = z.string().regex(durationPattern, { error: 'must be a duration such as "30s", "15m", "12h" or "7d"' });

/** AEP sandbox names: lowercase letters, digits and hyphens (e.g. "prod", "dev-eu"). */
export const sandboxNamePattern = /^[a-z0-9](?:[a-z0-9-]{0,254})$/;
/** Dataflow names become part of workflow ids and AEP resource names, so no spaces, colons or commas. */
export const dataflowNamePattern = /^[A-Za-z0-9][A-Za-z0-9._-]{0,79}$/;

const httpUrl = z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' });

const mappingRuleSchema = z.strictObject({
  sourceType: z
    .enum(['ATTRIBUTE', 'EXPRESSION'], { error: 'must be "ATTRIBUTE" or "EXPRESSION"' })
    .default('ATTRIBUTE'),
  source: z.string({ error: 'is required (e.g. "content.Language")' }).min(1, { error: 'must not be empty' }),
  destination: z.string({ error: 'is required (e.g. "_{TENANT_ID}.Language")' }).min(1, { error: 'must not be empty' }),
  name: z.string().optional(),
  description: z.string().optional(),
});

const rawSpecSchema = z.strictObject({
  $schema: z.string().optional(),
  $comment: z.string().optional(),
  name: z.string({ error: 'is required' }).regex(dataflowNamePattern, {
    error: 'must be 1–80 letters, digits, ".", "_" or "-", starting with a letter or digit',
  }),
  description: z.string().max(1000).optional(),
  sandbox: z.string({ error: 'is required (the AEP sandbox name, e.g. "prod")' }).regex(sandboxNamePattern, {
    error: 'must be an AEP sandbox name: lowercase letters, digits and hyphens, not starting with a hyphen',
  }),
  onetrust: z.strictObject(
    {
      baseUrl: httpUrl.default(defaultOneTrustBaseUrl),
      accessToken: secretSourceSchema,
      expiresAt: z.iso
        .datetime({ offset: true, error: 'must be an ISO 8601 date-time, e.g. "2026-12-31T00:00:00Z"' })
        .optional(),
      clientCredentials: z
        .strictObject({
          clientId: z.string({ error: 'is required' }).min(1, { error: 'must not be empty' }),
          clientSecret: secretSourceSchema,
        })
        .optional(),
    },
    { error: 'is required: { "accessToken": {"env": "ONETRUST_ACCESS_TOKEN"} }' },
  ),
  target: z.strictObject(
    {
      schemaTitle: z.string({ error: 'is required' }).trim().min(1, { error: 'must not be empty' }).max(255),
      datasetName: z.string({ error: 'is required' }).trim().min(1, { error: 'must not be empty' }).max(255),
    },
    { error: 'is required: { "schemaTitle": "...", "datasetName": "..." }' },
  ),
  mapping: z
    .array(mappingRuleSchema)
    .min(1, { error: 'must hold at least one rule (or leave it out for the default)' })
    .optional(),
  schedule: z.strictObject(
    {
      frequency: z.enum(scheduleFrequencies, {
        error: (issue) =>
          `must be one of ${scheduleFrequencies.join(', ')}${issue.input === undefined ? '' : ` (got ${JSON.stringify(issue.input)})`}`,
      }),
      interval: z
        .number({ error: 'must be a whole number' })
        .int({ error: 'must be a whole number' })
        .positive()
        .optional(),
      startTime: z
        .union([z.number(), z.iso.datetime({ offset: true })], {
          error: 'must be epoch seconds or an ISO 8601 date-time',
        })
        .optional(),
    },
    { error: 'is required: { "frequency": "minute", "interval": 15 }' },
  ),
  alerts: z.strictObject({ webhookUrl: httpUrl }).optional(),
  monitor: z
    .strictObject({
      // Named before the run feed existed: now how often the monitor reconciles its own runs (default 6h).
      pollInterval: duration
        .refine((text) => (parseDuration(text) ?? 0) >= minimumReconcileIntervalMs, {
          error:
            'must be at least 1m: it is how often the monitor double-checks its runs (default 6h); the sandbox run feed already looks every minute',
        })
        .optional(),
      tokenWarnings: z.array(duration).optional(),
    })
    .optional(),
});

export type RawDataflowSpec = z.input<typeof rawSpecSchema>;
type RawSpecSections = z.output<typeof rawSpecSchema>;

/** A spec that passed every check, secrets read (still plaintext: the CLI seals them right away). */
export interface ResolvedDataflowSpec {
  name: string;
  sandbox: string;
  description?: string;
  oneTrust: {
    baseUrl: string;
    accessToken: RevealedSecret;
    expiresAt: Date;
    /** Where the expiry came from, for the CLI's summary. */
    expirySource: 'spec' | 'jwt';
    clientCredentials?: { clientId: string; clientSecret: RevealedSecret };
  };
  target: { schemaTitle: string; datasetName: string };
  /** With the `{TENANT_ID}` placeholder; filled in at provisioning time. */
  mapping: MappingRule[];
  mappingIsDefault: boolean;
  schedule: DataflowSchedule;
  /** True when the spec gave no startTime (provisioning may then push it forward if it would pass). */
  startTimeIsDefault: boolean;
  alerts?: { webhookUrl: string };
  monitor?: { pollInterval?: string; tokenWarnings?: string[] };
}

export interface ResolveOptions {
  env?: NodeJS.ProcessEnv;
  /** Directory token files are relative to (the spec file's directory). */
  baseDir?: string;
  /** Epoch ms; for tests. */
  now?: number;
  /** Shown in the error message, e.g. the spec file's path. */
  source?: string;
}

/** Validates a parsed JSON value; throws SpecError listing every problem with its field. */
/** A spec's expiresAt may round the token's exp up by this much (people write whole minutes). */
const jwtExpirySlackMs = 60_000;

export function resolveDataflowSpec(value: unknown, options: ResolveOptions = {}): ResolvedDataflowSpec {
  const env = options.env ?? process.env;
  const baseDir = options.baseDir ?? process.cwd();
  const now = options.now ?? Date.now();

  // The whole spec is parsed for its shape problems, and each section on its own as well, so a missing section or
  // an unknown field does not hide the cross-field problems of the sections that are well formed.
  const parsed = rawSpecSchema.safeParse(value);
  const problems: SpecProblem[] = parsed.success
    ? []
    : parsed.error.issues.map((issue) => ({ field: formatFieldPath(issue.path), message: describeIssue(issue) }));
  const section = <Key extends keyof RawSpecSections>(key: Key): RawSpecSections[Key] | undefined => {
    if (parsed.success) return parsed.data[key];
    const input = typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[key] : undefined;
    const result = rawSpecSchema.shape[key].safeParse(input);
    return result.success ? (result.data as RawSpecSections[Key]) : undefined;
  };

  const rawSchedule = section('schedule');
  const schedule = rawSchedule ? checkSchedule(rawSchedule, now, problems) : undefined;
  const rawMapping = section('mapping');
  const mapping = (rawMapping ?? defaultMapping).map((rule) => ({ ...rule }));
  rawMapping?.forEach((rule, index) => {
    const problem = destinationProblem(rule.destination);
    if (problem) problems.push({ field: `mapping[${index}].destination`, message: problem });
  });

  const rawOneTrust = section('onetrust');
  const token = rawOneTrust
    ? readSecretInto('onetrust.accessToken', rawOneTrust.accessToken, { env, baseDir }, problems)
    : undefined;
  let expiresAt: Date | undefined;
  let expirySource: 'spec' | 'jwt' = 'spec';
  if (rawOneTrust?.expiresAt !== undefined) {
    expiresAt = new Date(rawOneTrust.expiresAt);
    const jwtExpiry = token ? readJwtExpiry(token.reveal()) : undefined;
    if (expiresAt.getTime() <= now) {
      problems.push({
        field: 'onetrust.expiresAt',
        message: `${rawOneTrust.expiresAt} is in the past: the token has expired`,
      });
    } else if (jwtExpiry && expiresAt.getTime() > jwtExpiry.getTime() + jwtExpirySlackMs) {
      // The token dies at its own exp whatever the spec says: a later expiresAt would silence the warnings.
      problems.push({
        field: 'onetrust.expiresAt',
        message:
          `${rawOneTrust.expiresAt} is later than the token's own expiry (${jwtExpiry.toISOString()}, its "exp" ` +
          'claim): remove expiresAt, or give one no later than that',
      });
    }
  } else if (token) {
    const jwtExpiry = readJwtExpiry(token.reveal());
    if (!jwtExpiry) {
      problems.push({
        field: 'onetrust.expiresAt',
        message:
          'is required when the access token is not a JWT with an "exp" claim (OneTrust tokens never refresh, so the expiry must be known)',
      });
    } else if (jwtExpiry.getTime() <= now) {
      problems.push({ field: 'onetrust.accessToken', message: `the token expired at ${jwtExpiry.toISOString()}` });
    } else {
      expiresAt = jwtExpiry;
      expirySource = 'jwt';
    }
  }

  let clientCredentials: ResolvedDataflowSpec['oneTrust']['clientCredentials'];
  if (rawOneTrust?.clientCredentials) {
    const secret = readSecretInto(
      'onetrust.clientCredentials.clientSecret',
      rawOneTrust.clientCredentials.clientSecret,
      { env, baseDir },
      problems,
    );
    if (secret) clientCredentials = { clientId: rawOneTrust.clientCredentials.clientId, clientSecret: secret };
  }

  if (!parsed.success || problems.length > 0 || !token || !expiresAt || !schedule) {
    throw new SpecError(problems, options.source);
  }
  const raw = parsed.data;

  return {
    name: raw.name,
    sandbox: raw.sandbox,
    ...(raw.description !== undefined ? { description: raw.description } : {}),
    oneTrust: {
      baseUrl: raw.onetrust.baseUrl.replace(/\/+$/, ''),
      accessToken: token,
      expiresAt,
      expirySource,
      ...(clientCredentials ? { clientCredentials } : {}),
    },
    target: { schemaTitle: raw.target.schemaTitle, datasetName: raw.target.datasetName },
    mapping,
    mappingIsDefault: raw.mapping === undefined,
    schedule: schedule.schedule,
    startTimeIsDefault: schedule.isDefault,
    ...(raw.alerts ? { alerts: raw.alerts } : {}),
    ...(raw.monitor ? { monitor: raw.monitor } : {}),
  };
}

/** Reads and validates a spec file (JSON). Token files are resolved relative to the spec's directory. */
export function loadDataflowSpecFile(
  path: string,
  options: Omit<ResolveOptions, 'baseDir' | 'source'> = {},
): ResolvedDataflowSpec {
  const absolute = resolve(path);
  let text: string;
  try {
    text = readFileSync(absolute, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new SpecError(
      [{ field: '', message: `cannot read ${absolute} (${code ?? (error as Error).message})` }],
      path,
    );
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new SpecError([{ field: '', message: `is not valid JSON: ${(error as Error).message}` }], path);
  }
  return resolveDataflowSpec(value, { ...options, baseDir: dirname(absolute), source: path });
}

function checkSchedule(
  raw: RawSpecSections['schedule'],
  now: number,
  problems: SpecProblem[],
): { schedule: DataflowSchedule; isDefault: boolean } | undefined {
  const before = problems.length;
  if (raw.frequency !== 'once') {
    if (raw.interval === undefined) {
      problems.push({
        field: 'schedule.interval',
        message: `is required for frequency "${raw.frequency}" (a whole number ≥ ${minimumInterval})`,
      });
    } else if (raw.interval < minimumInterval) {
      problems.push({
        field: 'schedule.interval',
        message: `must be ≥ ${minimumInterval} for frequency "${raw.frequency}" (got ${raw.interval})`,
      });
    }
  }
  let startTime: number;
  const isDefault = raw.startTime === undefined;
  if (raw.startTime === undefined) {
    startTime = Math.floor(now / 1000) + defaultStartDelaySeconds;
  } else if (typeof raw.startTime === 'number') {
    if (!Number.isInteger(raw.startTime) || raw.startTime <= 0) {
      problems.push({ field: 'schedule.startTime', message: 'must be whole epoch seconds or an ISO 8601 date-time' });
    } else if (raw.startTime > 100_000_000_000) {
      problems.push({
        field: 'schedule.startTime',
        message: `${raw.startTime} looks like milliseconds: give epoch seconds (as AEP expects) or an ISO date-time`,
      });
    }
    startTime = raw.startTime;
  } else {
    startTime = Math.floor(Date.parse(raw.startTime) / 1000);
  }
  if (problems.length === before && startTime * 1000 <= now) {
    problems.push({
      field: 'schedule.startTime',
      message: `${new Date(startTime * 1000).toISOString()} is in the past: AEP refuses a start time that has passed (leave it out to start a minute from now)`,
    });
  }
  if (problems.length > before) return undefined;
  const schedule: DataflowSchedule = { frequency: raw.frequency, startTime };
  if (raw.frequency !== 'once' && raw.interval !== undefined) schedule.interval = raw.interval;
  return { schedule, isDefault };
}

function readSecretInto(
  field: string,
  source: SecretSource,
  options: { env: NodeJS.ProcessEnv; baseDir: string },
  problems: SpecProblem[],
): RevealedSecret | undefined {
  const result = readSecret(source, options);
  if (result.ok) return result.secret;
  problems.push({ field, message: result.message });
  return undefined;
}

function describeIssue(issue: z.core.$ZodIssue): string {
  if (issue.code === 'unrecognized_keys') {
    return `unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((key) => `"${key}"`).join(', ')}`;
  }
  if (issue.code === 'invalid_type' && issue.input === undefined && !/required/.test(issue.message)) {
    return 'is required';
  }
  return issue.message;
}
