/**
 * OneTrust: the OAuth client-credentials token endpoint and the consent profile feed
 * (`GET /api/consentmanager/v1/datasubjects/profiles`), over deterministic, slowly changing data subjects.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type {
  Clock,
  OneTrustProfile,
  OneTrustService,
  SimulatorContext,
  SimulatorSettings,
  TokenCheck,
} from './context';
import { readRequestFields } from './issued-tokens';
import { OneTrustProfileGenerator, type ProfileSortField } from './onetrust-profiles';
import { oneTrustRecordSchema } from './onetrust-record-schema';
import { OneTrustClients, type OneTrustClientView } from './onetrust-clients';
import { OneTrustTokens, oneTrustScopes } from './onetrust-tokens';
import { oauthError, SimulatorHttpError } from './problems';
import type { Store } from './store';

const profilesPath = '/api/consentmanager/v1/datasubjects/profiles';
const defaultPageSize = 20;
const maximumPageSize = 50;
/** The AEP connector reads OneTrust in pages of 100 (the seed's preview envelope). */
const connectorPageSize = 100;
const previewRecordCount = 10;
const sortFields: Record<string, ProfileSortField | 'identifierType'> = {
  id: 'id',
  identifier: 'identifier',
  createddate: 'createdDate',
  lastmodifieddate: 'lastModifiedDate',
  lasttransactiondate: 'lastTransactionDate',
  identifiertype: 'identifierType',
};

interface ProfileQuery {
  sinceMs?: number;
  toMs?: number;
  sort: string;
  identifier?: string;
}

/** What a requestContinuation cursor carries: the instant the listing was taken at, its filters and the next offset. */
interface ContinuationState extends ProfileQuery {
  atMs: number;
  offset: number;
}

export interface ProfilePage {
  content: OneTrustProfile[];
  pageable: Record<string, unknown>;
  last: boolean;
  size: number;
  number: number;
  sort: { empty: boolean; sorted: boolean; unsorted: boolean };
  numberOfElements: number;
  first: boolean;
  empty: boolean;
  requestContinuation: string;
}

export class SimulatedOneTrust implements OneTrustService {
  private generator: OneTrustProfileGenerator | undefined;
  private readonly tokens: OneTrustTokens;
  private readonly clients: OneTrustClients;

  constructor(private readonly deps: { store: Store; clock: Clock; settings: SimulatorSettings }) {
    this.tokens = new OneTrustTokens(deps.store, deps.clock);
    this.clients = new OneTrustClients(deps.settings.oneTrustClients);
  }

  checkAccessToken(token: string): TokenCheck {
    return this.tokens.check(token);
  }

  mintToken(expiresInSeconds: number): { accessToken: string; expiresAt: Date } {
    const { accessToken, expiresAt } = this.tokens.mint(expiresInSeconds, 'simulator-admin');
    return { accessToken, expiresAt };
  }

  /** The client-credentials grant: validates the form and mints a token with the credential's lifetime. */
  issueClientToken(fields: Record<string, string>): Record<string, unknown> {
    if (!fields.grant_type || fields.grant_type !== 'client_credentials') {
      throw oauthError(400, 'unsupported_grant_type', 'Invalid grant_type');
    }
    if (!fields.client_id || !fields.client_secret) {
      throw oauthError(400, 'invalid_request', 'client_id and client_secret are required');
    }
    const credential = this.clients.authenticate(fields.client_id, fields.client_secret);
    if (!credential) throw oauthError(401, 'invalid_client', 'Invalid client credentials');
    const issuedAt = new Date(this.deps.clock.now());
    const minted = this.tokens.mint(credential.tokenLifetimeSeconds, credential.clientId);
    this.clients.recordMint(credential.clientId, minted.accessToken, issuedAt, minted.expiresAt);
    return {
      access_token: minted.accessToken,
      token_type: 'Bearer',
      // exp = iat + lifetime in whole seconds, so expires_in is exactly the credential's lifetime.
      expires_in: credential.tokenLifetimeSeconds,
      scope: oneTrustScopes.join(' '),
      jti: minted.jti,
    };
  }

  /** Registers a OneTrust client, or regenerates its secret (the old one is refused from then on). */
  registerClient(clientId: string, clientSecret: string, tokenLifetimeSeconds?: number): OneTrustClientView {
    return this.clients.register(clientId, clientSecret, tokenLifetimeSeconds);
  }

  /** A client's secret version and the tokens it minted (as fingerprints), or undefined when unknown. */
  describeClient(clientId: string): OneTrustClientView | undefined {
    return this.clients.describe(clientId);
  }

