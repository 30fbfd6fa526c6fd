/** Dataflow spec parsing and validation (runs in the CLI, before anything talks to AEP). */
export {
  resolveDataflowSpec,
  loadDataflowSpecFile,
  scheduleFrequencies,
  minimumInterval,
  defaultOneTrustBaseUrl,
  defaultStartDelaySeconds,
  sandboxNamePattern,
  dataflowNamePattern,
} from './dataflow-spec';
export type { ResolvedDataflowSpec, RawDataflowSpec, ResolveOptions } from './dataflow-spec';
export { SpecError } from './spec-error';
export type { SpecProblem } from './spec-error';
export { RevealedSecret } from './revealed-secret';
export type { SecretSource } from './secret-source';
