/**
 * Flow Service list semantics (help/dataflows/api/sort-and-filter.md): repeated `property=` filters ANDed,
 * comma-separated values ORed, `[]` to reach into arrays, `orderby=[+|-]field`, `count=true`, and `limit` with
 * continuation-token paging. The continuation token carries the whole query and a cursor (the sort key and id of
 * the last item served), so pages stay consistent while resources are created or deleted between requests.
 * A ListSource may narrow the candidates with indexes and hand them over already ordered; the filters, the order
 * and the paging stay exactly those of a full scan.
 */
import type { FastifyRequest } from 'fastify';
import { flowError, type SimulatorHttpError } from '../problems';
import { invalidRequest } from './flow-errors';
import { arraySource, isListSource, narrowCandidates, type ListSource } from './list-source';
import { isJsonObject, queryString, queryValues, textOf } from './request-parts';

export interface ListQueryOptions {
  /** Filter paths that stand for another path (runs: `state` is the run's status). */
  aliases?: Readonly<Record<string, string>>;
  /** Paths compared case-insensitively (the docs filter runs with `metrics.statusSummary.status==Failed`). */
  caseInsensitivePaths?: ReadonlySet<string>;
}

export interface ListPage<T> {
  items: T[];
  _links: { next?: { href: string } };
  count: number;
}

/** AEP documents no default page size; a page of 100 makes clients that ignore `_links.next` visibly wrong. */
export const defaultPageSize = 100;
export const maximumPageSize = 1000;
const defaultOrder = '-createdAt';

type Operator = '==' | '!=' | '>' | '<' | '>=' | '<=';
interface Segment {
  name: string;
  spreadsArray: boolean;
}
interface PropertyFilter {
  path: string;
  segments: Segment[];
  operator: Operator;
  values: string[];
  caseInsensitive: boolean;
}
interface Ordering {
  path: string;
  segments: Segment[];
  descending: boolean;
}
interface ListQuery {
  properties: string[];
  orderby: string;
  limit: number;
  after?: [unknown, string];
}

interface Keyed<T> {
  resource: T;
  key: unknown;
}

/** Answers a list request over `resources` (already restricted to the caller's sandbox). */
export function answerListQuery<T extends { id: string }>(
  request: FastifyRequest,
  resources: readonly T[] | ListSource<T>,
  collectionPath: string,
  options: ListQueryOptions = {},
): ListPage<T> | { count: number } {
  const wantsCount = queryString(request, 'count')?.toLowerCase() === 'true';
  const rawLimit = queryString(request, 'limit');
  if (wantsCount && rawLimit !== undefined) {
    throw flowError(
      400,
      1401,
      'The limit and count parameters cannot be given together in the same request. Please provide either only the limit or the count parameter and try again.',
    );
  }
  const continuationToken = queryString(request, 'continuationToken');
  const query: ListQuery = continuationToken
    ? decodeContinuationToken(continuationToken)
    : {
        properties: queryValues(request, 'property'),
        orderby: queryString(request, 'orderby') ?? defaultOrder,
        limit: parseLimit(rawLimit),
      };

  const filters = query.properties.map((property) => parsePropertyFilter(property, options));
  const source = isListSource(resources) ? resources : arraySource(resources);
  const candidates = narrowCandidates(source, filters);
  const remaining = filters.filter((filter) => !candidates.answered.has(filter));
  const matching =
    remaining.length === 0
      ? [...candidates.items]
      : candidates.items.filter((resource) => matchesAll(resource, remaining));
  if (wantsCount) return { count: matching.length };

  const ordering = parseOrdering(query.orderby);
  const presorted = candidates.inSortedOrder && (source.sorted?.orderPaths.includes(ordering.path) ?? false);
  const ordered = inListOrder(matching, ordering, presorted);

  let start = 0;
  if (query.after) {
    const [afterKey, afterId] = query.after;
    start = firstAfter(ordered, (entry) => compareKeys(entry.key, entry.resource.id, afterKey, afterId, ordering) > 0);
  }
  const page = ordered.slice(start, start + query.limit);
  const items = page.map((entry) => entry.resource);
  const last = page[page.length - 1];
  const hasMore = start + page.length < ordered.length;
  const links: ListPage<T>['_links'] = {};
  if (hasMore && last) {
    const token = encodeContinuationToken({ ...query, after: [last.key ?? null, last.resource.id] });
    links.next = { href: `${collectionPath}?continuationToken=${encodeURIComponent(token)}` };
  }
  return { items, _links: links, count: items.length };
}

