/**
 * Public keys fetched from the key host with undici and kept for at most 24 hours (Adobe: "cache expiry of not more
 * than 24h"). A path not in the cache is fetched, so keys Adobe rotates to new paths are picked up at once.
 *
 * Unauthenticated requests choose the paths, so every fetch is bounded:
 * - one fetch per path at a time: concurrent deliveries naming the same path wait for the same fetch;
 * - at most `maxConcurrent` fetches at once and `maxPerWindow` started per `windowMs`; past that a fetch is not
 *   made and KeyFetchBudgetSpentError is raised (the receiver answers 503; Adobe retries a genuine delivery);
 * - a path the host refuses (403), does not have (404/410) or serves no key at is remembered for a while
 *   (`missingKeyRememberedMs`), so the same forged path costs one fetch;
 * - keys that verified a signature are kept apart from everything else, so a flood of forged paths, which can
 *   only ever fill the other part, never evicts a genuine key; both parts evict the least recently used first.
 * A key host that cannot be reached or fails (5xx) raises KeyHostUnavailableError and is not remembered: the event
 * may be genuine, so the receiver answers 5xx and I/O Events retries.
 */
import { createPublicKey, type KeyObject } from 'node:crypto';
import { request } from 'undici';
import { untilAborted } from '../runtime/abortable-wait';

export class KeyHostUnavailableError extends Error {
  constructor(reason: string) {
    super(`public key host unavailable: ${reason}`);
    this.name = 'KeyHostUnavailableError';
  }
}

/** Too many key fetches already running or made recently: this one is not made now. */
export class KeyFetchBudgetSpentError extends KeyHostUnavailableError {
  constructor(reason: string) {
    super(`key fetch budget spent (${reason})`);
    this.name = 'KeyFetchBudgetSpentError';
  }
}

export const longestKeyCacheMs = 24 * 3_600_000;
export const missingKeyRememberedMs = 5 * 60_000;
const fetchTimeoutMs = 3_000;
const largestKeyBytes = 16 * 1024;
/** Keys that verified a signature: Adobe uses two at a time, a few more around rotations. */
const largestVerifiedEntries = 64;
/** Everything else (fetched but not yet verified, or missing): what forged paths can make us hold. */
const largestOtherEntries = 1_000;

export interface KeyFetchLimits {
  maxConcurrent: number;
  maxPerWindow: number;
  windowMs: number;
}

export const defaultKeyFetchLimits: KeyFetchLimits = { maxConcurrent: 4, maxPerWindow: 30, windowMs: 60_000 };

export interface PublicKeyCacheOptions {
  /** How long a fetched key is kept; at most 24 h. */
  ttlMs?: number;
  limits?: Partial<KeyFetchLimits>;
  now?: () => number;
}

export interface KeyCacheStats {
  keyFetches: number;
  keyFetchesRefusedByCap: number;
  keyFetchesInFlight: number;
  verifiedKeys: number;
  otherCachedPaths: number;
}

interface CacheEntry {
  key: KeyObject | undefined;
  expiresAt: number;
}

export class PublicKeyCache {
  private readonly verified = new Map<string, CacheEntry>();
  private readonly others = new Map<string, CacheEntry>();
  private readonly inFlight = new Map<string, Promise<KeyObject | undefined>>();
  private fetchStarts: number[] = [];
  private readonly ttlMs: number;
  private readonly limits: KeyFetchLimits;
  private readonly now: () => number;
  private fetches = 0;
  private refusedByCap = 0;

  constructor(options: PublicKeyCacheOptions = {}) {
    this.ttlMs = Math.min(options.ttlMs ?? longestKeyCacheMs, longestKeyCacheMs);
    this.limits = { ...defaultKeyFetchLimits, ...options.limits };
    this.now = options.now ?? Date.now;
  }

