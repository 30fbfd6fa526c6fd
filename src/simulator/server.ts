/**
 * Builds and starts the platform simulator: one fastify server with the AEP APIs (behind the gateway rules and its
 * rate limit), Adobe IMS, OneTrust, Adobe I/O Events (flow-run notifications to webhooks, their signing keys and
 * journals), the admin API, fault injection, added latency, the request log, the run scheduler and persistence.
 */
import formbody from '@fastify/formbody';
import Fastify, { type FastifyError, type FastifyInstance, type FastifyRequest } from 'fastify';
import { adminPrefix, registerAdminRoutes } from './admin';
import { defaultErrorFor } from './api-errors';
import { registerCatalogRoutes } from './catalog';
import { createClock } from './clock';
import type { SimulatorContext, SimulatorSettings } from './context';
import { createDataPrepService, registerDataPrepRoutes } from './data-prep';
import { simulatorDefaults } from './defaults';
import { registerFaultInjection } from './fault-injection';
import { FaultRules } from './faults';
import { registerFlowServiceRoutes } from './flow-service';
import { registerGateway } from './gateway';
import { createImsService, registerImsRoutes } from './ims';
import {
  IoEventsService,
  registerAdminIoEventsRoutes,
  registerJournalRoutes,
  registerPublicKeyRoutes,
} from './io-events';
import { AddedLatency, registerLatency } from './latency';
import { createOneTrustService, registerOneTrustRoutes } from './onetrust';
import { StatePersistence } from './persistence';
import { SimulatorHttpError } from './problems';
import { RateLimit, registerRateLimiting } from './rate-limit';
import { RequestCounts, registerRequestCounting } from './request-counts';
import { RequestLog, registerRequestLogging } from './request-log';
import { RunExecutor } from './run-execution';
import { RunFailures } from './run-failures';
import { RunRetention } from './run-retention';
import { RunScheduler } from './run-scheduler';
import { registerSchemaRegistryRoutes } from './schema-registry';
import { Store } from './store';

export interface SimulatorOptions extends Partial<SimulatorSettings> {
  /** 0 picks a free port. */
  port?: number;
  host?: string;
  /** JSON file the state is loaded from at start and saved to after changes and on close. */
  stateFile?: string;
  /** Print one line per request (method, path, status, time) to stdout. */
  logRequests?: boolean;
  /** Share of runs (0..1, drawn per run) that fail with a platform error; the admin API can change it. Default 0. */
  runFailureShare?: number;
  /** Forget runs, and the records they wrote, this many hours after they started. Default: keep everything. */
  runRetentionHours?: number;
  /**
   * At most this many AEP calls per organization in any trailing second; more are answered 429 with Retry-After.
   * The admin API can change it. Default: no limit.
   */
  rateLimit?: number;
  /** Answer every call outside `/__sim/` (AEP, IMS, OneTrust) this many ms late; the admin API can change it. */
  latencyMs?: number;
}

export interface RunningSimulator {
  url: string;
  port: number;
  context: SimulatorContext;
  close(): Promise<void>;
}

export function simulatorSettings(options: SimulatorOptions = {}): SimulatorSettings {
  return {
    clientId: options.clientId ?? simulatorDefaults.clientId,
    clientSecret: options.clientSecret ?? simulatorDefaults.clientSecret,
    orgId: options.orgId ?? simulatorDefaults.orgId,
    tenantId: options.tenantId ?? simulatorDefaults.tenantId,
    timeScale: options.timeScale ?? simulatorDefaults.timeScale,
    oneTrustSubjects: options.oneTrustSubjects ?? simulatorDefaults.oneTrustSubjects,
    oneTrustClients: options.oneTrustClients ?? [{ ...simulatorDefaults.oneTrustClient }],
  };
}

/** application/json, JSON Patch, and the vendor `+json` types Schema Registry clients send. */
const jsonContentTypes = ['application/json', 'application/json-patch+json'];
const vendorJsonContentType = /^application\/[\w.+-]+\+json/;

