/**
 * Builds the AEP client: one connection pool, one IMS token cache and one request pacer per organisation, shared by
 * every sandbox view and every call scope.
 */
import type { AepCallScope } from './call-scope';
import { Catalog } from './catalog';
import { DataPrep } from './data-prep';
import { createEventsJournalReader } from './events-journal';
import { FlowService } from './flow-service';
import { AepRequester, defaultConnections, HttpTransport } from './http';
import { ImsTokenProvider } from './ims-token';
import type { AepClient, AepClientOptions, SandboxClient } from './index';
import { RequestPacer, type PacingSnapshot } from './request-pacer';
import { SchemaRegistry } from './schema-registry';
import type { AepSettings } from './settings';

export interface AepClientInternals extends AepClient {
  /** The token cache, exposed so tests and diagnostics can see how many tokens were minted. */
  readonly tokens: ImsTokenProvider;
}

export function createAepClient(settings: AepSettings, options: AepClientOptions = {}): AepClientInternals {
  const connections = options.connections ?? defaultConnections;
  const transport = new HttpTransport({
    connections,
    timeoutMs: options.timeoutMs,
    retries: options.retries,
  });
  const tokens = new ImsTokenProvider(
    transport,
    {
      imsUrl: settings.imsUrl,
      clientId: settings.clientId,
      clientSecret: settings.clientSecret,
      scopes: settings.scopes,
    },
    { renewalMarginMs: options.tokenRenewalMarginMs },
  );
  const identity = { platformUrl: settings.platformUrl, clientId: settings.clientId, orgId: settings.orgId };
  // Keyed by org: the gateway's limit is the organisation's, whichever sandbox or activity calls.
  const pacers = new Map<string, RequestPacer>();
  const pacerFor = (orgId: string): RequestPacer => {
    let pacer = pacers.get(orgId);
    if (!pacer) {
      pacer = new RequestPacer({
        maxRequestsPerSecond: settings.maxRequestsPerSecond,
        maxInFlight: connections,
        adaptive: options.adaptivePacing,
        learnsRate: !options.pacedWithOtherWorkers,
        // The same bound as in-process resends: a longer Retry-After is left to the request that drew it.
        maxRetryAfterHoldMs: transport.retryOptions.maxRetryAfterMs,
      });
      pacers.set(orgId, pacer);
    }
    return pacer;
  };
  pacerFor(settings.orgId);
  const journal = createEventsJournalReader({ tokens, clientId: settings.clientId, orgId: settings.orgId });
  return {
    tokens,
    forSandbox(sandboxName: string, scope: AepCallScope = {}): SandboxClient {
      const requester = new AepRequester(transport, tokens, identity, sandboxName, pacerFor(identity.orgId), scope);
      return {
        sandboxName,
        flowService: new FlowService(requester),
        schemaRegistry: new SchemaRegistry(requester),
        catalog: new Catalog(requester),
        dataPrep: new DataPrep(requester),
      };
    },
    pacing(orgId: string = settings.orgId): PacingSnapshot | undefined {
      return pacers.get(orgId)?.snapshot();
    },
    followSharedRate(requestsPerSecond: number | undefined, orgId: string = settings.orgId): void {
      pacerFor(orgId).follow(requestsPerSecond);
    },
    admittedInSecondBefore(atMs: number, orgId: string = settings.orgId): number {
      return pacers.get(orgId)?.admittedInSecondBefore(atMs) ?? 0;
    },
    readEventsJournal: (url) => journal.readPage(url),
    close: () => transport.close(),
  };
}
