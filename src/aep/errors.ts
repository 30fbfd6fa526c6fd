/**
 * Every failure of an AEP or IMS call is one AepError: HTTP status, AEP's error code and message,
 * the request id to quote to Adobe support, whether retrying can help, and how long the server asked us to wait.
 */

export interface AepErrorFields {
  method: string;
  /** Path without host and without query string (queries can carry filters we do not want in logs). */
  path: string;
  status: number | undefined;
  code: string | undefined;
  /** AEP's own message, or the network failure's description. */
  detail: string;
  requestId: string | undefined;
  retryable: boolean;
  retryAfterMs: number | undefined;
  cause?: unknown;
}

export class AepError extends Error {
  override readonly name = 'AepError';
  /** undefined for network errors and timeouts. */
  readonly status: number | undefined;
  /** 'FLOW-1418-400', 'XDM-1521-400', '401013' (gateway error_code), 'invalid_client', 'UND_ERR_SOCKET', ... */
  readonly code: string | undefined;
  readonly requestId: string | undefined;
  /** 429, 5xx, network errors, timeouts and DEADLINE_EXCEEDED (not sent before the caller's deadline): true. */
  readonly retryable: boolean;
  readonly retryAfterMs: number | undefined;
  readonly method: string;
  readonly path: string;
  /** AEP's message without the "<METHOD> <path> failed" prefix. */
  readonly detail: string;

  constructor(fields: AepErrorFields) {
    super(describe(fields), fields.cause === undefined ? undefined : { cause: fields.cause });
    this.status = fields.status;
    this.code = fields.code;
    this.requestId = fields.requestId;
    this.retryable = fields.retryable;
    this.retryAfterMs = fields.retryAfterMs;
    this.method = fields.method;
    this.path = fields.path;
    this.detail = fields.detail;
  }
}

/**
 * A call given up because its caller's AbortSignal fired (the Temporal activity was cancelled). Named AbortError:
 * an activity that throws one after its cancellation is reported to Temporal as cancelled, not as failed.
 */
export class AepCallCancelledError extends Error {
  override readonly name = 'AbortError';

  constructor(
    readonly method: string,
    readonly path: string,
    /** Where the call was: 'in flight', or 'while waiting (pacing)' and the like. */
    readonly stage: string,
    cause?: unknown,
  ) {
    super(`${method} ${path} was cancelled ${stage}`, cause === undefined ? undefined : { cause });
  }
}

function describe(fields: AepErrorFields): string {
  const prefix = `${fields.method} ${fields.path} failed`;
  if (fields.status === undefined) {
    return `${prefix}: ${fields.code ? `${fields.code}: ` : ''}${fields.detail}`;
  }
  return `${prefix}: HTTP ${fields.status}${fields.code ? ` ${fields.code}` : ''}: ${fields.detail}`;
}

export function isNotFound(error: unknown): boolean {
  return error instanceof AepError && error.status === 404;
}

/** 429 and every 5xx can succeed later; other statuses will fail the same way again. */
export function isRetryableStatus(status: number): boolean {
  return status === 429 || status >= 500;
}

export interface ParsedErrorBody {
  code: string | undefined;
  message: string | undefined;
  requestId: string | undefined;
}

/**
 * Reads every error body shape AEP and IMS document:
 * - gateway `{error_code, message}`
 * - Flow Service problem `{type: ".../FLOW-1418-400", title, report: {"detailed-message", "request-id"}, errorMessage}`
 * - Schema Registry `{type: ".../XDM-1521-400", title, detail, report: {registryRequestId, "detailed-message"}}`
 * - OAuth `{error, error_description}`
 * - troubleshooting-guide variant `{errorMessage}` (e.g. the 412 "Supplied version ... does not match")
 * - `{type, title: "BadRequestError", detail}` (missing content-type)
 * Unknown shapes fall back to `message`/`code` fields, then to the raw text.
 */
export function parseErrorBody(body: unknown, rawText: string): ParsedErrorBody {
  if (!isRecord(body)) {
    const text = rawText.trim();
    return { code: undefined, message: text === '' ? undefined : truncate(text), requestId: undefined };
  }
  const report = isRecord(body.report) ? body.report : {};
  const typeCode = typeof body.type === 'string' ? codeFromProblemType(body.type) : undefined;
  const code =
    text(body.error_code) ??
    typeCode ??
    text(body.error) ??
    text(body.code) ??
    (text(body.title) === 'BadRequestError' ? 'BadRequestError' : undefined);
  const message =
    text(report['detailed-message']) ??
    text(body.detail) ??
    text(body.errorMessage) ??
    text(body.error_description) ??
    text(body.message) ??
    text(body.title) ??
    (rawText.trim() === '' ? undefined : truncate(rawText.trim()));
  const requestId =
    text(report['request-id']) ?? text(report.registryRequestId) ?? text(body['request-id']) ?? text(body.requestId);
  return { code, message, requestId };
}

/** `https://ns.adobe.com/aep/errors/FLOW-1418-400` → `FLOW-1418-400`; placeholder types yield nothing. */
function codeFromProblemType(type: string): string | undefined {
  const lastSegment = type.split('/').pop() ?? '';
  return /^[A-Z][A-Z0-9_]*-\d+(-\d+)?$/.test(lastSegment) ? lastSegment : undefined;
}

/** Kept here too: callers read every part of an HTTP failure from this module. */
export { parseRetryAfterMs } from './retry-after';

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function text(value: unknown): string | undefined {
  if (typeof value === 'string' && value.trim() !== '') return value;
  if (typeof value === 'number') return String(value);
  return undefined;
}

function truncate(value: string): string {
  return value.length > 500 ? `${value.slice(0, 500)}…` : value;
}
