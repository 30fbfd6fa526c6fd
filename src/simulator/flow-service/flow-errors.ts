/** Flow Service errors from the documented catalogue (help/sources/errors/flow-service-errors.md). */
import { flowError, type SimulatorHttpError } from '../problems';

/** 1100-400 "Invalid request": the catalogue's generic refusal, used for validation failures it has no code for. */
export function invalidRequest(message: string): SimulatorHttpError {
  return flowError(400, 1100, message);
}

export function entityNotFound(kind: string, id: string): SimulatorHttpError {
  return flowError(
    404,
    1439,
    `The requested ${kind} resource ${id} is not found. Verify the resource ID before trying again.`,
    { id, type: kind },
  );
}

export function emptyBody(): SimulatorHttpError {
  return flowError(400, 1405, 'The request body cannot be null or empty. Please provide a request body and try again.');
}

export function missingIfMatch(): SimulatorHttpError {
  return flowError(
    400,
    1403,
    "The header 'If-Match' is missing in the request. Please provide the header and try again.",
  );
}

export function versionMismatch(supplied: string, current: string): SimulatorHttpError {
  return flowError(
    412,
    1404,
    `The supplied version '${supplied}' does not match the current version on entity '${current}'. Please ensure that the supplied version matches the current version on entity and try again.`,
  );
}

export function invalidSpecId(specId: unknown): SimulatorHttpError {
  return flowError(
    400,
    1413,
    `The spec ID '${String(specId)}' provided is invalid. Please provide a valid spec ID and try again.`,
  );
}

export function invalidPatch(message: string): SimulatorHttpError {
  return flowError(400, 1455, `An error has occurred while validating patch instructions: ${message}`);
}
