/**
 * A simulator started for one test file, with an IMS token obtained the way a client would (the form POST),
 * and small helpers to call its APIs and build the OneTrust → Data Lake resources a flow needs.
 */
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { connectionSpecIds, oneTrustFlowSpecId, simulatorDefaults, startSimulator } from '../../src/simulator';
import type { RunningSimulator, SimulatorOptions } from '../../src/simulator';

export interface ApiResponse<T> {
  status: number;
  headers: Headers;
  body: T;
}

export interface CallOptions {
  body?: unknown;
  /** Sent verbatim instead of JSON-encoding `body`. */
  rawBody?: string;
  sandbox?: string;
  /** Replace (or with `undefined`, remove) individual headers. */
  headers?: Record<string, string | undefined>;
}

export type Json = Record<string, unknown>;

export const flowServicePath = '/data/foundation/flowservice';

export class TestPlatform {
  private constructor(
    readonly simulator: RunningSimulator,
    readonly accessToken: string,
  ) {}

  static async start(options: SimulatorOptions = {}): Promise<TestPlatform> {
    const simulator = await startSimulator({ port: 0, ...options });
    const response = await fetch(`${simulator.url}/ims/token/v3`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: simulatorDefaults.clientId,
        client_secret: simulatorDefaults.clientSecret,
        scope: 'openid,session,AdobeID,read_organizations,additional_info.projectedProductContext',
      }).toString(),
    });
    if (response.status !== 200) throw new Error(`IMS token request failed: ${response.status}`);
    const { access_token: accessToken } = (await response.json()) as { access_token: string };
    return new TestPlatform(simulator, accessToken);
  }

  get url(): string {
    return this.simulator.url;
  }

  close(): Promise<void> {
    return this.simulator.close();
  }

  /** The headers the seed lists for every platform call. */
  platformHeaders(sandbox = 'prod'): Record<string, string> {
    return {
      authorization: `Bearer ${this.accessToken}`,
      'x-api-key': simulatorDefaults.clientId,
      'x-gw-ims-org-id': simulatorDefaults.orgId,
      'x-sandbox-name': sandbox,
    };
  }

  async call<T = Json>(method: string, path: string, options: CallOptions = {}): Promise<ApiResponse<T>> {
    const headers: Record<string, string> = { ...this.platformHeaders(options.sandbox) };
    let body: string | undefined = options.rawBody;
    if (body === undefined && options.body !== undefined) {
      body = JSON.stringify(options.body);
      headers['content-type'] = 'application/json';
    }
    for (const [name, value] of Object.entries(options.headers ?? {})) {
      if (value === undefined) delete headers[name];
      else headers[name] = value;
    }
    const response = await fetch(`${this.url}${path}`, { method, headers, body });
    const text = await response.text();
    return { status: response.status, headers: response.headers, body: (text ? JSON.parse(text) : undefined) as T };
  }

  flowService<T = Json>(method: string, path: string, options: CallOptions = {}): Promise<ApiResponse<T>> {
    return this.call<T>(method, `${flowServicePath}${path}`, options);
  }

  async admin<T = Json>(method: string, path: string, body?: unknown): Promise<ApiResponse<T>> {
    const response = await fetch(`${this.url}/__sim${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, headers: response.headers, body: (text ? JSON.parse(text) : undefined) as T };
  }

  async mintOneTrustToken(expiresInSeconds: number): Promise<string> {
    const minted = await this.admin<{ access_token: string }>('POST', '/onetrust/tokens', { expiresInSeconds });
    if (minted.status !== 200) throw new Error(`could not mint a OneTrust token: ${minted.status}`);
    return minted.body.access_token;
  }

  /** Creates a resource and returns its id, failing loudly when the create does not answer 201. */
  async create(path: string, body: unknown, sandbox = 'prod'): Promise<string> {
    const response = await this.flowService<{ id: string }>('POST', path, { body, sandbox });
    if (response.status !== 201)
      throw new Error(`POST ${path} answered ${response.status}: ${JSON.stringify(response.body)}`);
    return response.body.id;
  }

  async createBaseConnection(
    accessToken: string,
    sandbox = 'prod',
    name = 'ONETRUST base connection',
  ): Promise<string> {
    return this.create('/connections', baseConnectionBody(accessToken, name), sandbox);
  }

  /**
   * Everything a OneTrust flow needs, through the public APIs: base and source connections, an XDM schema with
   * the tutorial's fields, a dataset, a target connection and a mapping set.
   */
  async createPipeline(options: { sandbox?: string; accessToken: string; name?: string }): Promise<Pipeline> {
    const sandbox = options.sandbox ?? 'prod';
    const name = options.name ?? `pipeline-${Math.random().toString(36).slice(2, 8)}`;
    const tenant = this.simulator.context.settings.tenantId;
    const baseConnectionId = await this.createBaseConnection(options.accessToken, sandbox, `${name} base`);
    const sourceConnectionId = await this.create('/sourceConnections', sourceConnectionBody(baseConnectionId), sandbox);
    const schemaId = await this.createOneTrustSchema(sandbox, name, tenant);
    const datasetId = await this.createDataset(sandbox, name, schemaId);
    const targetConnectionId = await this.create('/targetConnections', targetConnectionBody(datasetId), sandbox);
    const mappingId = await this.createMapping(sandbox, schemaId, tenant);
    return { sandbox, baseConnectionId, sourceConnectionId, schemaId, datasetId, targetConnectionId, mappingId };
  }

  async createOneTrustSchema(sandbox: string, name: string, tenant: string): Promise<string> {
    const text = { type: 'string' };
    const fieldGroup = await this.call<{ $id: string }>('POST', '/data/foundation/schemaregistry/tenant/fieldgroups', {
      sandbox,
      body: {
        type: 'object',
        title: `${name} OneTrust consent fields`,
        description: 'Fields the OneTrust tutorial maps to.',
        'meta:intendedToExtend': ['https://ns.adobe.com/xdm/context/profile'],
        definitions: {
          consent: {
            properties: {
              [`_${tenant}`]: {
                type: 'object',
                properties: {
                  Identifier: text,
                  Language: text,
                  CreatedDate: text,
                  LastUpdatedDate: text,
                  DataElements: { type: 'array', items: { type: 'object' } },
                  Purposes: { type: 'array', items: { type: 'object' } },
                },
              },
            },
          },
        },
        allOf: [{ $ref: '#/definitions/consent' }],
      },
    });
    if (fieldGroup.status !== 201)
      throw new Error(`field group: ${fieldGroup.status} ${JSON.stringify(fieldGroup.body)}`);
    const schema = await this.call<{ $id: string }>('POST', '/data/foundation/schemaregistry/tenant/schemas', {
      sandbox,
      body: {
        type: 'object',
        title: `${name} OneTrust consent schema`,
        description: 'Target schema of the OneTrust dataflow.',
        allOf: [{ $ref: 'https://ns.adobe.com/xdm/context/profile' }, { $ref: fieldGroup.body.$id }],
      },
    });
    if (schema.status !== 201) throw new Error(`schema: ${schema.status} ${JSON.stringify(schema.body)}`);
    return schema.body.$id;
  }

  async createDataset(sandbox: string, name: string, schemaId: string): Promise<string> {
    const dataset = await this.call<string[]>('POST', '/data/foundation/catalog/dataSets', {
      sandbox,
      body: {
        name: `${name} dataset`,
        schemaRef: { id: schemaId, contentType: 'application/vnd.adobe.xed+json;version=1' },
      },
    });
    if (dataset.status !== 201) throw new Error(`dataset: ${dataset.status} ${JSON.stringify(dataset.body)}`);
    return dataset.body[0]!.split('/').pop()!;
  }

  async createMapping(sandbox: string, schemaId: string, tenant: string): Promise<string> {
    const mapping = await this.call<{ id: string }>('POST', '/data/foundation/conversion/mappingSets', {
      sandbox,
      body: legacyMappingBody(schemaId, tenant),
    });
    if (mapping.status !== 200) throw new Error(`mapping: ${mapping.status} ${JSON.stringify(mapping.body)}`);
    return mapping.body.id;
  }

  async createFlow(pipeline: Pipeline, schedule: Json, name = 'ONETRUST dataflow'): Promise<string> {
    return this.create('/flows', flowBody(pipeline, schedule, name), pipeline.sandbox);
  }
}

/** What the tests of one file share: their own platform and a OneTrust token it accepts for an hour. */
export interface PlatformWithToken {
  platform: TestPlatform;
  oneTrustToken: string;
}

/**
 * Gives the enclosing `describe` its own platform and a OneTrust token valid for an hour: started in its `before`
 * hook and handed to `receive` (which keeps them in the suite's variables), closed in its `after` hook.
 */
export function usePlatformWithToken(receive: (started: PlatformWithToken) => void): void {
  let platform: TestPlatform | undefined;
  before(async () => {
    platform = await TestPlatform.start();
    receive({ platform, oneTrustToken: await platform.mintOneTrustToken(3600) });
  });
  after(() => platform?.close());
}

export interface Pipeline {
  sandbox: string;
  baseConnectionId: string;
  sourceConnectionId: string;
  schemaId: string;
  datasetId: string;
  targetConnectionId: string;
  mappingId: string;
}

export function baseConnectionBody(accessToken: string, name = 'ONETRUST base connection'): Json {
  return {
    name,
    description: 'ONETRUST base connection to authenticate to Platform',
    connectionSpec: { id: connectionSpecIds.oneTrust, version: '1.0' },
    auth: { specName: 'OAuth2 Refresh Code', params: { accessToken } },
  };
}

export function sourceConnectionBody(baseConnectionId: string): Json {
  return {
    name: 'ONETRUST Source Connection',
    description: 'ONETRUST Source Connection',
    baseConnectionId,
    connectionSpec: { id: connectionSpecIds.oneTrust, version: '1.0' },
    data: { format: 'json' },
    params: {},
  };
}

export function targetConnectionBody(dataSetId: string): Json {
  return {
    name: 'ONETRUST Target Connection',
    description: 'ONETRUST Target Connection',
    connectionSpec: { id: connectionSpecIds.dataLake, version: '1.0' },
    data: { format: 'json' },
    params: { dataSetId },
  };
}

export function legacyMappingBody(schemaId: string, tenant: string): Json {
  const attribute = (source: string, destination: string) => ({ sourceType: 'ATTRIBUTE', source, destination });
  return {
    version: 0,
    xdmSchema: schemaId,
    xdmVersion: '1.0',
    id: null,
    mappings: [
      { ...attribute('content.Identifier', '_id'), name: 'id', description: 'Identifier field' },
      attribute('content.Identifier', `_${tenant}.Identifier`),
      attribute('content.Language', `_${tenant}.Language`),
      attribute('content.CreatedDate', `_${tenant}.CreatedDate`),
      attribute('content.LastUpdatedDate', `_${tenant}.LastUpdatedDate`),
      attribute('content.DataElements', `_${tenant}.DataElements`),
      attribute('content.Purposes', `_${tenant}.Purposes`),
    ],
  };
}

export function flowBody(pipeline: Pipeline, scheduleParams: Json, name = 'ONETRUST dataflow'): Json {
  return {
    name,
    description: 'ONETRUST dataflow',
    flowSpec: { id: oneTrustFlowSpecId, version: '1.0' },
    sourceConnectionIds: [pipeline.sourceConnectionId],
    targetConnectionIds: [pipeline.targetConnectionId],
    transformations: [{ name: 'Mapping', params: { mappingId: pipeline.mappingId, mappingVersion: 0 } }],
    scheduleParams,
  };
}

export function nowInSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

export type SimulatorProcess = ChildProcessByStdio<null, Readable, null>;

/** `npm run simulator -- <args>` as a child process, the way a user or the demo runs it; stdout is piped. */
export function spawnSimulatorProcess(args: string[], env: NodeJS.ProcessEnv = process.env): SimulatorProcess {
  return spawn(process.execPath, ['--import', 'tsx', 'src/simulator/main.ts', ...args], {
    cwd: join(__dirname, '..', '..'),
    env,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
}

/** The URL a simulator process prints once it listens; rejects when it exits first. */
export function listeningUrl(child: SimulatorProcess): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const match = /listening on (http:\/\/\S+)/.exec(output);
      if (match) resolve(match[1]!);
    });
    child.once('exit', (code) => reject(new Error(`simulator exited early with ${code}: ${output}`)));
  });
}

/** Polls until `check` returns a value (not undefined) or the time is up. */
export async function eventually<T>(
  check: () => Promise<T | undefined>,
  timeoutMs = 10_000,
  what = 'condition',
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
