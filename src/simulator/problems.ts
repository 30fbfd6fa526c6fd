/**
 * Error bodies in the shapes AEP documents (see shared/aep-contract.md):
 * gateway `{error_code, message}`, Flow Service `FLOW-<code>-<status>` problem bodies,
 * Schema Registry `XDM-<code>-<status>`, OAuth `{error, error_description}`.
 * Route handlers throw a SimulatorHttpError; the server's error handler sends its body.
 */
import { randomUUID } from 'node:crypto';

export class SimulatorHttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: unknown,
    readonly headers: Record<string, string> = {},
  ) {
    super(typeof body === 'object' && body && 'message' in body ? String(body.message) : `HTTP ${status}`);
  }
}

export function gatewayError(
  status: number,
  errorCode: string,
  message: string,
  headers: Record<string, string> = {},
): SimulatorHttpError {
  return new SimulatorHttpError(status, { error_code: errorCode, message }, headers);
}

const flowTitles: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Resource not found',
  409: 'Conflict',
  412: 'Precondition Failed',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

export function flowError(
  status: number,
  code: number,
  detailedMessage: string,
  extra: Record<string, unknown> = {},
): SimulatorHttpError {
  const requestId = randomUUID();
  return new SimulatorHttpError(status, {
    type: `https://ns.adobe.com/aep/errors/FLOW-${code}-${status}`,
    title: flowTitles[status] ?? 'Error',
    status,
    report: { 'detailed-message': detailedMessage, 'request-id': requestId, ...extra },
    errorMessage: detailedMessage,
    errorDetails: detailedMessage,
  });
}

export function xdmError(status: number, code: number, title: string, detail: string): SimulatorHttpError {
  return new SimulatorHttpError(status, {
    type: `http://ns.adobe.com/aep/errors/XDM-${code}-${status}`,
    title,
    status,
    report: {
      registryRequestId: randomUUID(),
      timestamp: new Date().toISOString(),
      'detailed-message': detail,
      'sub-errors': [],
    },
    detail,
  });
}

export function oauthError(status: number, error: string, description: string): SimulatorHttpError {
  return new SimulatorHttpError(status, { error, error_description: description });
}

/**
 * Catalog and Data Prep document no error body; we use a problem body with a readable code. The CATALOG-/DATAPREP-/
 * MAPPER-22xx codes passed here are the simulator's own: no Adobe document names them.
 */
export function serviceError(status: number, code: string, title: string, detail: string): SimulatorHttpError {
  return new SimulatorHttpError(status, {
    type: `https://ns.adobe.com/aep/errors/${code}`,
    title,
    status,
    detail,
    report: { 'detailed-message': detail, 'request-id': randomUUID() },
  });
}
