/**
 * A bounded TTL cache for DNS answers that also merges concurrent identical queries into one
 * in-flight promise (the classic library's issue #41).
 * @see RFC 1035 §3.2.1 (TTL), RFC 2308 (negative caching)
 */

/** An answer and how long it may be reused. A `ttlMs` of 0 or less is not stored. */
export interface CacheableAnswer<T> {
  value: T;
  ttlMs: number;
}

/** Options of {@link createDnsCache}. */
export interface DnsCacheOptions {
  /** Clock in milliseconds (monotonic preferred). */
  now: () => number;
  /** Entries kept at most; the least recently used one goes first. At least 1. */
  maxEntries: number;
}

/** See {@link createDnsCache}. */
export interface DnsCache {
  /**
   * The cached value for `key` if it has not expired; else the in-flight fetch for `key` if one is
   * running; else starts `fetch`, stores its answer for its TTL and returns its value. Keys must
   * encode the value's type (e.g. `SRV _sip._udp.example.com`): one key, one type.
   * @throws whatever `fetch` rejects with (nothing is cached then)
   */
  get<T>(key: string, fetch: () => Promise<CacheableAnswer<T>>): Promise<T>;
  /** Drops every entry; fetches already running do not store their answers. */
  clear(): void;
  /** Entries stored now (expired ones included until they are next looked at or evicted). */
  readonly size: number;
}

interface Entry {
  expires: number;
  value: unknown;
}

/**
 * Creates a DNS answer cache (one per resolver: no module state).
 * @example
 * const cache = createDnsCache({ now: () => performance.now(), maxEntries: 10_000 });
 * const v = await cache.get('A example.com', async () => ({ value: ['192.0.2.1'], ttlMs: 60_000 }));
 */
export function createDnsCache(options: DnsCacheOptions): DnsCache {
  const { now } = options;
  const maxEntries = Math.max(1, Math.floor(options.maxEntries));
  const entries = new Map<string, Entry>();
  const inFlight = new Map<string, Promise<unknown>>();
  let generation = 0;

  function store(key: string, value: unknown, ttlMs: number): void {
    if (!(ttlMs > 0)) return;
    entries.delete(key);
    while (entries.size >= maxEntries) {
      const oldest = entries.keys().next();
      if (oldest.done === true) break;
      entries.delete(oldest.value);
    }
    entries.set(key, { expires: now() + ttlMs, value });
  }

  return {
    get<T>(key: string, fetch: () => Promise<CacheableAnswer<T>>): Promise<T> {
      const hit = entries.get(key);
      if (hit !== undefined) {
        entries.delete(key);
        if (hit.expires > now()) {
          entries.set(key, hit); // most recently used goes last
          // One key holds one type (see the interface): the cast restores what `fetch` produced.
          return Promise.resolve(hit.value as T);
        }
      }
      const running = inFlight.get(key);
      if (running !== undefined) return running as Promise<T>;
      const started = generation;
      const p = fetch().then(
        (answer) => {
          if (inFlight.get(key) === p) inFlight.delete(key);
          if (started === generation) store(key, answer.value, answer.ttlMs);
          return answer.value;
        },
        (error: unknown) => {
          if (inFlight.get(key) === p) inFlight.delete(key);
          throw error;
        },
      );
      inFlight.set(key, p);
      return p;
    },
    clear(): void {
      generation++;
      entries.clear();
      inFlight.clear();
    },
    get size(): number {
      return entries.size;
    },
  };
}
