/**
 * The journaling API of each registration (adobe-io-events guides/api/journaling-api.md), at its journal path:
 * GET with the IMS bearer token, x-api-key and x-ims-org-id. 200 `{events: [{position, event}], _page: {last,
 * count}}` with `Link: <…?since=last>; rel="next"`; 204 with `retry-after: 10` and the same next link when there is
 * nothing newer; 410 when the position's events have expired; `limit` is carried into the next link.
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { SimulatorContext } from '../context';
import { gatewayError, SimulatorHttpError } from '../problems';
import type { IoEventsService } from './io-events-service';

/** Seconds a reader should wait after an empty read, as Adobe's examples answer. */
const emptyReadRetryAfterSeconds = '10';

const journalQuery = z
  .object({
    since: z.string().min(1).optional(),
    limit: z.coerce.number({ error: 'limit must be a positive integer' }).int().positive().optional(),
    latest: z.enum(['true', 'false']).optional(),
    seek: z.string().min(1).optional(),
  })
  .strict();

interface JournalParams {
  organization: string;
  integration: string;
  registrationId: string;
}

export function registerJournalRoutes(
  app: FastifyInstance,
  context: SimulatorContext,
  ioEvents: IoEventsService,
): void {
  app.get<{ Params: JournalParams }>(
    '/events/organizations/:organization/integrations/:integration/:registrationId',
    (request, reply) => {
      const refusal = checkCredentials(request.headers, context);
      if (refusal) throw refusal;
      const { organization, integration, registrationId } = request.params;
      const registration = ioEvents.get(registrationId);
      const journal = ioEvents.journalOf(registrationId);
      if (
        !registration ||
        !journal ||
        registration.organizationId !== organization ||
        registration.clientId !== integration
      ) {
        throw new SimulatorHttpError(404, { error: `no journal at ${request.url.split('?', 1)[0]}` });
      }
      const parsed = journalQuery.safeParse(request.query);
      if (!parsed.success) throw new SimulatorHttpError(400, { error: parsed.error.issues[0]?.message });
      const { since, limit, latest, seek } = parsed.data;
      const read = journal.read({ since, limit, latest: latest === 'true', seek });

      const nextLink = (position: string) => {
        const query = new URLSearchParams({ since: position });
        if (limit !== undefined) query.set('limit', String(limit));
        return `<${registration.journalPath}?${query.toString()}>; rel="next"`;
      };
      switch (read.kind) {
        case 'invalid':
          throw new SimulatorHttpError(400, { error: read.message });
        case 'gone':
          return reply.code(410).type('text/plain').send(`Events at position ${read.position} have expired.`);
        case 'empty':
          return reply
            .code(204)
            .header('retry-after', emptyReadRetryAfterSeconds)
            .header('link', nextLink(read.position))
            .send();
        case 'events':
          return reply
            .header('link', nextLink(read.last))
            .send({ events: read.entries, _page: { last: read.last, count: read.entries.length } });
      }
    },
  );
}

/** The I/O Management API's credentials: an IMS bearer token, the client id as x-api-key, the org in x-ims-org-id. */
function checkCredentials(
  headers: Record<string, string | string[] | undefined>,
  context: SimulatorContext,
): SimulatorHttpError | undefined {
  const authorization = headers.authorization;
  const bearer = typeof authorization === 'string' ? /^Bearer\s+(\S+)\s*$/i.exec(authorization) : null;
  if (!authorization) return gatewayError(401, '401013', 'Oauth token is missing.');
  if (!bearer?.[1] || !context.ims.checkAccessToken(bearer[1]).valid) {
    return gatewayError(401, '401013', 'Oauth token is not valid');
  }
  const apiKey = headers['x-api-key'];
  if (!apiKey) return gatewayError(403, '403000', 'Api Key is required');
  if (apiKey !== context.settings.clientId) return gatewayError(403, '403003', 'Api Key is invalid');
  if (headers['x-ims-org-id'] !== context.settings.orgId) return gatewayError(403, '403025', 'Profile is not valid');
  return undefined;
}
