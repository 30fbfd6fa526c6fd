/**
 * The OneTrust OAuth clients the token endpoint accepts. A client's secret can be regenerated (the admin API does
 * what OneTrust's "regenerate secret" does): the old secret stops working at once. Every token minted is recorded
 * with the secret version that minted it, as a fingerprint, so tests can tell which secret a token came from
 * without the simulator ever showing a token or a secret. Clients registered at run time are not persisted.
 */
import { secretFingerprint } from './flow-service/secret-masking';

export interface OneTrustClientSetting {
  clientId: string;
  clientSecret: string;
  tokenLifetimeSeconds: number;
}

export interface MintedWithClient {
  /** `sha256:…` of the access token, as the admin API shows a connection's token. */
  tokenFingerprint: string;
  /** 1 for the client's first secret, +1 at each regeneration. */
  secretVersion: number;
  issuedAt: string;
  expiresAt: string;
}

export interface OneTrustClientView {
  clientId: string;
  secretVersion: number;
  tokenLifetimeSeconds: number;
  /** Oldest first. */
  tokens: MintedWithClient[];
}

interface ClientRecord extends OneTrustClientSetting {
  secretVersion: number;
  tokens: MintedWithClient[];
}

/** Enough for any test's history of one client; older entries are let go. */
const maxTokensRecorded = 100;

export class OneTrustClients {
  private readonly clients = new Map<string, ClientRecord>();

  constructor(initial: readonly OneTrustClientSetting[]) {
    for (const client of initial) this.clients.set(client.clientId, { ...client, secretVersion: 1, tokens: [] });
  }

  /** The client these credentials belong to, or undefined when the id is unknown or the secret is not its current one. */
  authenticate(clientId: string, clientSecret: string): OneTrustClientSetting | undefined {
    const client = this.clients.get(clientId);
    return client && client.clientSecret === clientSecret ? client : undefined;
  }

  /** Registers a client, or gives an existing one a new secret (its old secret is refused from now on). */
  register(clientId: string, clientSecret: string, tokenLifetimeSeconds?: number): OneTrustClientView {
    const existing = this.clients.get(clientId);
    const record: ClientRecord = existing
      ? {
          ...existing,
          clientSecret,
          tokenLifetimeSeconds: tokenLifetimeSeconds ?? existing.tokenLifetimeSeconds,
          secretVersion: existing.secretVersion + (existing.clientSecret === clientSecret ? 0 : 1),
        }
      : {
          clientId,
          clientSecret,
          tokenLifetimeSeconds: tokenLifetimeSeconds ?? 365 * 86_400,
          secretVersion: 1,
          tokens: [],
        };
    this.clients.set(clientId, record);
    return this.view(record);
  }

  recordMint(clientId: string, accessToken: string, issuedAt: Date, expiresAt: Date): void {
    const client = this.clients.get(clientId);
    if (!client) return;
    client.tokens.push({
      tokenFingerprint: secretFingerprint(accessToken),
      secretVersion: client.secretVersion,
      issuedAt: issuedAt.toISOString(),
      expiresAt: expiresAt.toISOString(),
    });
    if (client.tokens.length > maxTokensRecorded) client.tokens.shift();
  }

  describe(clientId: string): OneTrustClientView | undefined {
    const client = this.clients.get(clientId);
    return client ? this.view(client) : undefined;
  }

  private view({ clientId, secretVersion, tokenLifetimeSeconds, tokens }: ClientRecord): OneTrustClientView {
    return { clientId, secretVersion, tokenLifetimeSeconds, tokens: [...tokens] };
  }
}
