/**
 * The error body each API would send for a bare HTTP status, used when the simulator itself has to answer
 * with a status that no route chose (fault rules without a body, malformed requests, unknown routes).
 * Every API keeps its own documented shape so clients exercise the same parsing as against the real platform.
 */
import { flowError, gatewayError, oauthError, serviceError, SimulatorHttpError, xdmError } from './problems';

export const platformPrefix = '/data/foundation/';
export const flowServicePrefix = '/data/foundation/flowservice';

const reasonPhrases: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  408: 'Request Timeout',
  409: 'Conflict',
  412: 'Precondition Failed',
  413: 'Payload Too Large',
  415: 'Unsupported Media Type',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};

/** Flow Service codes from the documented catalogue for statuses that have one. */
const flowCodes: Record<number, number> = { 400: 1100, 404: 1101, 412: 1404, 500: 1102, 503: 1103, 504: 1104 };

export function reasonPhrase(status: number): string {
  return reasonPhrases[status] ?? (status >= 500 ? 'Server Error' : 'Client Error');
}

export function defaultErrorFor(path: string, status: number, message?: string): SimulatorHttpError {
  const detail = message ?? `${reasonPhrase(status)} (simulated).`;
  if (path.startsWith(platformPrefix)) {
    // Adobe's API gateway answers auth and throttling failures itself, before any service sees the call.
    // 401013 and 403003 are quoted in help/landing/troubleshooting.md. 429001 is in no Adobe document (only in
    // Adobe's open-source gateway, adobe-apiplatform/api-gateway-request-validation, as "Service usage limit
    // reached"); the documented throttling body is 429050 (rate-limit.ts). Kept as the simulator's own choice.
    if (status === 401) return gatewayError(401, '401013', 'Oauth token is not valid');
    if (status === 403) return gatewayError(403, '403003', 'Api Key is invalid');
    if (status === 429) return gatewayError(429, '429001', 'Too many requests');
    if (path.startsWith(flowServicePrefix))
      return flowError(status, flowCodes[status] ?? (status >= 500 ? 1102 : 1100), detail);
    // XDM-1000, CATALOG-1000, DATAPREP-1000 and PLATFORM-1000 are the simulator's own codes, in no Adobe document.
    if (path.startsWith('/data/foundation/schemaregistry')) return xdmError(status, 1000, reasonPhrase(status), detail);
    if (path.startsWith('/data/foundation/catalog'))
      return serviceError(status, `CATALOG-1000-${status}`, reasonPhrase(status), detail);
    if (path.startsWith('/data/foundation/conversion'))
      return serviceError(status, `DATAPREP-1000-${status}`, reasonPhrase(status), detail);
    return serviceError(status, `PLATFORM-1000-${status}`, reasonPhrase(status), detail);
  }
  if (path.startsWith('/ims/') || path.startsWith('/api/')) {
    const error =
      status === 401
        ? 'invalid_client'
        : status === 429 || status === 503
          ? 'temporarily_unavailable'
          : status >= 500
            ? 'server_error'
            : 'invalid_request';
    return oauthError(status, error, detail);
  }
  return new SimulatorHttpError(status, { status, message: detail });
}
