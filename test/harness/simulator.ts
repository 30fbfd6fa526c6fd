/**
 * One platform simulator per mocha run, shared by the Temporal tests (each test works in its own sandbox).
 * Its schedule clock runs fast so a 15-minute dataflow runs about every second.
 */
import { startSimulator, type RunningSimulator } from '../../src/simulator/server';
import { stopAtEndOfRun } from './shared-services';

export const sharedSimulatorTimeScale = 900;

let shared: Promise<RunningSimulator> | undefined;

export function getSimulator(): Promise<RunningSimulator> {
  shared ??= startSimulator({ port: 0, timeScale: sharedSimulatorTimeScale }).then((simulator) => {
    stopAtEndOfRun(() => simulator.close());
    return simulator;
  });
  return shared;
}
