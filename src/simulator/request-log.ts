/**
 * What the simulator received, for tests and the demo: method, path, query, status, time, sandbox and If-Match.
 * Never headers that carry credentials, never bodies; query values whose names look secret are redacted
 * (IMS accepts its form fields as query parameters too). The admin API's own calls are not logged.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

export interface RequestLogEntry {
  method: string;
  path: string;
  query: Record<string, unknown>;
  status: number;
  /** ISO-8601 time the request arrived. */
  time: string;
  sandbox?: string;
  ifMatch?: string;
  /** True when a dropAfterCommit fault destroyed the socket instead of answering. */
  dropped?: boolean;
}

const secretLookingName = /secret|password|assertion|^code$|token$/i;
/** Bounded so a long-running demo or a benchmark cannot grow the log without limit. */
const maximumEntries = 50_000;

export class RequestLog {
  private entries: RequestLogEntry[] = [];
  private readonly logged = new WeakSet<object>();

  record(entry: RequestLogEntry): void {
    if (this.entries.length >= maximumEntries) this.entries = this.entries.slice(maximumEntries / 10);
    this.entries.push(entry);
  }

  /** Logs a request once, whichever of the answer or a dropped socket comes first. */
  recordRequest(request: FastifyRequest, reply: FastifyReply, dropped = false): void {
    if (this.logged.has(request.raw)) return;
    this.logged.add(request.raw);
    this.record(entryFor(request, reply, dropped));
  }

  list(): readonly RequestLogEntry[] {
    return this.entries;
  }

  clear(): void {
    this.entries = [];
  }
}

export function isAdminUrl(url: string): boolean {
  return url.startsWith('/__sim/') || url === '/__sim';
}

export function registerRequestLogging(app: FastifyInstance, log: RequestLog, printEachRequest: boolean): void {
  app.addHook('onResponse', (request, reply, done) => {
    if (!isAdminUrl(request.url)) {
      log.recordRequest(request, reply);
      if (printEachRequest) {
        // Path only: query strings may carry credentials.
        console.log(`${request.method} ${pathOf(request.url)} ${reply.statusCode} ${reply.elapsedTime.toFixed(1)}ms`);
      }
    }
    done();
  });
}

function entryFor(request: FastifyRequest, reply: FastifyReply, dropped: boolean): RequestLogEntry {
  const headers = request.headers;
  const entry: RequestLogEntry = {
    method: request.method,
    path: pathOf(request.url),
    query: redacted(request.query),
    status: reply.statusCode,
    time: new Date(Date.now() - reply.elapsedTime).toISOString(),
  };
  const sandbox = headers['x-sandbox-name'];
  if (typeof sandbox === 'string') entry.sandbox = sandbox;
  const ifMatch = headers['if-match'];
  if (typeof ifMatch === 'string') entry.ifMatch = ifMatch;
  if (dropped) entry.dropped = true;
  return entry;
}

function pathOf(url: string): string {
  const questionMark = url.indexOf('?');
  return questionMark < 0 ? url : url.slice(0, questionMark);
}

function redacted(query: unknown): Record<string, unknown> {
  if (typeof query !== 'object' || query === null) return {};
  const copy: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(query)) {
    copy[name] = name !== 'continuationToken' && secretLookingName.test(name) ? '[redacted]' : value;
  }
  return copy;
}
