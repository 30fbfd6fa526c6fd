/** A webhook that counts the monitors' run-failed alerts, by run id. */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface AlertCounter {
  url: string;
  /** Run ids named by run-failed alerts (each alert id counted once, as a webhook consumer would). */
  failedRunIds: Set<string>;
  received: number;
  close(): Promise<void>;
}

export async function startAlertCounter(): Promise<AlertCounter> {
  const seenAlertIds = new Set<string>();
  const counter: AlertCounter = { url: '', failedRunIds: new Set(), received: 0, close: () => Promise.resolve() };
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      counter.received += 1;
      try {
        const alert = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
          id: string;
          kind: string;
          details?: { runId?: string };
        };
        if (!seenAlertIds.has(alert.id)) {
          seenAlertIds.add(alert.id);
          if (alert.kind === 'run-failed' && alert.details?.runId) counter.failedRunIds.add(alert.details.runId);
        }
      } catch {
        // Counted as received; nothing else to learn from it.
      }
      response.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  counter.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/alerts`;
  counter.close = () => new Promise((resolve) => server.close(() => resolve()));
  return counter;
}
