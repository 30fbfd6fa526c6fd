/** Turning a "next page" link from an AEP list response into the query for the next request. */
import type { QueryParameters } from './http';

/**
 * AEP's next links come as absolute URLs, as paths relative to the service, or as bare query strings.
 * We only take their query parameters and send them to the path we already use, so a link can never point
 * the client (and its bearer token) at another host. Parameters in the link replace ours of the same name.
 */
export function queryForNextLink(current: QueryParameters, link: string): QueryParameters | undefined {
  const queryStart = link.indexOf('?');
  if (queryStart < 0) return undefined;
  const linkParameters = new URLSearchParams(link.slice(queryStart + 1));
  if ([...linkParameters.keys()].length === 0) return undefined;
  const next: QueryParameters = { ...current };
  for (const key of new Set(linkParameters.keys())) {
    const values = linkParameters.getAll(key);
    next[key] = values.length === 1 ? values[0] : values;
  }
  return next;
}

/** True when two queries would ask for the same page (a server repeating its cursor must not loop us forever). */
export function sameQuery(left: QueryParameters, right: QueryParameters): boolean {
  return JSON.stringify(normalise(left)) === JSON.stringify(normalise(right));
}

function normalise(query: QueryParameters): Array<[string, string]> {
  return Object.entries(query)
    .filter(([, value]) => value !== undefined)
    .map(([key, value]): [string, string] => [key, JSON.stringify(value)])
    .sort(([a], [b]) => a.localeCompare(b));
}