/**
 * The resources in the order the query asks for, each with its sort key computed once. `presorted` items come
 * ascending by the key with ties by id: ascending orders keep them, descending ones reverse them but keep ties
 * in id order, as compareKeys does.
 */
function inListOrder<T extends { id: string }>(resources: T[], ordering: Ordering, presorted: boolean): Keyed<T>[] {
  const keyed = resources.map((resource) => ({ resource, key: sortKey(resource, ordering) }));
  if (!presorted) {
    keyed.sort((left, right) => compareKeys(left.key, left.resource.id, right.key, right.resource.id, ordering));
  } else if (ordering.descending) {
    keyed.reverse();
    for (let tieStart = 0; tieStart < keyed.length;) {
      let tieEnd = tieStart + 1;
      while (tieEnd < keyed.length && keyed[tieEnd]!.key === keyed[tieStart]!.key) tieEnd += 1;
      if (tieEnd - tieStart > 1) reverseRange(keyed, tieStart, tieEnd);
      tieStart = tieEnd;
    }
  }
  return keyed;
}

function reverseRange<T>(items: T[], from: number, to: number): void {
  for (let left = from, right = to - 1; left < right; left += 1, right -= 1) {
    [items[left], items[right]] = [items[right]!, items[left]!];
  }
}

/** Index of the first item for which `isAfter` holds (it holds for a suffix of `items`), or the length. */
function firstAfter<T>(items: readonly T[], isAfter: (item: T) => boolean): number {
  let low = 0;
  let high = items.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (isAfter(items[middle]!)) high = middle;
    else low = middle + 1;
  }
  return low;
}

function parseLimit(raw: string | undefined): number {
  if (raw === undefined) return defaultPageSize;
  const limit = Number(raw);
  if (!Number.isInteger(limit) || limit < 1) {
    throw invalidRequest(`Invalid value ${raw} for query parameter limit. Provide a positive integer.`);
  }
  return Math.min(limit, maximumPageSize);
}

const operatorPattern = /(==|!=|>=|<=|>|<)/;

function parsePropertyFilter(expression: string, options: ListQueryOptions): PropertyFilter {
  const match = operatorPattern.exec(expression);
  if (!match || match.index === 0) {
    throw flowError(400, 1453, `Invalid query value ${expression} provided in query param.`);
  }
  const rawPath = expression.slice(0, match.index).trim();
  const operator = match[1] as Operator;
  const rawValue = expression.slice(match.index + operator.length);
  if (/[=!<>~]/.test(rawPath)) throw flowError(400, 1450, `Invalid operator in filter params: ${expression}.`);
  if (rawValue === '') throw flowError(400, 1453, `Invalid query value ${expression} provided in query param.`);
  const values = rawValue.split(',');
  if (values.length > 1 && operator !== '==' && operator !== '!=') {
    throw flowError(400, 1443, `Operator '${operator}' is not allowed for multiple values.`);
  }
  const path = options.aliases?.[rawPath] ?? rawPath;
  return {
    path,
    segments: parsePath(path),
    operator,
    values,
    caseInsensitive: options.caseInsensitivePaths?.has(path) ?? false,
  };
}

function parsePath(path: string): Segment[] {
  return path.split('.').map((part) => {
    const spreadsArray = part.endsWith('[]');
    return { name: spreadsArray ? part.slice(0, -2) : part, spreadsArray };
  });
}

function resolve(resource: unknown, segments: readonly Segment[]): unknown[] {
  let current: unknown[] = [resource];
  for (const segment of segments) {
    const next: unknown[] = [];
    for (const value of current) {
      if (!isJsonObject(value)) continue;
      const child = value[segment.name];
      if (segment.spreadsArray) {
        if (Array.isArray(child)) next.push(...(child as unknown[]));
      } else if (child !== undefined) {
        next.push(child);
      }
    }
    current = next;
  }
  // Without `[]` an array is not searched, as the docs require `[]` for array properties.
  return current.filter((value) => value === null || typeof value !== 'object');
}

