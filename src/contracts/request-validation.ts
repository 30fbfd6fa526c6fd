/**
 * Synchronous checks of what users send the monitor. They run as update validators (a refused update leaves no
 * trace in history) and before a signal's work is queued (the signal itself is already recorded by then).
 * Workflow-safe: plain code, no zod, no Node.
 */
import type { ScheduleFrequency } from './dataflow-types';
import type { TeardownRequest, UpdateDataflowRequest } from './monitor-state';

const frequencies: readonly ScheduleFrequency[] = ['once', 'minute', 'hour', 'day', 'week'];
const sourceTypes = ['ATTRIBUTE', 'EXPRESSION'];
/** The seed: "interval … should be greater than or equal to 15 for other frequency values" than once. */
export const minimumScheduleInterval = 15;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Returns the first problem found, naming the field, or undefined when the request is acceptable. */
export function rotateTokenProblem(request: unknown, nowMs: number): string | undefined {
  if (!isRecord(request)) return 'rotateToken expects an object {token, expiresAt?}';
  const token = request.token;
  // Only a sealed token may be acted on. As an update's validator this refuses plaintext before it is recorded; a
  // signal's payload is already in history when its handler refuses it (hence: rotate with the CLI, an update).
  // v1: the legacy shared key; v2: sealed to the worker's public key (widening what is accepted replays safely).
  if (!isRecord(token) || typeof token.sealed !== 'string' || !/^v[12]\./.test(token.sealed)) {
    return 'token: must be a sealed secret {sealed: "v2.…"} (the CLI seals tokens; never send one in plaintext)';
  }
  if (request.expiresAt !== undefined) {
    if (typeof request.expiresAt !== 'string' || Number.isNaN(Date.parse(request.expiresAt))) {
      return 'expiresAt: must be an ISO 8601 instant, e.g. 2027-01-31T00:00:00Z';
    }
    if (Date.parse(request.expiresAt) <= nowMs) return `expiresAt: ${request.expiresAt} is already past`;
  }
  return undefined;
}

export function scheduleProblem(schedule: unknown): string | undefined {
  if (!isRecord(schedule)) return 'schedule: must be an object {frequency, interval}';
  const { frequency, interval } = schedule;
  if (typeof frequency !== 'string' || !frequencies.includes(frequency as ScheduleFrequency)) {
    return `schedule.frequency: must be one of ${frequencies.join(', ')}`;
  }
  if (frequency === 'once') {
    return interval === undefined ? undefined : 'schedule.interval: not allowed with frequency once';
  }
  if (typeof interval !== 'number' || !Number.isInteger(interval)) {
    return `schedule.interval: required with frequency ${frequency}, a whole number`;
  }
  if (interval < minimumScheduleInterval) {
    return `schedule.interval: must be at least ${minimumScheduleInterval} (got ${interval})`;
  }
  return undefined;
}

export function mappingProblem(mapping: unknown): string | undefined {
  if (!Array.isArray(mapping) || mapping.length === 0) return 'mapping: must be a non-empty list of mapping rules';
  for (const [index, rule] of mapping.entries()) {
    if (!isRecord(rule)) return `mapping[${index}]: must be an object {sourceType, source, destination}`;
    if (typeof rule.sourceType !== 'string' || !sourceTypes.includes(rule.sourceType)) {
      return `mapping[${index}].sourceType: must be one of ${sourceTypes.join(', ')}`;
    }
    for (const field of ['source', 'destination'] as const) {
      const value = rule[field];
      if (typeof value !== 'string' || value.trim() === '')
        return `mapping[${index}].${field}: must be a non-empty text`;
    }
  }
  return undefined;
}

export function updateDataflowProblem(request: unknown): string | undefined {
  if (!isRecord(request)) return 'updateDataflow expects an object {name?, description?, schedule?, mapping?}';
  const known = ['name', 'description', 'schedule', 'mapping'];
  const unknown = Object.keys(request).filter((key) => !known.includes(key));
  if (unknown.length > 0) return `${unknown[0]}: not something updateDataflow can change (${known.join(', ')})`;
  const { name, description, schedule, mapping } = request as UpdateDataflowRequest & Record<string, unknown>;
  if (name === undefined && description === undefined && schedule === undefined && mapping === undefined) {
    return 'nothing to change: give at least one of name, description, schedule, mapping';
  }
  if (name !== undefined && (typeof name !== 'string' || name.trim() === '' || name.length > 256)) {
    return 'name: must be a non-empty text of at most 256 characters';
  }
  if (description !== undefined && (typeof description !== 'string' || description.length > 2000)) {
    return 'description: must be a text of at most 2000 characters';
  }
  if (schedule !== undefined) {
    const problem = scheduleProblem(schedule);
    if (problem) return problem;
  }
  if (mapping !== undefined) return mappingProblem(mapping);
  return undefined;
}

export function teardownProblem(request: unknown): string | undefined {
  if (request === undefined) return undefined;
  if (!isRecord(request)) return 'teardown expects an object {keepData?}';
  const { keepData } = request as TeardownRequest;
  if (keepData !== undefined && typeof keepData !== 'boolean') return 'keepData: must be true or false';
  return undefined;
}

export function applySpecProblem(request: unknown, nowMs: number): string | undefined {
  if (!isRecord(request)) return 'applySpec expects an object {description, schedule, mapping, token, tokenExpiresAt}';
  if (typeof request.description !== 'string') return 'description: must be a string';
  const sealed = isRecord(request.alerts) ? request.alerts.webhookUrl : undefined;
  if (request.alerts !== undefined && (!isRecord(sealed) || typeof sealed.sealed !== 'string')) {
    return 'alerts.webhookUrl: must be sealed';
  }
  return (
    scheduleProblem(request.schedule) ??
    mappingProblem(request.mapping) ??
    rotateTokenProblem({ token: request.token, expiresAt: request.tokenExpiresAt }, nowMs) ??
    (request.oneTrust === undefined ? undefined : oneTrustEndpointProblem(request.oneTrust))
  );
}

/** The OneTrust base URL and client credentials a spec sends with applySpec: only a sealed client secret. */
export function oneTrustEndpointProblem(endpoint: unknown): string | undefined {
  if (!isRecord(endpoint)) return 'oneTrust: must be an object {baseUrl, clientCredentials?}';
  if (typeof endpoint.baseUrl !== 'string' || !/^https?:\/\/[^/\s]/.test(endpoint.baseUrl)) {
    return 'oneTrust.baseUrl: must be an http(s) URL';
  }
  const credentials = endpoint.clientCredentials;
  if (credentials === undefined) return undefined;
  if (!isRecord(credentials)) return 'oneTrust.clientCredentials: must be an object {clientId, clientSecret}';
  if (typeof credentials.clientId !== 'string' || credentials.clientId.trim() === '') {
    return 'oneTrust.clientCredentials.clientId: must be a non-empty text';
  }
  const secret = credentials.clientSecret;
  if (!isRecord(secret) || typeof secret.sealed !== 'string' || !/^v[12]\./.test(secret.sealed)) {
    return 'oneTrust.clientCredentials.clientSecret: must be a sealed secret {sealed: "v2.…"} (the CLI seals it)';
  }
  return undefined;
}
