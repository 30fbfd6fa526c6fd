/**
 * HTTP for the AEP client: one undici Agent (a keep-alive Pool per origin) shared by every sandbox view,
 * the AEP gateway headers, JSON in and out, zod-parsed responses, and failures turned into AepError.
 *
 * Retries here are deliberately narrow. A 429 means the gateway did not process the request, so it is resent for
 * every method, after the organisation's pacer has waited out Retry-After. A Retry-After longer than the retry
 * setting maxRetryAfterMs is not waited for here: the failure, carrying it, goes to the activity, whose retry waits
 * it out, while the pacer holds the organisation's other calls back only that bounded time. Other retryable
 * failures are retried in process only for idempotent reads (GET, and the IMS token request); a write is left to
 * the Temporal activity that issued it, because only it knows how to look for a resource that an unanswered create
 * may have made.
 */
import { Agent, errors as undiciErrors } from 'undici';
import type { IncomingHttpHeaders } from 'node:http';
import type { z } from 'zod';
import {
  sleepWithinScope,
  untilCancelled,
  WaitCancelledError,
  WaitPastDeadlineError,
  type AepCallScope,
} from './call-scope';
import { systemClock, type Clock } from './clock';
import { AepCallCancelledError, AepError, isRetryableStatus, parseErrorBody, parseRetryAfterMs } from './errors';
import { RequestPacer, type PacerPermit, type RequestOutcome } from './request-pacer';
import { defaultRetryOptions, retryDelayMs, type RetryOptions } from './retry-policy';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** Query values: arrays become repeated keys (`property=a&property=b`), undefined values are left out. */
export type QueryParameters = Record<string, string | number | boolean | readonly string[] | undefined>;

export interface HttpExchange {
  /** `https://platform.adobe.io` or the simulator's origin; no trailing slash. */
  origin: string;
  method: HttpMethod;
  path: string;
  query?: QueryParameters;
  headers: Record<string, string>;
  body?: string;
}

export interface HttpResponse {
  status: number;
  headers: IncomingHttpHeaders;
  /** Parsed JSON, or undefined for an empty or non-JSON body. */
  body: unknown;
  text: string;
}

/** Keep-alive connections per origin when the client is not told otherwise. */
export const defaultConnections = 10;

export interface HttpTransportOptions {
  connections?: number;
  timeoutMs?: number;
  retries?: Partial<RetryOptions>;
}

export class HttpTransport {
  private readonly agent: Agent;
  private readonly timeoutMs: number;
  readonly retryOptions: RetryOptions;

  constructor(options: HttpTransportOptions = {}) {
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.retryOptions = { ...defaultRetryOptions, ...options.retries };
    this.agent = new Agent({
      connections: options.connections ?? defaultConnections,
      keepAliveTimeout: 30_000,
      headersTimeout: this.timeoutMs,
      bodyTimeout: this.timeoutMs,
      connectTimeout: Math.min(this.timeoutMs, 10_000),
    });
  }

  /**
   * One attempt. Resolves on 2xx; throws AepError for any other status or a network failure, and
   * AepCallCancelledError when `signal` fires before the answer is in.
   */
  async exchange(exchange: HttpExchange, signal?: AbortSignal, deadlineMs?: number): Promise<HttpResponse> {
    let response: HttpResponse;
    // A call still unanswered at its caller's deadline is abandoned: the activity attempt that made it has timed
    // out, and its retry is already looking for what this call may have made.
    const deadline = deadlineMs === undefined ? undefined : AbortSignal.timeout(Math.max(1, deadlineMs - Date.now()));
    const requestSignal = deadline ? (signal ? AbortSignal.any([signal, deadline]) : deadline) : signal;
    try {
      const answer = await this.agent.request({
        origin: exchange.origin,
        path: exchange.path + queryString(exchange.query),
        method: exchange.method,
        headers: exchange.headers,
        body: exchange.body ?? null,
        headersTimeout: this.timeoutMs,
        bodyTimeout: this.timeoutMs,
        signal: requestSignal,
      });
      const text = await answer.body.text();
      response = { status: answer.statusCode, headers: answer.headers, text, body: parseJson(text) };
    } catch (error) {
      if (signal?.aborted) throw new AepCallCancelledError(exchange.method, exchange.path, 'in flight', error);
      if (deadline?.aborted) throw abandonedAtDeadline(exchange, deadlineMs!, error);
      throw networkError(exchange, error);
    }
    if (response.status >= 200 && response.status < 300) return response;
    throw statusError(exchange, response);
  }

