// An obviously correct LRU to check the engines against: a Map keeps
// insertion order, so delete-then-set moves a key to the newest end. Totals
// are BigInts, so they are exact whatever the engines do.

export interface Limits {
  maxEntries: number;
  maxBytes: number;
}

export class ReferenceLru<V> {
  readonly #entries = new Map<string, { value: V; bytes: number }>();
  readonly #limits: Limits;
  #total = 0n;
  readonly evicted: [string, V, number][] = [];
  readonly counters = { hits: 0, misses: 0, sets: 0, deletes: 0, evictions: 0, evictedBytes: 0 };

  constructor(limits: Limits) {
    this.#limits = limits;
  }

  get size(): number {
    return this.#entries.size;
  }

  get bytes(): number {
    return Number(this.#total);
  }

  get(key: string): V | undefined {
    const entry = this.#entries.get(key);
    if (entry === undefined) {
      this.counters.misses++;
      return undefined;
    }
    this.#entries.delete(key);
    this.#entries.set(key, entry);
    this.counters.hits++;
    return entry.value;
  }

  peek(key: string): V | undefined {
    return this.#entries.get(key)?.value;
  }

  has(key: string): boolean {
    return this.#entries.has(key);
  }

  /** Returns false where the cache must throw a RangeError and change nothing. */
  set(key: string, value: V, bytes: number): boolean {
    const old = this.#entries.get(key);
    const rest = this.#total - BigInt(old?.bytes ?? 0);
    if (bytes > this.#limits.maxBytes) return false;
    if (this.#limits.maxBytes === Infinity && rest + BigInt(bytes) > BigInt(Number.MAX_SAFE_INTEGER)) return false;
    this.#entries.delete(key);
    this.#entries.set(key, { value, bytes });
    this.#total = rest + BigInt(bytes);
    this.counters.sets++;
    while (
      this.#entries.size > 1 &&
      (this.#entries.size > this.#limits.maxEntries ||
        this.#total > BigInt(Math.min(this.#limits.maxBytes, Number.MAX_SAFE_INTEGER)))
    ) {
      const [oldest, entry] = this.#entries.entries().next().value!;
      this.#entries.delete(oldest);
      this.#total -= BigInt(entry.bytes);
      this.evicted.push([oldest, entry.value, entry.bytes]);
      this.counters.evictions++;
      this.counters.evictedBytes += entry.bytes;
    }
    return true;
  }

  delete(key: string): boolean {
    const entry = this.#entries.get(key);
    if (entry === undefined) return false;
    this.#entries.delete(key);
    this.#total -= BigInt(entry.bytes);
    this.counters.deletes++;
    return true;
  }

  clear(): void {
    this.#entries.clear();
    this.#total = 0n;
  }

  keys(): string[] {
    return [...this.#entries.keys()].reverse();
  }
}

/** A small seeded PRNG (mulberry32), so a failing run can be replayed from its seed. */
export function createRng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
