/**
 * The CLI's Temporal connection, from Temporal's env config (TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TLS, API key,
 * TEMPORAL_PROFILE / config file), plus where the Web UI is (TEMPORAL_UI_URL) and which task queue to use.
 */
import { Client, Connection } from '@temporalio/client';
import { loadClientConnectConfig } from '@temporalio/envconfig';
import { taskQueueFromEnv } from './task-queue';

export interface TemporalSession {
  client: Client;
  namespace: string;
  taskQueue: string;
  /** Base URL of the Web UI, without a trailing slash. */
  uiUrl: string;
  close(): Promise<void>;
}

export const defaultUiUrl = 'http://localhost:8233';

export async function connectTemporal(env: NodeJS.ProcessEnv = process.env): Promise<TemporalSession> {
  const config = loadClientConnectConfig({
    overrideEnvVars: Object.fromEntries(
      Object.entries(env).filter((entry): entry is [string, string] => entry[1] !== undefined),
    ),
  });
  const namespace = config.namespace ?? 'default';
  const address = config.connectionOptions.address ?? 'localhost:7233';
  let connection: Connection;
  try {
    connection = await Connection.connect({ ...config.connectionOptions, connectTimeout: '5s' });
  } catch (error) {
    throw new Error(
      `cannot reach Temporal at ${address} (${error instanceof Error ? error.message : String(error)}): ` +
        'start it with `npm run temporal`, or set TEMPORAL_ADDRESS',
    );
  }
  return {
    client: new Client({ connection, namespace }),
    namespace,
    taskQueue: taskQueueFromEnv(env),
    uiUrl: (env.TEMPORAL_UI_URL?.trim() || defaultUiUrl).replace(/\/+$/, ''),
    close: () => connection.close(),
  };
}

/** The Web UI page of one workflow (its latest run). */
export function workflowUiLink(uiUrl: string, namespace: string, workflowId: string): string {
  return `${uiUrl}/namespaces/${encodeURIComponent(namespace)}/workflows/${encodeURIComponent(workflowId)}`;
}

/**
 * A monitor's page on the Web UI's "User Metadata" tab, where its state is (its current details). The UI's plain
 * workflow page opens on History, which for a monitor holds little more than signals and a long timer; a tab needs
 * the run id, so the link names the run current when it is printed (a later run is one click away from it).
 */
export function monitorUiLink(uiUrl: string, namespace: string, workflowId: string, runId: string): string {
  return `${workflowUiLink(uiUrl, namespace, workflowId)}/${encodeURIComponent(runId)}/user-metadata`;
}

/** The Web UI's workflow list filtered by a visibility query, e.g. `WorkflowType="provisionDataflow"`. */
export function workflowListUiLink(uiUrl: string, namespace: string, query: string): string {
  return `${uiUrl}/namespaces/${encodeURIComponent(namespace)}/workflows?query=${encodeURIComponent(query)}`;
}
