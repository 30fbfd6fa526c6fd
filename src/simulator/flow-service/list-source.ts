/**
 * What a Flow Service list reads from: every resource of the caller's sandbox, plus optional indexes that answer
 * some filters without a scan (`id==a,b`, runs' `flowId==x`, windows on runs' start time). An index returns
 * exactly the resources its filter keeps, so the list skips that filter and applies the others to them: an answer
 * is the same with or without indexes.
 */

export interface Candidates<T> {
  items: readonly T[];
  /** The items come in the order of the source's `sorted` field (ascending, ties by id). */
  inSortedOrder: boolean;
}

/** Candidates, and the filters the index that chose them already applied exactly (no need to test them again). */
export interface NarrowedCandidates<T, F> extends Candidates<T> {
  answered: ReadonlySet<F>;
}

export interface NumericBound {
  ms: number;
  inclusive: boolean;
}

export interface NumericWindow {
  after?: NumericBound;
  before?: NumericBound;
}

export interface SortedField<T> {
  /** Filter path of a field every resource holds as a number, kept in ascending order, ties broken by id. */
  path: string;
  /** `orderby` paths that order exactly like it (runs: createdAt is the start time). */
  orderPaths: readonly string[];
  /** The resources whose field lies in the window, in ascending order. */
  within(window: NumericWindow): readonly T[];
}

export interface ListSource<T> {
  all(): Candidates<T>;
  /**
   * Exact-value lookups by filter path: the resources whose value, as text, is one of `values` (each resource at
   * most once), as a case-sensitive `==` filter keeps them.
   */
  lookups?: Readonly<Record<string, (values: readonly string[]) => Candidates<T>>>;
  sorted?: SortedField<T>;
}

/** The parts of a parsed `property=` filter that decide whether an index can answer it. */
export interface IndexableFilter {
  path: string;
  operator: '==' | '!=' | '>' | '<' | '>=' | '<=';
  values: string[];
  caseInsensitive: boolean;
}

export function isListSource<T>(resources: readonly T[] | ListSource<T>): resources is ListSource<T> {
  return !Array.isArray(resources);
}

export function arraySource<T>(resources: readonly T[]): ListSource<T> {
  return { all: () => ({ items: resources, inSortedOrder: false }) };
}

/**
 * The fewest candidates the source's indexes can offer for these (ANDed) filters: an exact lookup when one
 * applies (they are small), else a window on the sorted field, else everything.
 */
export function narrowCandidates<T, F extends IndexableFilter>(
  source: ListSource<T>,
  filters: readonly F[],
): NarrowedCandidates<T, F> {
  let best: NarrowedCandidates<T, F> | undefined;
  for (const filter of filters) {
    const lookup = filter.operator === '==' && !filter.caseInsensitive ? source.lookups?.[filter.path] : undefined;
    if (!lookup) continue;
    const found = lookup([...new Set(filter.values)]);
    if (!best || found.items.length < best.items.length) best = { ...found, answered: new Set([filter]) };
  }
  if (best) return best;
  const sorted = source.sorted;
  const windowFilters = sorted ? filters.filter((filter) => isOrderedComparisonOn(sorted.path, filter)) : [];
  const window = windowOf(windowFilters);
  if (sorted && window) return { items: sorted.within(window), inSortedOrder: true, answered: new Set(windowFilters) };
  return { ...source.all(), answered: new Set() };
}

function isOrderedComparisonOn(path: string, filter: IndexableFilter): boolean {
  return filter.path === path && filter.operator !== '==' && filter.operator !== '!=';
}

/** The tightest window the ordered comparisons describe, when every one compares numbers. */
function windowOf(filters: readonly IndexableFilter[]): NumericWindow | undefined {
  const window: NumericWindow = {};
  for (const filter of filters) {
    const wanted = filter.values[0] ?? '';
    const ms = Number(wanted);
    // Like the filter itself: a value that is not a number compares as text, which no numeric index answers.
    if (wanted.trim() === '' || !Number.isFinite(ms)) return undefined;
    if (filter.operator === '>' || filter.operator === '>=') {
      const bound = { ms, inclusive: filter.operator === '>=' };
      if (!window.after || tighterLower(bound, window.after)) window.after = bound;
    } else {
      const bound = { ms, inclusive: filter.operator === '<=' };
      if (!window.before || tighterUpper(bound, window.before)) window.before = bound;
    }
  }
  return window.after || window.before ? window : undefined;
}

function tighterLower(candidate: NumericBound, current: NumericBound): boolean {
  return candidate.ms > current.ms || (candidate.ms === current.ms && !candidate.inclusive);
}

function tighterUpper(candidate: NumericBound, current: NumericBound): boolean {
  return candidate.ms < current.ms || (candidate.ms === current.ms && !candidate.inclusive);
}
