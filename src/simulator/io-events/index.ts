/** The simulator's Adobe I/O Events: the service, and its routes (public keys, journal, admin). */
export { IoEventsService } from './io-events-service';
export { registerPublicKeyRoutes } from './public-key-routes';
export { registerJournalRoutes } from './journal-routes';
export { registerAdminIoEventsRoutes, type RegistrationView } from './admin-io-events-routes';
export type { RegistrationInput, DeliveryCounts, RegistrationStatus } from './event-registration';
export type { DeliveryFaultInput, DeliveryFault } from './delivery-faults';
export type { DeliveryAttempt } from './webhook-delivery';
export { flowRunEventCodes, type EnvelopeStyle } from './flow-run-notification';
