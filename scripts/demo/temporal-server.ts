/**
 * The demo's Temporal: reuse a server already answering on 127.0.0.1:7233, else start the CLI's dev server
 * (Web UI on 8233, state in data/temporal.db so provisioned dataflows survive a restart of the demo).
 */
import { join } from 'node:path';
import { Connection } from '@temporalio/client';
import { registerSearchAttributes } from '../../src/temporal/register-search-attributes';
import type { DemoContext } from './demo-context';
import { startManagedProcess, type ManagedProcess } from './managed-process';
import { isPortOpen, waitUntil } from './waiting';

export interface DemoTemporal {
  address: string;
  namespace: string;
  uiUrl: string;
  connection: Connection;
  startedHere?: ManagedProcess;
}

export async function ensureTemporalServer(context: DemoContext): Promise<DemoTemporal> {
  const { temporalPort, temporalUiPort } = context.ports;
  const address = `127.0.0.1:${temporalPort}`;
  const namespace = 'default';
  const uiUrl = `http://127.0.0.1:${temporalUiPort}`;
  let startedHere: ManagedProcess | undefined;

  if (await isPortOpen(temporalPort)) {
    context.report('Temporal server', `reusing the server on ${address}`);
  } else {
    // `npm run temporal`'s script (it execs the CLI, so stopping this process stops the server).
    startedHere = startManagedProcess({
      name: 'temporal',
      command: 'bash',
      args: [join(context.projectRoot, 'scripts/temporal.sh')],
      cwd: context.projectRoot,
      logDirectory: context.logDirectory,
      env: {
        ...process.env,
        TEMPORAL_PORT: String(temporalPort),
        TEMPORAL_UI_PORT: String(temporalUiPort),
        TEMPORAL_DB_FILE: join(context.dataDirectory, 'temporal.db'),
      },
    });
    context.track(startedHere);
  }

  let connection: Connection | undefined;
  await waitUntil(
    `Temporal on ${address}`,
    async () => {
      connection ??= await Connection.connect({ address, connectTimeout: 2_000 });
      await connection.workflowService.getSystemInfo({});
      return true;
    },
    { timeoutMs: 90_000, stopEarly: startedHere?.exited },
  );
  // The worker registers these too; doing it here means a reused worker or server can never lack them.
  await registerSearchAttributes(connection!, namespace);
  if (startedHere) {
    context.report(
      'Temporal server',
      `started on ${address} (pid ${startedHere.pid}), log ${context.relative(startedHere.logFile)}`,
    );
  }
  if (!(await isPortOpen(temporalUiPort))) {
    context.report(
      'Temporal Web UI',
      `nothing answers on port ${temporalUiPort}: the reused server runs without its UI`,
    );
  }
  return { address, namespace, uiUrl, connection: connection!, startedHere };
}
