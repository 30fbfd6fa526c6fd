/**
 * Serves the public signing keys as PEM, the way static.adobeioevents.com serves Adobe's: a receiver whose key host
 * is this simulator's URL joins it with the relative path from x-adobe-public-key1-path / key2-path.
 */
import type { FastifyInstance } from 'fastify';
import { signingKeyPathPrefix, type SigningKeys } from './signing-keys';

export function registerPublicKeyRoutes(app: FastifyInstance, keys: SigningKeys): void {
  app.get<{ Params: { file: string } }>(`${signingKeyPathPrefix}:file`, async (request, reply) => {
    const pem = await keys.publicKeyPem(`${signingKeyPathPrefix}${request.params.file}`);
    if (pem === undefined) return reply.code(404).type('text/plain').send('Not Found');
    return reply.type('application/x-pem-file').send(pem);
  });
}
