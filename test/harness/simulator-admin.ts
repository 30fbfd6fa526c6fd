/** Typed calls to the simulator's admin API (/__sim/), for arranging and checking test scenarios. */
import { request } from 'undici';
import type { FaultRuleInput } from '../../src/simulator/faults';
import type {
  DeliveryAttempt,
  DeliveryFault,
  DeliveryFaultInput,
  RegistrationInput,
  RegistrationView,
} from '../../src/simulator/io-events';
import type { LatencyInput } from '../../src/simulator/latency';
import type { OneTrustClientView } from '../../src/simulator/onetrust-clients';
import type { RateLimitSettings } from '../../src/simulator/rate-limit';
import type { RequestCountsByOrganization } from '../../src/simulator/request-counts';
import type { RequestLogEntry } from '../../src/simulator/request-log';

/** The admin API's own types: what a fault rule may say, and what the request log records. */
export type FaultRule = FaultRuleInput;

export type LoggedRequest = RequestLogEntry;

/** What the rate limit, latency and per-organization count routes answer. */
export type LatencySetting = LatencyInput;
export type { OneTrustClientView, RateLimitSettings, RequestCountsByOrganization };

/** I/O Events: what a registration may say and what the admin API tells about it, its attempts and faults. */
export type { DeliveryAttempt, DeliveryFault, DeliveryFaultInput, RegistrationInput, RegistrationView };
export interface IoEventKeyPaths {
  publicKey1Path: string;
  publicKey2Path: string;
}

export interface SimulatorResource {
  id: string;
  sandboxName: string;
  [field: string]: unknown;
}

export type ResourcesByKind = Record<string, SimulatorResource[]>;

export class SimulatorAdmin {
  constructor(readonly baseUrl: string) {}

  async resources(sandbox?: string): Promise<ResourcesByKind> {
    return this.call<ResourcesByKind>(
      'GET',
      `/__sim/resources${sandbox ? `?sandbox=${encodeURIComponent(sandbox)}` : ''}`,
    );
  }

  /** Resources of the sandbox counted per kind, runs excluded. */
  async resourceCounts(sandbox: string): Promise<Record<string, number>> {
    const byKind = await this.resources(sandbox);
    return Object.fromEntries(
      Object.entries(byKind)
        .filter(([kind]) => kind !== 'runs')
        .map(([kind, list]) => [kind, list.filter((resource) => resource.sandboxName === sandbox).length]),
    );
  }

  async requests(sandbox?: string): Promise<LoggedRequest[]> {
    const { items } = await this.call<{ items: LoggedRequest[] }>('GET', '/__sim/requests');
    return sandbox ? items.filter((entry) => entry.sandbox === sandbox) : items;
  }

  async addFault(rule: FaultRule): Promise<void> {
    await this.call('POST', '/__sim/faults', rule);
  }

  async clearFaults(): Promise<void> {
    await this.call('DELETE', '/__sim/faults');
  }

  async mintOneTrustToken(expiresInSeconds: number): Promise<{ access_token: string; expires_at: string }> {
    return this.call('POST', '/__sim/onetrust/tokens', { expiresInSeconds });
  }

  /**
   * Registers a OneTrust client for the client-credentials grant, or regenerates the secret of a known one: the old
   * secret is refused from then on.
   */
  async registerOneTrustClient(
    clientId: string,
    clientSecret: string,
    tokenLifetimeSeconds?: number,
  ): Promise<OneTrustClientView> {
    const path = `/__sim/onetrust/clients/${encodeURIComponent(clientId)}`;
    return this.call('PUT', path, { clientSecret, ...(tokenLifetimeSeconds ? { tokenLifetimeSeconds } : {}) });
  }

  /** The client's secret version and every token it minted, each with the secret version that minted it. */
  async oneTrustClient(clientId: string): Promise<OneTrustClientView> {
    return this.call('GET', `/__sim/onetrust/clients/${encodeURIComponent(clientId)}`);
  }

  /** Starts a run now; `startedAtUTC` backdates the start it reports (a run AEP lists late). */
  async startRun(flowId: string, startedAtUTC?: number): Promise<{ id: string }> {
    return this.call(
      'POST',
      `/__sim/flows/${encodeURIComponent(flowId)}/runs`,
      startedAtUTC === undefined ? undefined : { startedAtUTC },
    );
  }

  /** Makes this share of the sandbox's runs fail with a platform error (0 puts it back). */
  async failRuns(sandbox: string, share: number): Promise<void> {
    await this.call('PUT', '/__sim/run-failures', { share, sandbox });
  }

  /** At most this many AEP calls per organization in any second (429 beyond); undefined removes the limit. */
  async setRateLimit(requestsPerSecond: number | undefined): Promise<RateLimitSettings> {
    return requestsPerSecond === undefined
      ? this.call('DELETE', '/__sim/rate-limit')
      : this.call('PUT', '/__sim/rate-limit', { requestsPerSecond });
  }

  async rateLimit(): Promise<RateLimitSettings> {
    return this.call('GET', '/__sim/rate-limit');
  }