function matchesAll(resource: unknown, filters: readonly PropertyFilter[]): boolean {
  return filters.every((filter) => matches(resolve(resource, filter.segments), filter));
}

function matches(resolved: unknown[], filter: PropertyFilter): boolean {
  const equalsAny = (value: unknown) =>
    filter.values.some((wanted) => sameValue(value, wanted, filter.caseInsensitive));
  switch (filter.operator) {
    case '==':
      return resolved.some(equalsAny);
    case '!=':
      return !resolved.some(equalsAny);
    default: {
      const wanted = filter.values[0]!;
      return resolved.some((value) => orderedComparison(value, wanted, filter.operator));
    }
  }
}

function sameValue(value: unknown, wanted: string, caseInsensitive: boolean): boolean {
  const text = textOf(value);
  return caseInsensitive ? text.toLowerCase() === wanted.toLowerCase() : text === wanted;
}

function orderedComparison(value: unknown, wanted: string, operator: Operator): boolean {
  const numericValue =
    typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : NaN;
  const numericWanted = Number(wanted);
  let difference: number;
  if (Number.isFinite(numericValue) && wanted.trim() !== '' && Number.isFinite(numericWanted)) {
    difference = numericValue - numericWanted;
  } else {
    const text = textOf(value);
    difference = text < wanted ? -1 : text > wanted ? 1 : 0;
  }
  switch (operator) {
    case '>':
      return difference > 0;
    case '<':
      return difference < 0;
    case '>=':
      return difference >= 0;
    default:
      return difference <= 0;
  }
}

function parseOrdering(orderby: string): Ordering {
  // A `+` sent unencoded in a query string arrives as a space.
  const match = /^([+ -]?)([A-Za-z_$][A-Za-z0-9_$.]*)$/.exec(orderby);
  if (!match) {
    throw flowError(400, 1433, `Incorrect field= ${orderby} passed in orderBy, example are +name, -name, name.`);
  }
  return { path: match[2]!, segments: parsePath(match[2]!), descending: match[1] === '-' };
}

function sortKey(resource: unknown, ordering: Ordering): unknown {
  return resolve(resource, ordering.segments)[0];
}

/** Missing values sort last; ties break on id so the order (and so the cursor) is total. */
function compareKeys(leftKey: unknown, leftId: string, rightKey: unknown, rightId: string, ordering: Ordering): number {
  const leftMissing = leftKey === undefined || leftKey === null;
  const rightMissing = rightKey === undefined || rightKey === null;
  let difference = 0;
  if (leftMissing || rightMissing) {
    difference = leftMissing === rightMissing ? 0 : leftMissing ? 1 : -1;
  } else {
    if (typeof leftKey === 'number' && typeof rightKey === 'number') difference = leftKey - rightKey;
    else {
      const leftText = textOf(leftKey);
      const rightText = textOf(rightKey);
      difference = leftText < rightText ? -1 : leftText > rightText ? 1 : 0;
    }
    if (ordering.descending) difference = -difference;
  }
  if (difference !== 0) return difference;
  return leftId < rightId ? -1 : leftId > rightId ? 1 : 0;
}

function encodeContinuationToken(query: ListQuery): string {
  return Buffer.from(JSON.stringify(query)).toString('base64url');
}

function decodeContinuationToken(token: string): ListQuery {
  const invalid: SimulatorHttpError = invalidRequest(`Invalid continuation token ${token}.`);
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch {
    throw invalid;
  }
  if (
    !isJsonObject(decoded) ||
    !Array.isArray(decoded.properties) ||
    typeof decoded.orderby !== 'string' ||
    typeof decoded.limit !== 'number' ||
    !Array.isArray(decoded.after) ||
    typeof decoded.after[1] !== 'string'
  ) {
    throw invalid;
  }
  return {
    properties: decoded.properties.map(String),
    orderby: decoded.orderby,
    limit: decoded.limit,
    after: [decoded.after[0] as unknown, decoded.after[1]],
  };
}
