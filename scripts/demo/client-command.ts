/**
 * Runs the project's CLI (`npm run client -- …`) the way a user would, its output shown as is. Secrets (the
 * OneTrust token) reach it through its environment, never through arguments.
 */
import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import type { DemoContext } from './demo-context';
import type { DemoTemporal } from './temporal-server';

/** The CLI as a child process pointed at the demo's Temporal server. */
function spawnClient(
  context: DemoContext,
  temporalServer: DemoTemporal,
  args: string[],
  extraEnv: NodeJS.ProcessEnv,
  stdio: StdioOptions,
): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', 'src/client.ts', ...args], {
    cwd: context.projectRoot,
    env: {
      ...process.env,
      TEMPORAL_ADDRESS: temporalServer.address,
      TEMPORAL_NAMESPACE: temporalServer.namespace,
      TEMPORAL_UI_URL: temporalServer.uiUrl,
      ...extraEnv,
    },
    stdio,
  });
}

export async function runClient(
  context: DemoContext,
  temporalServer: DemoTemporal,
  args: string[],
  extraEnv: NodeJS.ProcessEnv = {},
): Promise<number> {
  const child = spawnClient(context, temporalServer, args, extraEnv, ['ignore', 'inherit', 'inherit']);
  // The demo stopping (a signal) stops the CLI command it is running too.
  const stopChild = () => child.kill('SIGTERM');
  process.once('exit', stopChild);
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      process.off('exit', stopChild);
      resolve(code ?? (signal ? 130 : 1));
    });
  });
}

/** Runs the CLI for the demo's own use: its standard output is returned, not shown. */
export async function captureClient(
  context: DemoContext,
  temporalServer: DemoTemporal,
  args: string[],
  extraEnv: NodeJS.ProcessEnv = {},
): Promise<{ exitCode: number; stdout: string }> {
  const child = spawnClient(context, temporalServer, args, extraEnv, ['ignore', 'pipe', 'ignore']);
  let stdout = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) => resolve({ exitCode: code ?? (signal ? 130 : 1), stdout }));
  });
}