  /**
   * Runs `attempt` again on retryable failures when the call is idempotent, waiting the server's Retry-After
   * or an exponential backoff. A Retry-After longer than `maxRetryAfterMs` is handed to the caller instead.
   * Used for the IMS token request, which is neither paced nor scoped (concurrent callers share it).
   */
  async withRetries<T>(idempotent: boolean, attempt: () => Promise<T>): Promise<T> {
    const options = this.retryOptions;
    for (let attemptNumber = 1; ; attemptNumber++) {
      try {
        return await attempt();
      } catch (error) {
        const canRetry =
          idempotent &&
          error instanceof AepError &&
          error.retryable &&
          attemptNumber < options.maxAttempts &&
          (error.retryAfterMs === undefined || error.retryAfterMs <= options.maxRetryAfterMs);
        if (!canRetry) throw error;
        await sleep(retryDelayMs(options, attemptNumber, error.retryAfterMs));
      }
    }
  }

  async close(): Promise<void> {
    await this.agent.close();
  }
}

function statusError(exchange: HttpExchange, response: HttpResponse): AepError {
  // A non-JSON answer to a credential exchange (e.g. a proxy page echoing the form) could quote the client secret:
  // its text never goes into the error, which may end up in logs and workflow history.
  const sentCredentials = exchange.headers['content-type'] === 'application/x-www-form-urlencoded';
  const parsed = parseErrorBody(response.body, sentCredentials ? '' : response.text);
  return new AepError({
    method: exchange.method,
    path: exchange.path,
    status: response.status,
    code: parsed.code,
    detail: parsed.message ?? `HTTP ${response.status}`,
    requestId: parsed.requestId ?? headerValue(response.headers, 'x-request-id'),
    retryable: isRetryableStatus(response.status),
    retryAfterMs: parseRetryAfterMs(headerValue(response.headers, 'retry-after')),
  });
}

/** Connection refused/reset, sockets closed without an answer, timeouts: all worth another try. */
function networkError(exchange: HttpExchange, error: unknown): AepError {
  const code = errorCode(error);
  const isTimeout =
    error instanceof undiciErrors.HeadersTimeoutError ||
    error instanceof undiciErrors.BodyTimeoutError ||
    error instanceof undiciErrors.ConnectTimeoutError;
  const description = error instanceof Error ? error.message : String(error);
  return new AepError({
    method: exchange.method,
    path: exchange.path,
    status: undefined,
    code,
    detail: isTimeout ? `timed out (${description})` : description,
    requestId: undefined,
    retryable: true,
    retryAfterMs: undefined,
    cause: error,
  });
}

function errorCode(error: unknown): string | undefined {
  if (typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'string') {
    return error.code;
  }
  return undefined;
}

export function headerValue(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** encodeURIComponent rather than URLSearchParams: a space must travel as %20, not '+'. */
export function queryString(query: QueryParameters | undefined): string {
  if (!query) return '';
  const parts: string[] = [];
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined) continue;
    const values: readonly string[] = typeof value === 'object' ? value : [String(value)];
    for (const single of values) parts.push(`${encodeURIComponent(key)}=${encodeURIComponent(single)}`);
  }
  return parts.length === 0 ? '' : `?${parts.join('&')}`;
}

