/**
 * A private simulator for one test file, an AEP client pointed at it, and the admin calls the tests use
 * (fault rules, the request log). Each file gets its own simulator so fault rules never leak between files.
 */
import { request } from 'undici';
import { startSimulator, type RunningSimulator } from '../../src/simulator/server';
import { simulatorDefaults } from '../../src/simulator/defaults';
import { createAepClient, type AepClientInternals } from '../../src/aep/aep-client';
import type { AepClient, AepClientOptions, AepSettings } from '../../src/aep';
import { defaultAepScopes } from '../../src/aep/settings';

import type { FaultRule, LoggedRequest } from '../harness/simulator-admin';

export type { FaultRule, LoggedRequest };

export class SimulatorFixture {
  private constructor(
    readonly simulator: RunningSimulator,
    readonly url: string,
  ) {}

  static async start(options: { timeScale?: number } = {}): Promise<SimulatorFixture> {
    const simulator = await startSimulator({ port: 0, ...options });
    return new SimulatorFixture(simulator, simulator.url.replace(/\/+$/, ''));
  }

  settings(overrides: Partial<AepSettings> = {}): AepSettings {
    return {
      platformUrl: this.url,
      imsUrl: this.url,
      clientId: simulatorDefaults.clientId,
      clientSecret: simulatorDefaults.clientSecret,
      orgId: simulatorDefaults.orgId,
      scopes: defaultAepScopes,
      ...overrides,
    };
  }

  client(options: AepClientOptions = {}, overrides: Partial<AepSettings> = {}): AepClientInternals {
    return createAepClient(this.settings(overrides), { retries: { initialDelayMs: 20 }, ...options });
  }

  async addFault(rule: FaultRule): Promise<void> {
    await this.admin('POST', '/__sim/faults', rule);
  }

  async clearFaults(): Promise<void> {
    await this.admin('DELETE', '/__sim/faults');
  }

  async requests(): Promise<LoggedRequest[]> {
    const body = await this.admin('GET', '/__sim/requests');
    if (Array.isArray(body)) return body as LoggedRequest[];
    const wrapped = body as { requests?: LoggedRequest[]; items?: LoggedRequest[] };
    return wrapped.requests ?? wrapped.items ?? [];
  }

  async clearRequests(): Promise<void> {
    await this.admin('DELETE', '/__sim/requests');
  }

  async mintOneTrustToken(expiresInSeconds: number): Promise<{ access_token: string; expires_at: string }> {
    return (await this.admin('POST', '/__sim/onetrust/tokens', { expiresInSeconds })) as {
      access_token: string;
      expires_at: string;
    };
  }

  /** `POST /__sim/flows/{id}/runs`: starts a run of the flow now. */
  async triggerRun(flowId: string): Promise<unknown> {
    return this.admin('POST', `/__sim/flows/${encodeURIComponent(flowId)}/runs`);
  }

  async close(): Promise<void> {
    await this.simulator.close();
  }

  private async admin(method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown): Promise<unknown> {
    const response = await request(`${this.url}${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.body.text();
    if (response.statusCode >= 300) throw new Error(`${method} ${path}: HTTP ${response.statusCode} ${text}`);
    return text === '' ? undefined : (JSON.parse(text) as unknown);
  }
}

/** What the tests of one API share: their own simulator and an AEP client with the default settings. */
export interface SimulatorAndClient {
  fixture: SimulatorFixture;
  client: AepClient;
}

/**
 * Gives the enclosing `describe` its own simulator and a default AEP client: started in its `before` hook and
 * handed to `receive` (which keeps them in the suite's variables), closed in its `after` hook.
 */
export function useSimulatorAndClient(receive: (started: SimulatorAndClient) => void): void {
  let fixture: SimulatorFixture | undefined;
  let client: AepClient | undefined;
  before(async () => {
    fixture = await SimulatorFixture.start();
    client = fixture.client();
    receive({ fixture, client });
  });
  after(async () => {
    await client?.close();
    await fixture?.close();
  });
}

/** Collects an async iterable into an array. */
export async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const all: T[] = [];
  for await (const item of items) all.push(item);
  return all;
}

/** Awaits a promise that must reject, and returns what it rejected with. */
export async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the call to fail, but it succeeded');
}

/** A sandbox name no other test uses, so resources never collide. */
export function freshSandbox(label: string): string {
  return `${label}-${Math.random().toString(36).slice(2, 8)}`;
}
