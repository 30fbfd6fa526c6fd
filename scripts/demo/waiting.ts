/** Small waiting helpers for the demo: poll until something is true, and check a TCP port. */
import { connect } from 'node:net';

export async function waitUntil(
  what: string,
  check: () => Promise<boolean>,
  options: { timeoutMs: number; intervalMs?: number; stopEarly?: Promise<string> },
): Promise<void> {
  const deadline = Date.now() + options.timeoutMs;
  let stoppedWith: string | undefined;
  void options.stopEarly?.then((reason) => (stoppedWith = reason));
  for (;;) {
    if (await check().catch(() => false)) return;
    if (stoppedWith !== undefined) throw new Error(`${what}: the process exited (${stoppedWith}) before it was ready`);
    if (Date.now() > deadline) throw new Error(`${what}: not ready after ${Math.round(options.timeoutMs / 1000)} s`);
    await sleep(options.intervalMs ?? 500);
  }
}

export function isPortOpen(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ port, host });
    socket.setTimeout(1_000);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(false));
  });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