  profilesUpdatedBetween(since: Date | undefined, until: Date): OneTrustProfile[] {
    const generator = this.profiles();
    const untilMs = until.getTime();
    return generator
      .indexesUpdatedBetween(since?.getTime(), untilMs)
      .map((index) => ({ index, updatedMs: generator.lastUpdateMs(index, untilMs) }))
      .sort((left, right) => left.updatedMs - right.updatedMs || left.index - right.index)
      .map(({ index }) => generator.profileAt(index, untilMs));
  }

  toSourceRecord(profile: OneTrustProfile, index: number): Record<string, unknown> {
    const pageNumber = Math.floor(index / connectorPageSize);
    const sort = { sorted: true, unsorted: false, empty: false };
    return {
      number: pageNumber,
      size: connectorPageSize,
      numberOfElements: connectorPageSize,
      last: false,
      pageable: {
        limit: connectorPageSize,
        offset: pageNumber * connectorPageSize,
        sort: { ...sort },
        tokenId: connectorPageSize,
        pageSize: connectorPageSize,
        pageNumber,
        unpaged: false,
        paged: true,
      },
      sort: { ...sort },
      content: profile,
      first: pageNumber === 0,
      empty: false,
    };
  }

  explorePreview(): { format: string; schema: unknown; data: unknown[] } {
    const generator = this.profiles();
    const atMs = this.deps.clock.now();
    const count = Math.min(previewRecordCount, generator.subjectCount);
    const data = Array.from({ length: count }, (_, index) =>
      this.toSourceRecord(generator.profileAt(index, atMs), index),
    );
    return { format: 'hierarchical', schema: oneTrustRecordSchema(), data };
  }

  /** One page of the profile feed, newest change first by default; a continuation pins the listing's instant. */
  listProfiles(query: ProfileQuery, page: number, size: number, continuation?: ContinuationState): ProfilePage {
    const generator = this.profiles();
    const effective: ContinuationState = continuation ?? { ...query, atMs: this.deps.clock.now(), offset: page * size };
    const { atMs } = effective;
    const [rawField, rawDirection] = effective.sort.split(',');
    const field = sortFields[(rawField ?? '').trim().toLowerCase()];
    const direction = (rawDirection ?? 'asc').trim().toLowerCase();
    if (!field || (direction !== 'asc' && direction !== 'desc')) {
      throw oneTrustBadRequest(`Invalid sort '${effective.sort}'`);
    }

    const matching: number[] = [];
    for (let index = 0; index < generator.subjectCount; index += 1) {
      const updatedMs = generator.lastUpdateMs(index, atMs);
      if (effective.sinceMs !== undefined && updatedMs < effective.sinceMs) continue;
      if (effective.toMs !== undefined && updatedMs > effective.toMs) continue;
      if (effective.identifier !== undefined && generator.identifierOf(index) !== effective.identifier) continue;
      matching.push(index);
    }
    if (field !== 'identifierType') {
      const keys = new Map(matching.map((index) => [index, generator.sortKey(index, field, atMs)]));
      const sign = direction === 'desc' ? -1 : 1;
      matching.sort((left, right) => {
        const leftKey = keys.get(left) as string | number;
        const rightKey = keys.get(right) as string | number;
        if (leftKey < rightKey) return -sign;
        if (leftKey > rightKey) return sign;
        return left - right;
      });
    }

    const offset = effective.offset;
    const selected = matching.slice(offset, offset + size);
    const pageNumber = Math.floor(offset / size);
    const sort = { empty: false, sorted: true, unsorted: false };
    return {
      content: selected.map((index) => generator.profileAt(index, atMs)),
      pageable: { sort: { ...sort }, offset, pageNumber, pageSize: size, paged: true, unpaged: false },
      last: offset + size >= matching.length,
      size,
      number: pageNumber,
      sort,
      numberOfElements: selected.length,
      first: offset === 0,
      empty: selected.length === 0,
      // Like OneTrust, the last page still carries a continuation; `last` says there is nothing after it.
      requestContinuation: encodeContinuation({ ...effective, offset: offset + size }),
    };
  }

  private profiles(): OneTrustProfileGenerator {
    this.generator ??= new OneTrustProfileGenerator(this.deps.settings.oneTrustSubjects);
    return this.generator;
  }
}

export function createOneTrustService(deps: {
  store: Store;
  clock: Clock;
  settings: SimulatorSettings;
}): SimulatedOneTrust {
  return new SimulatedOneTrust(deps);
}

