/**
 * HTTP for the AEP client: one undici Agent (a keep-alive Pool per origin) shared by every sandbox view,
 * the AEP gateway headers, JSON in and out, zod-parsed responses, and failures turned into AepError.
 *
 * Retries here are deliberately narrow: only idempotent reads (GET, and the IMS token request) are retried in
 * process. Writes are sent once; the Temporal activity that issued them decides whether and when to try again,
 * because only it knows how to look for a resource that an unanswered create may have made.
 */
import { Agent, errors as undiciErrors } from 'undici';
import type { IncomingHttpHeaders } from 'node:http';
import type { z } from 'zod';
import { AepError, isRetryableStatus, parseErrorBody, parseRetryAfterMs } from './errors';
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
      connections: options.connections ?? 10,
      keepAliveTimeout: 30_000,
      headersTimeout: this.timeoutMs,
      bodyTimeout: this.timeoutMs,
      connectTimeout: Math.min(this.timeoutMs, 10_000),
    });
  }

  /** One attempt. Resolves on 2xx; throws AepError for any other status or a network failure. */
  async exchange(exchange: HttpExchange): Promise<HttpResponse> {
    let response: HttpResponse;
    try {
      const answer = await this.agent.request({
        origin: exchange.origin,
        path: exchange.path + queryString(exchange.query),
        method: exchange.method,
        headers: exchange.headers,
        body: exchange.body ?? null,
        headersTimeout: this.timeoutMs,
        bodyTimeout: this.timeoutMs,
      });
      const text = await answer.body.text();
      response = { status: answer.statusCode, headers: answer.headers, text, body: parseJson(text) };
    } catch (error) {
      throw networkError(exchange, error);
    }
    if (response.status >= 200 && response.status < 300) return response;
    throw statusError(exchange, response);
  }

  /**
   * Runs `attempt` again on retryable failures when the call is idempotent, waiting the server's Retry-After
   * or an exponential backoff. A Retry-After longer than `maxRetryAfterMs` is handed to the caller instead.
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

/** Sends requests into one sandbox with the gateway headers every AEP API requires. */
export class AepRequester {
  constructor(
    private readonly transport: HttpTransport,
    private readonly tokens: AccessTokenSource,
    private readonly identity: AepGatewayIdentity,
    readonly sandboxName: string,
  ) {}

  async send<T>(request: AepRequest<T>): Promise<T> {
    const idempotent = request.method === 'GET';
    return this.transport.withRetries(idempotent, () => this.sendRenewingTokenOnce(request));
  }

  /**
   * A gateway 401 means it refused the IMS token (401013: expired or revoked before our clock said so); the request
   * was not processed, so one resend with a freshly minted token is safe even for writes. A 401 that a service
   * answered about something else (e.g. a source's own credentials) must not churn IMS tokens.
   */
  private async sendRenewingTokenOnce<T>(request: AepRequest<T>): Promise<T> {
    const token = await this.tokens.accessToken();
    try {
      return await this.sendWithToken(request, token);
    } catch (error) {
      if (!isGatewayTokenRejection(error)) throw error;
      this.tokens.invalidate(token);
      return await this.sendWithToken(request, await this.tokens.accessToken());
    }
  }

  private async sendWithToken<T>(request: AepRequest<T>, token: string): Promise<T> {
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
    const response = await this.transport.exchange(exchange);
    return parseResponse(request.schema, response, exchange);
  }
}

/** Gateway errors carry a numeric `error_code` (401013); Flow Service's own `FLOW-2000-401` is also about the token. */
function isGatewayTokenRejection(error: unknown): boolean {
  if (!(error instanceof AepError) || error.status !== 401) return false;
  return error.code === undefined || /^\d+$/.test(error.code) || error.code === 'FLOW-2000-401';
}
