/**
 * Admin routes for I/O Events under `/__sim/io-events`: register a webhook as the Developer Console does (the
 * challenge first), list, read, enable again and delete registrations, read a registration's delivery attempts,
 * add and clear delivery faults, and read or rotate the signing keys.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { SimulatorHttpError } from '../problems';
import { deliveryFaultInput } from './delivery-faults';
import { registrationInput, type EventRegistration } from './event-registration';
import type { IoEventsService } from './io-events-service';

/** What the admin API says about a registration. */
export interface RegistrationView {
  id: string;
  name?: string;
  url?: string;
  clientId: string;
  organizationId: string;
  sandboxName?: string;
  envelope: string;
  status: EventRegistration['status'];
  counts: EventRegistration['counts'];
  journalPath: string;
  /** The journal path on the simulator's address, as the request reached it. */
  journalUrl: string;
  createdAt: string;
}

function adminError(status: number, message: string): SimulatorHttpError {
  return new SimulatorHttpError(status, { error: message });
}

export function registerAdminIoEventsRoutes(app: FastifyInstance, prefix: string, ioEvents: IoEventsService): void {
  const base = `${prefix}/io-events`;
  const registrationOrFail = (id: string): EventRegistration => {
    const registration = ioEvents.get(id);
    if (!registration) throw adminError(404, `registration ${id} not found`);
    return registration;
  };

  app.post(`${base}/registrations`, async (request, reply) => {
    const parsed = registrationInput.safeParse(request.body ?? {});
    if (!parsed.success) throw adminError(400, `invalid registration: ${parsed.error.message}`);
    const result = await ioEvents.register(parsed.data);
    if (!result.registered) throw adminError(400, `registration refused: ${result.reason}`);
    return reply.code(201).send(viewOf(result.registration, request));
  });
  app.get(`${base}/registrations`, (request) => ({
    items: ioEvents.list().map((registration) => viewOf(registration, request)),
  }));
  app.get<{ Params: { id: string } }>(`${base}/registrations/:id`, (request) =>
    viewOf(registrationOrFail(request.params.id), request),
  );
  app.delete<{ Params: { id: string } }>(`${base}/registrations/:id`, (request, reply) => {
    if (!ioEvents.remove(request.params.id)) throw adminError(404, `registration ${request.params.id} not found`);
    return reply.code(204).send();
  });
  app.post<{ Params: { id: string } }>(`${base}/registrations/:id/enable`, async (request) => {
    const registration = registrationOrFail(request.params.id);
    const challenge = await ioEvents.enable(registration);
    if (!challenge.accepted) throw adminError(400, `registration not enabled: ${challenge.reason}`);
    return viewOf(registration, request);
  });
  app.get<{ Params: { id: string } }>(`${base}/registrations/:id/deliveries`, (request) => {
    registrationOrFail(request.params.id);
    return { items: ioEvents.delivery.attemptsOf(request.params.id) };
  });

  app.get(`${base}/faults`, () => ({ items: ioEvents.faults.list() }));
  app.post(`${base}/faults`, (request, reply) => {
    const parsed = deliveryFaultInput.safeParse(request.body);
    if (!parsed.success) throw adminError(400, `invalid I/O Events fault: ${parsed.error.message}`);
    return reply.code(201).send(ioEvents.faults.add(parsed.data));
  });
  app.delete(`${base}/faults`, (_request, reply) => {
    ioEvents.faults.clear();
    return reply.code(204).send();
  });

  app.get(`${base}/keys`, () => ioEvents.keys.currentPaths());
  app.post(`${base}/keys/rotate`, () => ioEvents.keys.rotate());
}

function viewOf(registration: EventRegistration, request: FastifyRequest): RegistrationView {
  const { input } = registration;
  return {
    id: registration.id,
    ...(input.name !== undefined ? { name: input.name } : {}),
    ...(input.url !== undefined ? { url: input.url } : {}),
    clientId: registration.clientId,
    organizationId: registration.organizationId,
    ...(input.sandboxName !== undefined ? { sandboxName: input.sandboxName } : {}),
    envelope: registration.envelope,
    status: registration.status,
    counts: { ...registration.counts },
    journalPath: registration.journalPath,
    journalUrl: `${request.protocol}://${request.host}${registration.journalPath}`,
    createdAt: new Date(registration.createdAt).toISOString(),
  };
}