  /** The key at this URL; undefined when the host has none there. `signal` ends the wait, not a shared fetch. */
  async publicKey(url: URL, signal?: AbortSignal): Promise<KeyObject | undefined> {
    const cacheKey = url.href;
    const cached = this.cached(this.verified, cacheKey) ?? this.cached(this.others, cacheKey);
    if (cached) return cached.key;
    let pending = this.inFlight.get(cacheKey);
    if (pending === undefined) {
      this.spendFetchBudget();
      pending = this.fetchAndRemember(url);
      this.inFlight.set(cacheKey, pending);
      void pending.then(
        () => this.inFlight.delete(cacheKey),
        () => this.inFlight.delete(cacheKey),
      );
    }
    return signal ? untilAborted(pending, signal, () => signal.reason as Error) : pending;
  }

  /** The key at this URL verified a signature: it is kept apart from what forged paths can fill. */
  markVerified(url: URL): void {
    const entry = this.others.get(url.href);
    if (!entry?.key) return;
    this.others.delete(url.href);
    remember(this.verified, url.href, entry, largestVerifiedEntries);
  }

  stats(): KeyCacheStats {
    return {
      keyFetches: this.fetches,
      keyFetchesRefusedByCap: this.refusedByCap,
      keyFetchesInFlight: this.inFlight.size,
      verifiedKeys: this.verified.size,
      otherCachedPaths: this.others.size,
    };
  }

  /** A live entry, moved to the most recently used end; expired entries are dropped. */
  private cached(entries: Map<string, CacheEntry>, cacheKey: string): CacheEntry | undefined {
    const entry = entries.get(cacheKey);
    if (!entry) return undefined;
    entries.delete(cacheKey);
    if (entry.expiresAt <= this.now()) return undefined;
    entries.set(cacheKey, entry);
    return entry;
  }

  /** Counts a fetch about to start, or throws KeyFetchBudgetSpentError when the caps allow none now. */
  private spendFetchBudget(): void {
    const now = this.now();
    this.fetchStarts = this.fetchStarts.filter((startedAt) => now - startedAt < this.limits.windowMs);
    if (this.inFlight.size >= this.limits.maxConcurrent || this.fetchStarts.length >= this.limits.maxPerWindow) {
      this.refusedByCap += 1;
      throw new KeyFetchBudgetSpentError(
        `${this.inFlight.size} running, ${this.fetchStarts.length} started in the last ${this.limits.windowMs} ms`,
      );
    }
    this.fetchStarts.push(now);
    this.fetches += 1;
  }

  private fetchAndRemember(url: URL): Promise<KeyObject | undefined> {
    return this.fetchKey(url).then((key) => {
      const keptFor = key === undefined ? Math.min(this.ttlMs, missingKeyRememberedMs) : this.ttlMs;
      remember(this.others, url.href, { key, expiresAt: this.now() + keptFor }, largestOtherEntries);
      return key;
    });
  }

  private async fetchKey(url: URL): Promise<KeyObject | undefined> {
    let status: number;
    let pem: string;
    try {
      const response = await request(url, { method: 'GET', signal: AbortSignal.timeout(fetchTimeoutMs) });
      status = response.statusCode;
      pem = status === 200 ? await readLimited(response.body) : (await response.body.dump(), '');
    } catch (error) {
      throw new KeyHostUnavailableError(`${url.origin} could not be read (${(error as Error).message})`);
    }
    // Refused, absent or gone: the host's answer for this path, remembered like a missing key.
    if (status === 403 || status === 404 || status === 410) return undefined;
    if (status !== 200) throw new KeyHostUnavailableError(`${url.origin} answered ${status}`);
    try {
      return createPublicKey(pem);
    } catch {
      // Not a key at all: treated like a missing key, the event cannot be verified with it.
      return undefined;
    }
  }
}

function remember(entries: Map<string, CacheEntry>, cacheKey: string, entry: CacheEntry, largest: number): void {
  entries.delete(cacheKey);
  entries.set(cacheKey, entry);
  // A Map iterates in insertion order and a hit re-inserts: the first key is the least recently used.
  while (entries.size > largest) entries.delete(entries.keys().next().value!);
}

async function readLimited(body: AsyncIterable<Buffer> & { destroy(): unknown }): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += chunk.length;
    if (size > largestKeyBytes) {
      body.destroy();
      throw new Error('the key is larger than any public key');
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}
