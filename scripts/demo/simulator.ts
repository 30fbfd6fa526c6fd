/**
 * The demo's platform simulator (AEP, Adobe IMS and OneTrust on one port): reuse one already answering,
 * else start it with a fast clock and a state file, so a second demo run finds its dataflow again.
 */
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { request } from 'undici';
import type { DemoContext } from './demo-context';
import { startManagedProcess, type ManagedProcess } from './managed-process';
import { waitUntil } from './waiting';

export interface DemoSimulator {
  baseUrl: string;
  startedHere?: ManagedProcess;
}

/** OneTrust tokens live at most a year; the demo's does too. */
const demoTokenLifetimeSeconds = 365 * 24 * 3600;

export async function ensureSimulator(context: DemoContext): Promise<DemoSimulator> {
  const port = context.ports.simulatorPort;
  const baseUrl = `http://127.0.0.1:${port}`;
  if (await answersAdminApi(baseUrl)) {
    context.report('Simulator', `reusing the simulator on ${baseUrl}`);
    return { baseUrl };
  }
  const startedHere = startManagedProcess({
    name: 'simulator',
    command: process.execPath,
    args: [
      '--import',
      'tsx',
      'src/simulator/main.ts',
      '--port',
      String(port),
      '--time-scale',
      String(context.simulatorTimeScale),
      '--state-file',
      join(context.dataDirectory, 'simulator-state.json'),
    ],
    cwd: context.projectRoot,
    logDirectory: context.logDirectory,
    env: process.env,
  });
  context.track(startedHere);
  await waitUntil(`the simulator on ${baseUrl}`, () => answersAdminApi(baseUrl), {
    timeoutMs: 60_000,
    stopEarly: startedHere.exited,
  });
  context.report(
    'Simulator',
    `started on ${baseUrl} (time ×${context.simulatorTimeScale}, pid ${startedHere.pid}), log ${context.relative(startedHere.logFile)}`,
  );
  return { baseUrl, startedHere };
}

/**
 * The OneTrust access token the example spec reads from data/onetrust-token.txt: kept when the simulator still
 * accepts it, else minted anew through the admin API. Written 0600; never printed.
 */
export async function ensureOneTrustToken(context: DemoContext, simulator: DemoSimulator): Promise<string> {
  const tokenFile = join(context.dataDirectory, 'onetrust-token.txt');
  const existing = existsSync(tokenFile) ? readFileSync(tokenFile, 'utf8').trim() : '';
  if (existing && (await oneTrustAccepts(simulator.baseUrl, existing))) {
    context.report('OneTrust token', `reusing ${context.relative(tokenFile)}`);
    return tokenFile;
  }
  const minted = await callJson<{ access_token: string; expires_at: string }>(
    'POST',
    `${simulator.baseUrl}/__sim/onetrust/tokens`,
    { expiresInSeconds: demoTokenLifetimeSeconds },
  );
  writeFileSync(tokenFile, minted.access_token + '\n', { mode: 0o600 });
  chmodSync(tokenFile, 0o600);
  context.report(
    'OneTrust token',
    `minted by the simulator into ${context.relative(tokenFile)} (expires ${minted.expires_at})`,
  );
  return tokenFile;
}

export interface SimulatedRun {
  id: string;
  flowId: string;
  createdAt?: number;
  metrics?: {
    statusSummary?: { status?: string; errors?: Array<{ code?: string; message?: string }> };
    recordSummary?: { inputRecordCount?: number; outputRecordCount?: number; failedRecordCount?: number };
    durationSummary?: { startedAtUTC?: number; completedAtUTC?: number };
  };
}

export interface SimulatedDataset {
  id: string;
  name?: string;
  recordCount?: number;
}

export interface SandboxSnapshot {
  flows: Array<{ id: string; name?: string }>;
  runs: SimulatedRun[];
  dataSets: SimulatedDataset[];
}

/** Flows, runs and datasets of one sandbox, from the admin API. */
export async function sandboxSnapshot(simulator: DemoSimulator, sandbox: string): Promise<SandboxSnapshot> {
  const byKind = await callJson<Record<string, Array<{ sandboxName?: string } & Record<string, unknown>>>>(
    'GET',
    `${simulator.baseUrl}/__sim/resources?sandbox=${encodeURIComponent(sandbox)}`,
  );
  const inSandbox = (kind: string) => (byKind[kind] ?? []).filter((resource) => resource.sandboxName === sandbox);
  return {
    flows: inSandbox('flows') as unknown as SandboxSnapshot['flows'],
    runs: inSandbox('runs') as unknown as SimulatedRun[],
    dataSets: (inSandbox('dataSets').length > 0
      ? inSandbox('dataSets')
      : inSandbox('datasets')) as unknown as SimulatedDataset[],
  };
}

async function answersAdminApi(baseUrl: string): Promise<boolean> {
  try {
    const response = await request(`${baseUrl}/__sim/health`, { headersTimeout: 2_000, bodyTimeout: 2_000 });
    await response.body.dump();
    return response.statusCode === 200;
  } catch {
    return false;
  }
}

async function oneTrustAccepts(baseUrl: string, token: string): Promise<boolean> {
  const response = await request(`${baseUrl}/api/consentmanager/v1/datasubjects/profiles?page=0&size=1`, {
    headers: { authorization: `Bearer ${token}` },
  });
  await response.body.dump();
  return response.statusCode === 200;
}

async function callJson<T>(method: 'GET' | 'POST', url: string, body?: unknown): Promise<T> {
  const response = await request(url, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.body.text();
  if (response.statusCode >= 400) throw new Error(`${method} ${url} answered ${response.statusCode}: ${text}`);
  return JSON.parse(text) as T;
}
