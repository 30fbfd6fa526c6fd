/** Builds the AEP client: one connection pool and one IMS token cache shared by every sandbox view. */
import { Catalog } from './catalog';
import { DataPrep } from './data-prep';
import { FlowService } from './flow-service';
import { AepRequester, HttpTransport } from './http';
import { ImsTokenProvider } from './ims-token';
import type { AepClient, AepClientOptions, SandboxClient } from './index';
import { SchemaRegistry } from './schema-registry';
import type { AepSettings } from './settings';

export interface AepClientInternals extends AepClient {
  /** The token cache, exposed so tests and diagnostics can see how many tokens were minted. */
  readonly tokens: ImsTokenProvider;
}

export function createAepClient(settings: AepSettings, options: AepClientOptions = {}): AepClientInternals {
  const transport = new HttpTransport({
    connections: options.connections,
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
  return {
    tokens,
    forSandbox(sandboxName: string): SandboxClient {
      const requester = new AepRequester(transport, tokens, identity, sandboxName);
      return {
        sandboxName,
        flowService: new FlowService(requester),
        schemaRegistry: new SchemaRegistry(requester),
        catalog: new Catalog(requester),
        dataPrep: new DataPrep(requester),
      };
    },
    close: () => transport.close(),
  };
}
