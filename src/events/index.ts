/** The Adobe I/O Events receiver for flow-run notifications, without its hand-off (the caller injects one). */
export { startEventsReceiver, buildEventsReceiver, largestEventBodyBytes, eventsPath } from './events-receiver';
export type {
  EventsReceiverOptions,
  RunningEventsReceiver,
  HandOff,
  HandOffReport,
  ReceiverStatus,
} from './events-receiver';
export { eventsReceiverSettingsFromEnv, defaultKeyHost, type EventsReceiverSettings } from './events-receiver-settings';
export type { FlowRunEvent, FlowRunOutcome } from './flow-run-event';
export {
  flowRunEventsOf,
  readDelivery,
  isFlowRunEventCode,
  MalformedEventError,
  type DeliveryReading,
  type SkippedEvent,
} from './event-envelope';
export { SignatureVerifier, type SignatureCheck } from './signature-verification';
export {
  PublicKeyCache,
  KeyHostUnavailableError,
  KeyFetchBudgetSpentError,
  defaultKeyFetchLimits,
  type KeyFetchLimits,
  type KeyCacheStats,
} from './public-key-cache';
export { ReceiverCounters, type ReceiverCounts } from './receiver-counters';
export { publicKeyUrl, KeyPathRefusedError } from './public-key-url';
export type { EventsReceiverLogger } from './receiver-logger';
