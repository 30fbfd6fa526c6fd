/** Registry of services started once per mocha run (Temporal dev server, simulator) and stopped at the end. */
const stoppers: Array<() => Promise<void>> = [];

export function stopAtEndOfRun(stop: () => Promise<void>): void {
  stoppers.push(stop);
}

export async function stopSharedServices(): Promise<void> {
  for (const stop of stoppers.splice(0).reverse()) {
    try {
      await stop();
    } catch (error) {
      console.error('failed to stop a shared test service:', error);
    }
  }
}
