/**
 * Last line of defence before anything is printed: replaces whatever looks like a credential with a marker.
 * Secrets are supposed to be sealed long before they reach a log, but an AEP error body, an HTTP header map
 * or an error message can still carry one, so every log line passes through here.
 */

export const redactedMarker = '[REDACTED]';

/** Known secret values shorter than this are not scrubbed from text: they would match ordinary words. */
const shortestScrubbableSecret = 8;

/**
 * Key names whose value is a credential whatever it looks like. Compared after lower-casing and removing
 * `-` and `_`, so `access_token`, `accessToken` and `Access-Token` are one name.
 */
const secretKeyNames = new Set([
  'token',
  'accesstoken',
  'refreshtoken',
  'idtoken',
  'bearertoken',
  'apitoken',
  'sessiontoken',
  'secret',
  'clientsecret',
  'password',
  'passwd',
  'authorization',
  'proxyauthorization',
  'cookie',
  'setcookie',
  'privatekey',
  'dataflowsecretskey',
  'aepclientsecret',
  'temporalapikey',
  // The SDK logs activity task tokens; one is enough to complete or fail that activity.
  'tasktoken',
]);

/** Three base64url segments, the first of which decodes to `{"` (every JWT header does). */
const jwtShape = /\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*/g;
/** `Bearer <anything>` in a header dump or an error message. */
const bearerValue = /\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+/gi;
/** `client_secret=…`, `access_token: …`, `"password":"…"` inside free text (form bodies, URLs, JSON fragments). */
const secretAssignment =
  /\b(client_secret|clientSecret|access_token|accessToken|refresh_token|password|api_key|apiKey|secret)("?\s*[=:]\s*"?)([^\s&",;}]+)/gi;

export interface SecretRedactor {
  /** A deep copy of `value` with secret-named keys masked and secret-shaped text replaced. */
  redact(value: unknown): unknown;
  redactText(text: string): string;
  /** Scrub this exact value too from now on (a secret read after start-up, e.g. from a file). */
  addKnownSecret(secret: string | undefined): void;
}

export interface SecretRedactorOptions {
  /** Exact values this process knows to be secret (e.g. its own AEP client secret); scrubbed wherever they appear. */
  knownSecrets?: Iterable<string | undefined>;
}

export function createSecretRedactor(options: SecretRedactorOptions = {}): SecretRedactor {
  let knownSecrets: string[] = [];
  const addKnownSecret = (secret: string | undefined): void => {
    if (typeof secret !== 'string' || secret.trim().length < shortestScrubbableSecret) return;
    // Longest first, so a secret that contains another is replaced whole.
    knownSecrets = [...knownSecrets, secret].sort((left, right) => right.length - left.length);
  };
  for (const secret of options.knownSecrets ?? []) addKnownSecret(secret);

  const redactText = (text: string): string => {
    let result = text;
    for (const secret of knownSecrets) result = result.split(secret).join(redactedMarker);
    return result
      .replace(jwtShape, redactedMarker)
      .replace(bearerValue, (_match, scheme: string) => `${scheme} ${redactedMarker}`)
      .replace(secretAssignment, (_match, name: string, separator: string) => `${name}${separator}${redactedMarker}`);
  };

  const redact = (value: unknown): unknown => redactValue(value, redactText, new WeakSet());
  return { redact, redactText, addKnownSecret };
}

export function isSecretKeyName(key: string): boolean {
  return secretKeyNames.has(key.toLowerCase().replace(/[-_]/g, ''));
}

function redactValue(value: unknown, redactText: (text: string) => string, seen: WeakSet<object>): unknown {
  if (typeof value === 'string') return redactText(value);
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'function' || typeof value === 'symbol') return undefined;
  if (value === null || typeof value !== 'object') return value;
  if (seen.has(value)) return '[Circular]';
  seen.add(value);

  if (value instanceof Error) return redactError(value, redactText, seen);
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value.toISOString();
  if (Buffer.isBuffer(value) || ArrayBuffer.isView(value)) return `[${value.byteLength} bytes]`;
  if (Array.isArray(value)) return value.map((item) => redactValue(item, redactText, seen));
  if (value instanceof Map)
    return redactEntries(
      [...value.entries()].map(([k, v]) => [String(k), v]),
      redactText,
      seen,
    );
  if (value instanceof Set) return [...value].map((item) => redactValue(item, redactText, seen));
  if (typeof (value as { toJSON?: unknown }).toJSON === 'function') {
    return redactValue((value as { toJSON(): unknown }).toJSON(), redactText, seen);
  }
  return redactEntries(Object.entries(value), redactText, seen);
}

function redactEntries(
  entries: Array<[string, unknown]>,
  redactText: (text: string) => string,
  seen: WeakSet<object>,
): Record<string, unknown> {
  const result: Record<string, unknown> = {};
  for (const [key, item] of entries) {
    if (item === undefined) continue;
    result[key] =
      isSecretKeyName(key) && item !== null && item !== '' ? redactedMarker : redactValue(item, redactText, seen);
  }
  return result;
}

/** Errors print as plain objects (JSON.stringify would give `{}`), with their cause chain and own fields. */
function redactError(
  error: Error,
  redactText: (text: string) => string,
  seen: WeakSet<object>,
): Record<string, unknown> {
  const ownFields = Object.entries(error).filter(([key]) => key !== 'cause');
  const result = redactEntries(ownFields, redactText, seen);
  result.name = error.name;
  result.message = redactText(error.message);
  if (error.stack) result.stack = redactText(error.stack);
  if (error.cause !== undefined) result.cause = redactValue(error.cause, redactText, seen);
  return result;
}