export function registerOneTrustRoutes(app: FastifyInstance, context: SimulatorContext): void {
  const oneTrust = context.oneTrust instanceof SimulatedOneTrust ? context.oneTrust : createOneTrustService(context);

  app.post('/api/access/v1/oauth/token', async (request, reply) => {
    const fields = readRequestFields(undefined, request.body);
    return reply.header('cache-control', 'no-store').send(oneTrust.issueClientToken(fields));
  });

  app.get(profilesPath, async (request, reply) => {
    authenticate(request, oneTrust);
    const query = (request.query ?? {}) as Record<string, string | undefined>;
    const page = readInteger(query.page, 'page', 0);
    const size = readInteger(query.size, 'size', defaultPageSize);
    if (page < 0) throw oneTrustBadRequest('page must not be negative');
    if (size < 1 || size > maximumPageSize) {
      throw oneTrustBadRequest(`size must be between 1 and ${maximumPageSize}`);
    }
    if (query.updatedSince !== undefined && query.since !== undefined) {
      throw oneTrustBadRequest('updatedSince and since cannot be used together');
    }
    const sinceText = query.updatedSince ?? query.since;
    const identifier = headerValue(request, 'identifier');
    const profileQuery: ProfileQuery = {
      sort: query.sort ?? 'lastModifiedDate,desc',
      ...(sinceText !== undefined ? { sinceMs: parseOneTrustDate(sinceText, 'updatedSince') } : {}),
      ...(query.toDate !== undefined ? { toMs: parseOneTrustDate(query.toDate, 'toDate') } : {}),
      ...(identifier !== undefined ? { identifier } : {}),
    };
    const continuationHeader = headerValue(request, 'requestcontinuation');
    const continuation = continuationHeader ? decodeContinuation(continuationHeader) : undefined;
    const result = oneTrust.listProfiles(profileQuery, page, size, continuation);
    return reply.header('requestContinuation', result.requestContinuation).send(result);
  });
}

function authenticate(request: FastifyRequest, oneTrust: SimulatedOneTrust): void {
  const authorization = headerValue(request, 'authorization') ?? '';
  const match = /^Bearer\s+(\S+)$/i.exec(authorization);
  if (!match?.[1]) {
    // OneTrust documents the 401 but not its body; `unauthorized` is the simulator's own choice (no document names
    // it). `invalid_token` below is OAuth 2's code for a refused bearer token (RFC 6750 §3.1).
    throw unauthorized('unauthorized', 'Full authentication is required to access this resource');
  }
  const check = oneTrust.checkAccessToken(match[1]);
  if (check.valid) return;
  throw check.reason === 'expired'
    ? unauthorized('invalid_token', 'Access token expired')
    : unauthorized('invalid_token', 'Invalid access token');
}

function unauthorized(error: string, description: string): SimulatorHttpError {
  return new SimulatorHttpError(
    401,
    { error, error_description: description },
    { 'www-authenticate': `Bearer error="${error}", error_description="${description}"` },
  );
}

/** OneTrust does not document its 400 body; this is the Spring Boot error shape its APIs are built on. */
function oneTrustBadRequest(message: string): SimulatorHttpError {
  return new SimulatorHttpError(400, {
    timestamp: new Date().toISOString(),
    status: 400,
    error: 'Bad Request',
    message,
    path: profilesPath,
  });
}

function headerValue(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function readInteger(text: string | undefined, name: string, fallback: number): number {
  if (text === undefined || text === '') return fallback;
  if (!/^-?\d+$/.test(text)) throw oneTrustBadRequest(`${name} must be an integer`);
  return Number(text);
}

/** Accepts yyyy-MM-dd, yyyy-MM-ddTHH:mm:ss (both read as UTC) and full ISO 8601 with a zone. */
export function parseOneTrustDate(text: string, name: string): number {
  const dateOnly = /^\d{4}-\d{2}-\d{2}$/.test(text);
  const localDateTime = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?$/.test(text);
  const normalized = dateOnly ? `${text}T00:00:00Z` : localDateTime ? `${text}Z` : text;
  const parsed = /^\d{4}-\d{2}-\d{2}/.test(text) ? Date.parse(normalized) : Number.NaN;
  if (Number.isNaN(parsed)) {
    throw oneTrustBadRequest(`${name} must look like yyyy-MM-dd or yyyy-MM-ddTHH:mm:ss, got '${text}'`);
  }
  return parsed;
}

function encodeContinuation(state: ContinuationState): string {
  return Buffer.from(JSON.stringify(state)).toString('base64url');
}

function decodeContinuation(text: string): ContinuationState {
  try {
    const state = JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as Partial<ContinuationState>;
    if (
      typeof state.atMs === 'number' &&
      Number.isInteger(state.offset) &&
      (state.offset ?? -1) >= 0 &&
      typeof state.sort === 'string'
    ) {
      return state as ContinuationState;
    }
  } catch {
    // fall through to the 400 below
  }
  throw oneTrustBadRequest('Invalid requestContinuation');
}