export async function startSimulator(options: SimulatorOptions = {}): Promise<RunningSimulator> {
  const settings = simulatorSettings(options);
  const clock = createClock(settings.timeScale);
  const store = new Store();
  const persistence = options.stateFile ? new StatePersistence(store, options.stateFile) : undefined;
  // Restore before the services are built, so they find their persisted state (issued tokens…).
  await persistence?.load();

  const services = { store, clock, settings };
  const context: SimulatorContext = {
    ...services,
    ims: createImsService(services),
    oneTrust: createOneTrustService(services),
    dataPrep: createDataPrepService(services),
  };
  const runFailures = new RunFailures(options.runFailureShare ?? 0);
  const ioEvents = new IoEventsService(clock, settings);
  const executor = new RunExecutor(context, runFailures, (run) => ioEvents.runChanged(run));
  const scheduler = new RunScheduler(context, executor);
  const retention =
    options.runRetentionHours === undefined
      ? undefined
      : new RunRetention(store, clock, options.runRetentionHours * 3_600_000);
  const faults = new FaultRules();
  const requestLog = new RequestLog();
  const requestCounts = new RequestCounts();
  const rateLimit = new RateLimit(options.rateLimit);
  const latency = new AddedLatency(options.latencyMs ?? 0);

  const app = Fastify({
    logger: false,
    forceCloseConnections: true,
    bodyLimit: 16 * 1024 * 1024,
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 500 },
  });
  await app.register(formbody);
  installJsonParser(app);
  installErrorHandling(app);

  // Hook order matters: every request is counted, then faults act before the gateway, as a failing network or
  // platform would; the gateway throttles before it checks credentials and routes the call.
  registerRequestCounting(app, requestCounts);
  registerFaultInjection(app, faults, requestLog);
  registerRateLimiting(app, rateLimit, requestCounts);
  registerGateway(app, context);
  registerLatency(app, latency);
  registerRequestLogging(app, requestLog, options.logRequests ?? false);

  registerImsRoutes(app, context);
  registerOneTrustRoutes(app, context);
  registerFlowServiceRoutes(app, context, (flowId) => scheduler.refresh(flowId));
  registerSchemaRegistryRoutes(app, context);
  registerCatalogRoutes(app, context);
  registerDataPrepRoutes(app, context);
  registerAdminRoutes(app, {
    context,
    faults,
    requestLog,
    requestCounts,
    runFailures,
    rateLimit,
    latency,
    scheduler,
    startedAt: Date.now(),
  });
  registerPublicKeyRoutes(app, ioEvents.keys);
  registerJournalRoutes(app, context, ioEvents);
  registerAdminIoEventsRoutes(app, adminPrefix, ioEvents);

  executor.failInterruptedRuns();
  scheduler.start();
  retention?.start();
  persistence?.watch();

  try {
    await app.listen({ port: options.port ?? simulatorDefaults.port, host: options.host ?? '127.0.0.1' });
  } catch (error) {
    retention?.stop();
    scheduler.stop();
    executor.stop();
    ioEvents.stop();
    await persistence?.close();
    throw error;
  }
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : (options.port ?? simulatorDefaults.port);
  const host = options.host ?? '127.0.0.1';
  const urlHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;

  let closing: Promise<void> | undefined;
  return {
    url: `http://${urlHost}:${port}`,
    port,
    context,
    close: () => {
      closing ??= (async () => {
        retention?.stop();
        scheduler.stop();
        // Before the runs in progress are finished below, so their last events are not sent to webhooks.
        ioEvents.stop();
        await app.close();
        // After the server stopped taking requests, so no run can start in between (admin API).
        executor.finishInProgress();
        await persistence?.close();
      })();
      return closing;
    },
  };
}

/** JSON for application/json, JSON Patch and vendor `+json` types; an empty body is no body (action calls). */
function installJsonParser(app: FastifyInstance): void {
  app.removeContentTypeParser('application/json');
  const parseJson = (request: FastifyRequest, body: string | Buffer): unknown => {
    const text = typeof body === 'string' ? body : body.toString('utf8');
    if (text.trim() === '') return undefined;
    try {
      return JSON.parse(text);
    } catch (error) {
      const path = request.url.split('?', 1)[0]!;
      throw defaultErrorFor(path, 400, `The request body is not valid JSON: ${(error as Error).message}`);
    }
  };
  for (const contentType of [jsonContentTypes, vendorJsonContentType]) {
    app.addContentTypeParser(contentType, { parseAs: 'string' }, (request, body, done) => {
      let parsed: unknown;
      try {
        parsed = parseJson(request, body);
      } catch (error) {
        done(error as Error, undefined);
        return;
      }
      done(null, parsed);
    });
  }
}

function installErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError | SimulatorHttpError, request, reply) => {
    const path = request.url.split('?', 1)[0]!;
    let answer: SimulatorHttpError;
    if (error instanceof SimulatorHttpError) answer = error;
    else if (typeof error.statusCode === 'number' && error.statusCode >= 400 && error.statusCode < 500) {
      answer = defaultErrorFor(path, error.statusCode, error.message);
    } else {
      console.error(`simulator: ${request.method} ${path} failed:`, error);
      answer = defaultErrorFor(path, 500);
    }
    return reply.code(answer.status).headers(answer.headers).send(answer.body);
  });

  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?', 1)[0]!;
    const answer = defaultErrorFor(path, 404, `No resource at ${request.method} ${path}.`);
    return reply.code(404).send(answer.body);
  });
}
