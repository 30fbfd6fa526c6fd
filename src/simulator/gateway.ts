/**
 * Adobe I/O gateway rules for every `/data/foundation/*` call: IMS bearer token, API key, organization,
 * sandbox and, on requests with a body, a JSON content type. Routers behind it may trust these headers.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { platformPrefix } from './api-errors';
import type { SimulatorContext } from './context';
import { flowError, gatewayError, SimulatorHttpError } from './problems';

/** Sandbox names are lowercase letters, digits and hyphens; any such name exists in the simulator. */
export const sandboxNamePattern = /^[a-z0-9][a-z0-9-]{0,63}$/;

const bodyMethods = new Set(['POST', 'PUT', 'PATCH']);

export function registerGateway(app: FastifyInstance, context: SimulatorContext): void {
  app.addHook('onRequest', (request, _reply, done) => {
    done(request.url.startsWith(platformPrefix) ? checkPlatformRequest(request, context) : undefined);
  });
}

export function checkPlatformRequest(
  request: FastifyRequest,
  context: SimulatorContext,
): SimulatorHttpError | undefined {
  const headers = request.headers;
  const authorization = headers.authorization;
  if (!authorization) return gatewayError(403, '403010', 'Oauth token is missing.');
  const bearer = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
  if (!bearer?.[1] || !context.ims.checkAccessToken(bearer[1]).valid) {
    return gatewayError(401, '401013', 'Oauth token is not valid');
  }

  const apiKey = headers['x-api-key'];
  if (!apiKey) return gatewayError(403, '403000', 'Api Key is required');
  if (apiKey !== context.settings.clientId) return gatewayError(403, '403003', 'Api Key is invalid');

  const organization = headers['x-gw-ims-org-id'];
  if (!organization) return gatewayError(400, '400003', 'Missing header');
  // The documented meaning of 403025: the integration is not entitled to the organization in x-gw-ims-org-id.
  if (organization !== context.settings.orgId) return gatewayError(403, '403025', 'Profile is not valid');

  const sandbox = headers['x-sandbox-name'];
  if (sandbox === undefined || sandbox === '') {
    return flowError(
      400,
      2105,
      'The header x-sandbox-name is missing in the request. Please add the header in the request and try again.',
    );
  }
  if (typeof sandbox !== 'string' || !sandboxNamePattern.test(sandbox)) {
    return flowError(
      404,
      2100,
      `The sandbox with the name '${String(sandbox)}' could not be found. Please ensure that the sandbox name is correct and try again.`,
    );
  }

  if (bodyMethods.has(request.method) && hasBody(request) && !isJsonContentType(headers['content-type'])) {
    return new SimulatorHttpError(400, {
      type: '/placeholder/type/uri',
      status: 400,
      title: 'BadRequestError',
      detail: 'A valid content-type must be specified',
    });
  }
  return undefined;
}

function hasBody(request: FastifyRequest): boolean {
  const length = request.headers['content-length'];
  if (length !== undefined) return length !== '0';
  return request.headers['transfer-encoding'] !== undefined;
}

/** application/json, application/json-patch+json and the vendor `+json` types Schema Registry uses. */
export function isJsonContentType(contentType: string | undefined): boolean {
  if (!contentType) return false;
  const mediaType = contentType.split(';', 1)[0]!.trim().toLowerCase();
  return mediaType === 'application/json' || (mediaType.startsWith('application/') && mediaType.endsWith('+json'));
}
