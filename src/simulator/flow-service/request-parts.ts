/** Reading the parts of a Flow Service request the gateway has already vetted. */
import type { FastifyRequest } from 'fastify';
import { emptyBody, invalidRequest } from './flow-errors';

export type JsonObject = Record<string, unknown>;

/** The gateway guarantees a valid x-sandbox-name on every platform request. */
export function sandboxOf(request: FastifyRequest): string {
  return request.headers['x-sandbox-name'] as string;
}

export function objectBody(request: FastifyRequest): JsonObject {
  const body = request.body;
  if (body === undefined || body === null || body === '') throw emptyBody();
  if (!isJsonObject(body)) throw invalidRequest('The request body must be a JSON object.');
  if (Object.keys(body).length === 0) throw emptyBody();
  return body;
}

/** A JSON scalar as text (for messages and comparisons); objects and arrays as JSON. */
export function textOf(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  return JSON.stringify(value) ?? String(value);
}

export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function queryString(request: FastifyRequest, name: string): string | undefined {
  const value = (request.query as Record<string, string | string[] | undefined>)[name];
  return Array.isArray(value) ? value[value.length - 1] : value;
}

export function queryValues(request: FastifyRequest, name: string): string[] {
  const value = (request.query as Record<string, string | string[] | undefined>)[name];
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}

export function requiredString(body: JsonObject, field: string, label = field): string {
  const value = body[field];
  if (typeof value !== 'string' || value.trim() === '') {
    throw invalidRequest(`The field '${label}' is required and must be a non-empty string.`);
  }
  return value;
}

/** `{id, version}` references such as connectionSpec and flowSpec. */
export function requiredSpecReference(body: JsonObject, field: string): { id: string; version: string } {
  const value = body[field];
  if (!isJsonObject(value) || typeof value.id !== 'string' || value.id === '') {
    throw invalidRequest(`The field '${field}.id' is required.`);
  }
  const version = value.version === undefined ? '1.0' : textOf(value.version);
  return { id: value.id, version };
}
