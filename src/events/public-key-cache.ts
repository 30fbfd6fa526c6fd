/**
 * Public keys fetched from the key host with undici and kept for at most 24 hours (Adobe: "cache expiry of not more
 * than 24h"). A path not in the cache is fetched, so keys Adobe rotates to new paths are picked up at once. A path
 * the host does not have (404/410) is remembered briefly, so forged paths cannot make us hammer the host. A key
 * host that cannot be reached or fails (5xx) raises KeyHostUnavailableError: the event may be genuine, so the
 * receiver answers 5xx and I/O Events retries.
 */
import { createPublicKey, type KeyObject } from 'node:crypto';
import { request } from 'undici';

export class KeyHostUnavailableError extends Error {
  constructor(reason: string) {
    super(`public key host unavailable: ${reason}`);
    this.name = 'KeyHostUnavailableError';
  }
}

export const longestKeyCacheMs = 24 * 3_600_000;
const missingKeyRememberedMs = 60_000;
const fetchTimeoutMs = 3_000;
const largestKeyBytes = 16 * 1024;
/** A bound on what forged paths can make us hold. */
const largestCacheEntries = 1_000;

interface CacheEntry {
  key: Promise<KeyObject | undefined>;
  expiresAt: number;
}

export interface PublicKeyCacheOptions {
  /** How long a fetched key is kept; at most 24 h. */
  ttlMs?: number;
  now?: () => number;
}

export class PublicKeyCache {
  private readonly entries = new Map<string, CacheEntry>();
  private readonly ttlMs: number;
  private readonly now: () => number;

  constructor(options: PublicKeyCacheOptions = {}) {
    this.ttlMs = Math.min(options.ttlMs ?? longestKeyCacheMs, longestKeyCacheMs);
    this.now = options.now ?? Date.now;
  }

  /** The key at this URL; undefined when the host has none there. */
  async publicKey(url: URL): Promise<KeyObject | undefined> {
    const cacheKey = url.href;
    const cached = this.entries.get(cacheKey);
    if (cached && cached.expiresAt > this.now()) return cached.key;
    const entry: CacheEntry = { key: this.fetchKey(url), expiresAt: this.now() + this.ttlMs };
    this.remember(cacheKey, entry);
    try {
      const key = await entry.key;
      if (key === undefined) entry.expiresAt = Math.min(entry.expiresAt, this.now() + missingKeyRememberedMs);
      return key;
    } catch (error) {
      // A failed fetch is not kept: the next event asks again.
      if (this.entries.get(cacheKey) === entry) this.entries.delete(cacheKey);
      throw error;
    }
  }

  private remember(cacheKey: string, entry: CacheEntry): void {
    this.entries.delete(cacheKey);
    this.entries.set(cacheKey, entry);
    while (this.entries.size > largestCacheEntries) this.entries.delete(this.entries.keys().next().value!);
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
    if (status === 404 || status === 410) return undefined;
    if (status !== 200) throw new KeyHostUnavailableError(`${url.origin} answered ${status}`);
    try {
      return createPublicKey(pem);
    } catch {
      // Not a key at all: treated like a missing key, the event cannot be verified with it.
      return undefined;
    }
  }
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
