/** The platform simulator: start it in-process (tests, the demo) or with `npm run simulator`. */
export { startSimulator, simulatorSettings, type RunningSimulator, type SimulatorOptions } from './server';
export type { SimulatorContext, SimulatorSettings } from './context';
export { simulatorDefaults, connectionSpecIds, oneTrustFlowSpecId } from './defaults';
export type { RequestLogEntry } from './request-log';
export type { FaultRuleInput } from './faults';