function parseJson(text: string): unknown {
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Parses a 2xx body with `schema`; a body AEP should not have sent is a non-retryable AepError. */
export function parseResponse<T>(schema: z.ZodType<T>, response: HttpResponse, exchange: HttpExchange): T {
  const parsed = schema.safeParse(response.body);
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues
    .slice(0, 3)
    .map((issue) => `${issue.path.join('.') || '(body)'}: ${issue.message}`)
    .join('; ');
  return failUnexpectedBody(exchange, response, issues);
}

function failUnexpectedBody(exchange: HttpExchange, response: HttpResponse, issues: string): never {
  throw new AepError({
    method: exchange.method,
    path: exchange.path,
    status: response.status,
    code: 'UNEXPECTED_RESPONSE',
    detail: `response body does not have the documented shape (${issues})`,
    requestId: headerValue(response.headers, 'x-request-id'),
    retryable: false,
    retryAfterMs: undefined,
  });
}

/** Splits a configured base URL into the origin undici connects to and a path prefix (usually empty). */
export function splitBaseUrl(baseUrl: string): { origin: string; pathPrefix: string } {
  const url = new URL(baseUrl);
  return { origin: url.origin, pathPrefix: url.pathname.replace(/\/+$/, '') };
}

/** Where AepRequester gets its bearer token (the IMS token cache). */
export interface AccessTokenSource {
  accessToken(): Promise<string>;
  /** Drops `token` if it is still the cached one, so the next accessToken() fetches a fresh token. */
  invalidate(token: string): void;
}

export interface AepGatewayIdentity {
  platformUrl: string;
  clientId: string;
  orgId: string;
}

export interface AepRequest<T> {
  method: HttpMethod;
  /** Full path from the platform root, e.g. `/data/foundation/flowservice/connections`. */
  path: string;
  query?: QueryParameters;
  /** Serialized as JSON with Content-Type application/json. */
  body?: unknown;
  /** Default `application/json`; the Schema Registry needs its own media types. */
  accept?: string;
  ifMatch?: string;
  schema: z.ZodType<T>;
}

/**
 * Sends requests into one sandbox with the gateway headers every AEP API requires. Each request waits for a slot
 * from the organisation's pacer; every wait honours the call scope (cancellation, deadline, wait reports).
 */
export class AepRequester {
  constructor(
    private readonly transport: HttpTransport,
    private readonly tokens: AccessTokenSource,
    private readonly identity: AepGatewayIdentity,
    readonly sandboxName: string,
    private readonly pacer: RequestPacer = new RequestPacer(),
    private readonly scope: AepCallScope = {},
    private readonly clock: Clock = systemClock,
  ) {}

  async send<T>(request: AepRequest<T>): Promise<T> {
    const options = this.transport.retryOptions;
    const path = splitBaseUrl(this.identity.platformUrl).pathPrefix + request.path;
    let previousFailure: AepError | undefined;
    for (let attemptNumber = 1; ; attemptNumber++) {
      let failure: AepError;
      try {
        return await this.sendRenewingTokenOnce(request, previousFailure !== undefined);
      } catch (error) {
        // A resend that cannot be made before the deadline: the failure it would have retried is the answer.
        if (error instanceof WaitPastDeadlineError && previousFailure) throw withDeadlineNote(previousFailure, error);
        if (error instanceof WaitPastDeadlineError) {
          throw deadlineFailure(request.method, path, error, this.passesRetryWindow(error));
        }
        if (error instanceof WaitCancelledError) throw cancelled(request.method, path, error);
        if (!(error instanceof AepError) || !this.mayRetry(request.method, error, attemptNumber)) throw error;
        failure = error;
      }
      previousFailure = failure;
      // A 429 goes straight back to the pacer, which waits out Retry-After for the whole organisation (mayRetry has
      // let through only a Retry-After within maxRetryAfterMs; a longer one went to the caller, with its full wait).
      if (failure.status === 429 && this.pacer.adaptive) continue;
      const delayMs = retryDelayMs(options, attemptNumber, failure.retryAfterMs);
      const reason = failure.retryAfterMs === undefined ? 'backoff' : 'retry-after';
      try {
        await sleepWithinScope(delayMs, reason, this.scope, this.clock);
      } catch (error) {
        if (error instanceof WaitPastDeadlineError) throw withDeadlineNote(failure, error);
        if (error instanceof WaitCancelledError) throw cancelled(request.method, path, error);
        throw error;
      }
    }
  }

  /** Whether the wait refused would end after the caller's last try (no retry of its activity could send it). */
  private passesRetryWindow(wait: WaitPastDeadlineError): boolean {
    const { retryWindowEndsMs } = this.scope;
    return retryWindowEndsMs !== undefined && this.clock.now() + wait.waitMs >= retryWindowEndsMs;
  }

  /** 429: every method (the gateway did not process it), unless pacing is off. Other retryable failures: GET only. */
  private mayRetry(method: HttpMethod, error: AepError, attemptNumber: number): boolean {
    const options = this.transport.retryOptions;
    return (
      error.retryable &&
      (method === 'GET' || (error.status === 429 && this.pacer.adaptive)) &&
      attemptNumber < options.maxAttempts &&
      (error.retryAfterMs === undefined || error.retryAfterMs <= options.maxRetryAfterMs)
    );
  }

  /**
   * A gateway 401 means it refused the IMS token (401013: expired or revoked before our clock said so); the request
   * was not processed, so one resend with a freshly minted token is safe even for writes. A 401 that a service
   * answered about something else (e.g. a source's own credentials) must not churn IMS tokens.
   */
  private async sendRenewingTokenOnce<T>(request: AepRequest<T>, resend: boolean): Promise<T> {
    const token = await untilCancelled(this.tokens.accessToken(), this.scope.signal);
    try {
      return await this.sendWithToken(request, token, resend);
    } catch (error) {
      if (!isGatewayTokenRejection(error)) throw error;
      this.tokens.invalidate(token);
      const renewed = await untilCancelled(this.tokens.accessToken(), this.scope.signal);
      return await this.sendWithToken(request, renewed, true);
    }
  }

  private async sendWithToken<T>(request: AepRequest<T>, token: string, resend: boolean): Promise<T> {
    const headers: Record<string, string> = {
      authorization: `Bearer ${token}`,
      'x-api-key': this.identity.clientId,
      'x-gw-ims-org-id': this.identity.orgId,
      'x-sandbox-name': this.sandboxName,
      accept: request.accept ?? 'application/json',
    };
    if (request.ifMatch !== undefined) headers['if-match'] = request.ifMatch;
    let body: string | undefined;
    if (request.body !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(request.body);
    }
    const { origin, pathPrefix } = splitBaseUrl(this.identity.platformUrl);
    const exchange: HttpExchange = {
      origin,
      method: request.method,
      path: pathPrefix + request.path,
      query: request.query,
      headers,
      body,
    };
    const permit = await this.pacer.acquire(this.scope, { resend });
    const response = await this.exchangeReportingOutcome(exchange, permit);
    return parseResponse(request.schema, response, exchange);
  }

  /** Tells the pacer how the request fared: an answer was admitted, a 429 was not, a network failure says nothing. */
  private async exchangeReportingOutcome(exchange: HttpExchange, permit: PacerPermit): Promise<HttpResponse> {
    let outcome: RequestOutcome = { kind: 'unanswered' };
    try {
      const response = await this.transport.exchange(exchange, this.scope.signal, this.scope.deadlineMs);
      outcome = { kind: 'admitted' };
      return response;
    } catch (error) {
      if (error instanceof AepError && error.status === 429) {
        outcome = { kind: 'throttled', retryAfterMs: error.retryAfterMs };
      } else if (error instanceof AepError && error.status !== undefined) {
        outcome = { kind: 'admitted' };
      }
      throw error;
    } finally {
      permit.finish(outcome);
    }
  }
}

function cancelled(method: string, path: string, wait: WaitCancelledError): AepCallCancelledError {
  return new AepCallCancelledError(method, path, `while waiting (${wait.reason})`, wait);
}

/** Sent, but unanswered when the caller's deadline came: it may or may not have been processed. Retryable. */
function abandonedAtDeadline(exchange: HttpExchange, deadlineMs: number, cause: unknown): AepError {
  return new AepError({
    method: exchange.method,
    path: exchange.path,
    status: undefined,
    code: 'DEADLINE_EXCEEDED',
    detail: `abandoned unanswered at the caller's deadline (${new Date(deadlineMs).toISOString()})`,
    requestId: undefined,
    retryable: true,
    retryAfterMs: undefined,
    cause,
  });
}

/**
 * Not sent: its slot (or the Retry-After in force) comes after the deadline. Retryable: after the Retry-After AEP
 * asked for; a pacing slot is only estimated at the rate in force, which may soon rise (measured: 120 s at a share
 * of 1.5/s, while the shared rate was still half the limit after a low first estimate), so its retry takes the
 * step's own backoff, unless the slot is after the caller's retry window: then its wait is the retry delay, which
 * ends the step's retries at once with the answer AEP gave before (no retry could send the call at this rate).
 */
function deadlineFailure(
  method: string,
  path: string,
  wait: WaitPastDeadlineError,
  passesRetryWindow: boolean,
): AepError {
  return new AepError({
    method,
    path,
    status: undefined,
    code: 'DEADLINE_EXCEEDED',
    detail: `not sent: ${wait.message}`,
    requestId: undefined,
    retryable: true,
    retryAfterMs: wait.reason === 'retry-after' || passesRetryWindow ? Math.round(wait.waitMs) : undefined,
    cause: wait,
  });
}

/** The failure as it was (still retryable), saying why it was not retried in process. */
function withDeadlineNote(failure: AepError, wait: WaitPastDeadlineError): AepError {
  return new AepError({
    method: failure.method,
    path: failure.path,
    status: failure.status,
    code: failure.code,
    detail: `${failure.detail} (not retried: ${wait.message})`,
    requestId: failure.requestId,
    retryable: failure.retryable,
    retryAfterMs: failure.retryAfterMs,
    cause: failure,
  });
}

/** Gateway errors carry a numeric `error_code` (401013); Flow Service's own `FLOW-2000-401` is also about the token. */
function isGatewayTokenRejection(error: unknown): boolean {
  if (!(error instanceof AepError) || error.status !== 401) return false;
  return error.code === undefined || /^\d+$/.test(error.code) || error.code === 'FLOW-2000-401';
}