  /** Answers every AEP, IMS and OneTrust call this many ms late; undefined (or 0) answers at once. */
  async setLatency(ms: number | undefined): Promise<LatencySetting> {
    return ms === undefined ? this.call('DELETE', '/__sim/latency') : this.call('PUT', '/__sim/latency', { ms });
  }

  async latency(): Promise<LatencySetting> {
    return this.call('GET', '/__sim/latency');
  }

  /** Requests received per method and route, e.g. `{"GET /runs": 12}`. */
  async requestCounts(): Promise<Record<string, number>> {
    return this.call('GET', '/__sim/request-counts');
  }

  /** The same, with the AEP calls the rate limit admitted and throttled, overall and per organization. */
  async requestCountsByOrganization(): Promise<RequestCountsByOrganization> {
    return this.call('GET', '/__sim/request-counts?by=organization');
  }

  /**
   * Resolves once the simulator has received more than `seen` calls of a route (e.g. `POST /connections`): the
   * event a test needs (a held create has reached AEP), rather than a guess at how long it takes.
   */
  async waitForArrivals(routeKey: string, seen: number, timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (((await this.requestCounts())[routeKey] ?? 0) <= seen) {
      if (Date.now() > deadline) throw new Error(`no new ${routeKey} reached the simulator within ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }

  async clearRequestCounts(): Promise<void> {
    await this.call('DELETE', '/__sim/request-counts');
  }

  /**
   * Registers a webhook as the Developer Console does: the simulator sends it the challenge first and refuses the
   * registration (this rejects, saying why) when the echo is wrong. Without `url`, a journal-only registration.
   */
  async registerWebhook(input: RegistrationInput): Promise<RegistrationView> {
    return this.call('POST', '/__sim/io-events/registrations', input);
  }

  async ioEventRegistrations(): Promise<RegistrationView[]> {
    return (await this.call<{ items: RegistrationView[] }>('GET', '/__sim/io-events/registrations')).items;
  }

  /** A registration's state: active, unstable or disabled, with its delivery counts. */
  async ioEventRegistration(id: string): Promise<RegistrationView> {
    return this.call('GET', `/__sim/io-events/registrations/${encodeURIComponent(id)}`);
  }

  async deleteIoEventRegistration(id: string): Promise<void> {
    await this.call('DELETE', `/__sim/io-events/registrations/${encodeURIComponent(id)}`);
  }

  /** The Console's "edit registration": the challenge again, then active. */
  async enableIoEventRegistration(id: string): Promise<RegistrationView> {
    return this.call('POST', `/__sim/io-events/registrations/${encodeURIComponent(id)}/enable`);
  }

  /** Every delivery attempt to the registration's webhook, oldest first. */
  async ioEventDeliveries(id: string): Promise<DeliveryAttempt[]> {
    const path = `/__sim/io-events/registrations/${encodeURIComponent(id)}/deliveries`;
    return (await this.call<{ items: DeliveryAttempt[] }>('GET', path)).items;
  }

  /** The registration's journal URL on the simulator (needs an IMS token, x-api-key and x-ims-org-id). */
  async journalUrl(id: string): Promise<string> {
    return (await this.ioEventRegistration(id)).journalUrl;
  }

  /** Adds I/O Events delivery faults (duplicate, reorder, delay, drop, wrong-key), each for `times` events. */
  async setIoEventFaults(...faults: DeliveryFaultInput[]): Promise<DeliveryFault[]> {
    const added: DeliveryFault[] = [];
    for (const fault of faults) added.push(await this.call<DeliveryFault>('POST', '/__sim/io-events/faults', fault));
    return added;
  }

  async ioEventFaults(): Promise<DeliveryFault[]> {
    return (await this.call<{ items: DeliveryFault[] }>('GET', '/__sim/io-events/faults')).items;
  }

  /** Removes every I/O Events fault and releases held or delayed events at once. */
  async clearIoEventFaults(): Promise<void> {
    await this.call('DELETE', '/__sim/io-events/faults');
  }

  /** New signing keys under new paths; the old paths keep serving for 24 simulated hours. */
  async rotateIoEventKeys(): Promise<IoEventKeyPaths> {
    return this.call('POST', '/__sim/io-events/keys/rotate');
  }

  async ioEventKeyPaths(): Promise<IoEventKeyPaths> {
    return this.call('GET', '/__sim/io-events/keys');
  }

  /**
   * Sets top-level fields of a stored resource (null removes one), past the rules of AEP's PATCH: what AEP's own
   * back end or UI may do, e.g. a flow's `sourceConnectionIds`. `kind` is the store's (`flows`, `fieldGroups`, …).
   */
  async alterResource(kind: string, id: string, fields: Record<string, unknown>): Promise<SimulatorResource> {
    return this.call('PATCH', `/__sim/resources/${kind}/${encodeURIComponent(id)}`, fields);
  }

  private async call<T = unknown>(
    method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE',
    path: string,
    body?: unknown,
  ): Promise<T> {
    const response = await request(`${this.baseUrl}${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.body.text();
    if (response.statusCode >= 400) throw new Error(`${method} ${path} → ${response.statusCode}: ${text}`);
    return (text ? JSON.parse(text) : undefined) as T;
  }
}
